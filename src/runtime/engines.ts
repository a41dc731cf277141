// Per-session cryptographic engines, set up lazily the first time an op needs them (HE keys
// once per ring width) and freed when the session ends.
import { HeContext, heMatmulClient, heMatmulServer, heSetupClient, heSetupServer, type HeClientSession, type HeServerSession } from '../crypto/he/index.ts';
import type { RingArray } from '../crypto/ring.ts';
import type { Engines, ExecValue, HeEngine } from '../ir/ops/types.ts';
import type { Channel, Party } from './channel.ts';

export class SessionEngines implements Engines {
  private readonly party: Party;
  private readonly ch: Channel;
  private readonly hes = new Map<number, Promise<{ ctx: HeContext; sess: HeClientSession | HeServerSession; engine: HeEngine }>>();

  constructor(party: Party, ch: Channel) {
    this.party = party;
    this.ch = ch;
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
    if (this.party === 'client') {
      const sess = await heSetupClient(ch, ctx);
      const engine: HeEngine = { matmul: (a: ExecValue, _b: ExecValue, n, k, m) => heMatmulClient(ch, sess, a.data as RingArray, n, k, m) };
      return { ctx, sess, engine };
    }
    const sess = await heSetupServer(ch, ctx);
    const engine: HeEngine = { matmul: (a: ExecValue, b: ExecValue, n, k, m) => heMatmulServer(ch, sess, a.data as RingArray, b.data as RingArray, n, k, m) };
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
