// Per-session cryptographic engines, set up lazily the first time an op needs them (HE keys
// once per ring width, base OTs once) and freed when the session ends.
import { HeContext, heBatchMatmulClient, heBatchMatmulServer, heMatmulClient, heMatmulServer, heSetupClient, heRecvPublicKey, heServerSession, type HeClientSession, type HeServerSession } from '../crypto/he/index.ts';
import { OtEngine } from '../crypto/ot/index.ts';
import type { ObliviousTransfer } from '../crypto/ot/types.ts';
import type { RingArray } from '../crypto/ring.ts';
import type { Engines, HeEngine } from '../ir/ops/types.ts';
import type { Channel, Party } from '../transport/channel.ts';

export class SessionEngines implements Engines {
  private readonly party: Party;
  private readonly ch: Channel;
  private readonly hes = new Map<number, Promise<{ ctx: HeContext; sess: HeClientSession | HeServerSession; engine: HeEngine }>>();
  private otEngine: Promise<ObliviousTransfer> | null = null;

  constructor(party: Party, ch: Channel) {
    this.party = party;
    this.ch = ch;
  }

  ot(): Promise<ObliviousTransfer> {
    this.otEngine ??= (async () => {
      const e = new OtEngine(this.ch);
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
    // The server's first step is to receive the client's key: it allocates its context only
    // after that, so a peer that never sends costs it no SEAL memory or CPU (docs/serving.md).
    const key = this.party === 'server' ? await heRecvPublicKey(this.ch) : null;
    const ctx = await HeContext.create({ ell });
    try {
      return await this.heSession(ctx, key);
    } catch (e) {
      ctx.delete(); // setup failed (peer gone, bad key): nothing else holds the context
      throw e;
    }
  }

  private async heSession(ctx: HeContext, key: Uint8Array | null) {
    const ch = this.ch;
    const r = (d: unknown) => d as RingArray;
    if (key === null) {
      const sess = await heSetupClient(ch, ctx);
      const engine: HeEngine = {
        matmul: (a, _b, n, k, m) => heMatmulClient(ch, sess, r(a.data), n, k, m),
        batch: (a, b, shape) => heBatchMatmulClient(ch, sess, r(a.data), r(b.data), shape),
      };
      return { ctx, sess, engine };
    }
    const sess = heServerSession(ctx, key);
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
        // setup failed: setupHe freed the context
      }
    }
    this.hes.clear();
  }
}
