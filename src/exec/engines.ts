// Per-session cryptographic engines, set up lazily the first time an op needs them (HE keys
// once per ring width, base OTs once) and freed when the session ends.
import { HeContext, heBatchMatmulClient, heBatchMatmulServer, heMatmulClient, heMatmulServer, heSetupClient, heRecvPublicKey, heServerSession, heMatmulCost, heBatchMatmulCost, processPool, processWeightCache, worthPooling, type HeClientSession, type HeServerSession, type PoolSession } from '../crypto/he/index.ts';
import { DEFAULT_OT_BACKEND, OtEngine, otCostModel, type CotDemand, type OtChoice, type OtCostModel } from '../crypto/ot/index.ts';
import type { ObliviousTransfer } from '../crypto/ot/types.ts';
import type { RingArray } from '../crypto/ring.ts';
import type { Engines, HeEngine, HeKeyPlan } from '../ir/ops/types.ts';
import type { Channel, Party } from '../transport/channel.ts';

// `pool`: the session's keys opened on the process's HE worker threads (src/crypto/he/pool.ts),
// when HE runs on more than one thread, on the first product large enough to gain from them
// (a small program never starts a worker).
type HeState = { ctx: HeContext; sess: HeClientSession | HeServerSession; key: Uint8Array | null; pool: Promise<PoolSession | null> | null };


/** Compute-only scope of the HE key setup (per ring width). */
export const SETUP_HE_SCOPE = 'setup he';
export class SessionEngines implements Engines {
  private readonly party: Party;
  private readonly ch: Channel;
  private readonly hes = new Map<number, Promise<HeState>>();
  private otEngine: Promise<ObliviousTransfer> | null = null;
  /** The OT engine once set up. */
  private otReady: ObliviousTransfer | null = null;
  private readonly otBackend: OtChoice | undefined;
  /** Forks so far: each gets the next id (both parties fork in the same order). */
  private forks = 0;

  /** `ot`: the correlated-OT backend (default DEFAULT_OT_BACKEND); both parties must agree. */
  constructor(party: Party, ch: Channel, opts: { ot?: OtChoice } = {}) {
    this.party = party;
    this.ch = ch;
    this.otBackend = opts.ot;
  }

  /** A counting cost model of the session's backend when it refills between steps (Ferret), else null. */
  otDemand(): OtCostModel | null {
    const m = otCostModel(this.otBackend ?? DEFAULT_OT_BACKEND).forked();
    return m.drawn ? m : null;
  }

  otIfReady(): ObliviousTransfer | null {
    return this.otReady;
  }

  ot(): Promise<ObliviousTransfer> {
    this.otEngine ??= (async () => {
      const e = new OtEngine(this.ch, { backend: this.otBackend });
      await e.setup();
      this.otReady = e;
      return e;
    })();
    return this.otEngine;
  }

  /** The session's HE key plan (src/opt/he-keys.ts): the first run's, before any HE setup. */
  private heKeys: HeKeyPlan | null = null;

  planHeKeys(plan: () => HeKeyPlan): void {
    this.heKeys ??= plan();
  }

  async he(ell: number): Promise<HeEngine> {
    let p = this.hes.get(ell);
    if (!p) {
      p = this.setupHe(ell);
      this.hes.set(ell, p);
    }
    return heOn(this.party, this.ch, await p);
  }

  private async setupHe(ell: number): Promise<HeState> {
    // The server's first step is to receive the client's key: it allocates its context only
    // after that, so a peer that never sends costs it no SEAL memory or CPU (docs/serving.md).
    // The key generation (public key and Galois keys, ~1 s) is booked as setup compute, not as
    // the enclosing step's (SETUP_HE_SCOPE; computeFromRun in calibrate.ts).
    const endScope = this.ch.computeScope?.(SETUP_HE_SCOPE);
    try {
      // Packed or not, and the Galois key depth, as the key plan says (defaults without one).
      const params = { ell, ...this.heKeys?.get(ell) };
      const key = this.party === 'server' ? await heRecvPublicKey(this.ch, params) : null;
      const ctx = await HeContext.create(params);
      let sess: HeClientSession | HeServerSession | null = null;
      try {
        sess = key === null ? await heSetupClient(this.ch, ctx) : heServerSession(ctx, key);
        return { ctx, sess, key, pool: null };
      } catch (e) {
        sess?.delete();
        ctx.delete(); // setup failed (peer gone, bad key): nothing else holds the context
        throw e;
      }
    } finally {
      endScope?.();
    }
  }

