// Per-session cryptographic engines, set up lazily the first time an op needs them (HE keys
// once per ring width, base OTs once) and freed when the session ends.
import { HeContext, heBatchMatmulClient, heBatchMatmulServer, heMatmulClient, heMatmulServer, heSetupClient, heSetupServer, type HeClientSession, type HeServerSession } from '../crypto/he/index.ts';
import { OtEngine, type OtChoice } from '../crypto/ot/index.ts';
import type { ObliviousTransfer } from '../crypto/ot/types.ts';
import type { RingArray } from '../crypto/ring.ts';
import type { Engines, HeEngine } from '../ir/ops/types.ts';
import type { Channel, Party } from '../transport/channel.ts';

export class SessionEngines implements Engines {
  private readonly party: Party;
  private readonly ch: Channel;
  private readonly hes = new Map<number, Promise<{ ctx: HeContext; sess: HeClientSession | HeServerSession; engine: HeEngine }>>();
  private otEngine: Promise<ObliviousTransfer> | null = null;
  private readonly otBackend: OtChoice | undefined;

  /** `ot`: the correlated-OT backend (default DEFAULT_OT_BACKEND); both parties must agree. */
  constructor(party: Party, ch: Channel, opts: { ot?: OtChoice } = {}) {
    this.party = party;
    this.ch = ch;
    this.otBackend = opts.ot;
  }

  ot(): Promise<ObliviousTransfer> {
    this.otEngine ??= (async () => {
      const e = new OtEngine(this.ch, { backend: this.otBackend });
      await e.setup();
      return e;
    })();
    return this.otEngine;
  }

  async he(ell: number): Promise<HeEngine> {
    let p = this.hes.get(ell);
    if (!p) {
      p = this.setupHe(ell);
      this.hes.set(ell, p);
    }
    return (await p).engine;
  }

  private async setupHe(ell: number) {
    const ctx = await HeContext.create({ ell });
    const ch = this.ch;
    const r = (d: unknown) => d as RingArray;
    if (this.party === 'client') {
      const sess = await heSetupClient(ch, ctx);
      const engine: HeEngine = {
        matmul: (a, _b, n, k, m) => heMatmulClient(ch, sess, r(a.data), n, k, m),
        batch: (a, b, shape) => heBatchMatmulClient(ch, sess, r(a.data), r(b.data), shape),
      };
      return { ctx, sess, engine };
    }
    const sess = await heSetupServer(ch, ctx);
    const engine: HeEngine = {
      matmul: (a, b, n, k, m) => heMatmulServer(ch, sess, r(a.data), r(b.data), n, k, m),
      batch: (a, b, shape) => heBatchMatmulServer(ch, sess, r(a.data), r(b.data), shape),
    };
    return { ctx, sess, engine };
  }

  /** Free every SEAL object. */
  async close(): Promise<void> {
    for (const p of this.hes.values()) {
      try {
        const { ctx, sess } = await p;
        sess.delete();
        ctx.delete();
      } catch {
        // setup failed: nothing to free
      }
    }
    this.hes.clear();
  }
}