  fork(ch: Channel, need?: CotDemand): Engines {
    const id = ++this.forks;
    // A batch backend's slice is taken now, in fork order (the prefill before the group covered it).
    const slice = need && this.otReady?.batch ? this.otReady.fork(ch, id, need) : null;
    const ot = this.otEngine;
    const hes = this.hes;
    const party = this.party;
    const self: Engines = {
      ot: async () => {
        if (slice) return slice;
        if (!ot) throw new Error('internal: base OTs must be set up before concurrent work (the schedule did not foresee it)');
        return (await ot).fork(ch, id);
      },
      he: async (ell) => {
        const st = hes.get(ell);
        if (!st) throw new Error(`internal: HE keys for ring width ${ell} must be set up before concurrent work`);
        return heOn(party, ch, await st);
      },
      fork: () => {
        throw new Error('internal: engines of concurrent work do not fork again');
      },
    };
    return self;
  }

  /** Free every SEAL object. */
  async close(): Promise<void> {
    for (const p of this.hes.values()) {
      try {
        const { ctx, sess, pool } = await p;
        await (await pool?.catch(() => null))?.close();
        sess.delete();
        ctx.delete();
      } catch {
        // setup failed: nothing to free
      }
    }
    this.hes.clear();
  }
}

/** HE products of a session's keys over a given channel. */
function heOn(party: Party, ch: Channel, st: HeState): HeEngine {
  const r = (d: unknown) => d as RingArray;
  // The session's keys on the worker threads, opened once, for products worth spreading.
  const pooled = async (products: number): Promise<{ pool?: PoolSession }> => {
    if (!worthPooling(products)) return {};
    st.pool ??= processPool().then((w) =>
      !w ? null : st.key === null ? w.open('client', st.ctx.params.ell, (st.sess as HeClientSession).exportKeys(), !!st.ctx.params.packed, st.ctx.params.galoisDepth, st.ctx.params.galoisLevel) : w.open('server', st.ctx.params.ell, { pk: st.key }, !!st.ctx.params.packed, st.ctx.params.galoisDepth, st.ctx.params.galoisLevel),
    );
    const ps = await st.pool;
    return ps ? { pool: ps } : {};
  };
  const nMatmul = (n: number, k: number, m: number) => heMatmulCost(n, k, m).products;
  const nBatch = (shape: Parameters<typeof heBatchMatmulCost>[0]) => heBatchMatmulCost(shape).products;
  if (party === 'client') {
    const sess = st.sess as HeClientSession;
    return {
      matmul: async (a, _b, n, k, m, blocking) => heMatmulClient(ch, sess, r(a.data), n, k, m, { ...(await pooled(nMatmul(n, k, m))), ...(blocking ? { blocking } : {}) }),
      batch: async (a, b, shape) => heBatchMatmulClient(ch, sess, r(a.data), r(b.data), shape, await pooled(nBatch(shape))),
    };
  }
  const sess = st.sess as HeServerSession;
  // The server's weights prepared once, kept for the process's lifetime (src/crypto/he/weights.ts).
  const weights = processWeightCache();
  return {
    matmul: async (a, b, n, k, m, blocking) => heMatmulServer(ch, sess, r(a.data), r(b.data), n, k, m, { ...(await pooled(nMatmul(n, k, m))), ...(weights ? { weights } : {}), ...(blocking ? { blocking } : {}) }),
    batch: async (a, b, shape) => heBatchMatmulServer(ch, sess, r(a.data), r(b.data), shape, await pooled(nBatch(shape))),
  };
}
