// Side flows (src/crypto/nonlinear/side.ts): a protocol whose rounds ride a comparison's. The
// results equal the same steps run alone, measured bytes and rounds equal the merged cost, the
// rounds are the comparison's plus the side's leftover ones, and a flow that breaks the
// one-message-per-round rule fails with an internal error instead of desynchronising the parties.
import { describe, expect, it } from 'vitest';
import { geConstsCostSteps, geConstsWith } from '../../src/crypto/nonlinear/compare.ts';
import { costOf, ringOf, type ProtoCtx } from '../../src/crypto/nonlinear/context.ts';
import { SideFlow, sideFlights } from '../../src/crypto/nonlinear/side.ts';
import { trunc, truncCostSteps, truncCounts, truncSpec, truncTwin } from '../../src/crypto/nonlinear/trunc.ts';
import type { Chooser } from '../../src/crypto/nonlinear/ot-ops.ts';
import { makePair, open, openBits, run2, share } from './harness.ts';
import { IKNP } from '../ot/helpers.ts';
import { Prg } from '../../src/crypto/prg.ts';

const ell = 32, n = 40, K = 7; // K truncations in a row: more rounds than the comparison has
const ring = ringOf(ell);

/** The side: K truncations by 1 bit, one after another, on choosers prepared ahead. */
async function chain(ctx: ProtoCtx, x: Uint32Array, ch: Chooser[]): Promise<Uint32Array> {
  let v = x as never;
  for (let k = 0; k < K; k++) v = (await trunc(ctx, v, { ell, t: 1 }, ch[k])) as never;
  return v;
}

describe('side flow beside a comparison', () => {
  // (Ferret: test/nonlinear/conformance.test.ts runs recip, exp, GELU with their side flows.)
  for (const kind of ['ideal', 'real'] as const) {
    it(`results, bytes and rounds (${kind === 'ideal' ? 'ideal OT' : 'IKNP'})`, { timeout: 60_000 }, async () => {
      const pair = await makePair(kind, 3, IKNP);
      const x = ring.random(n, Prg.fromInt(1)) as Uint32Array;
      for (let i = 0; i < n; i++) x[i] >>>= 3; // |x| < 2^(ℓ−2) for the truncations
      const [xs, xc] = share(x, ell, 2);
      const r = await run2(pair, async (ctx, party) => {
        const mine = party === 'server' ? xs : xc;
        const side = new SideFlow(ctx, (sc, ch) => chain(sc, mine as Uint32Array, ch));
        const specs = Array.from({ length: K }, () => truncSpec(ctx, n, 1));
        const { bits } = await geConstsWith(ctx, mine, { ell, consts: [0, 12345] }, specs, side);
        return { bits, v: await side.rest() };
      });
      const cost = costOf((b) => {
        const flights = sideFlights(b, (sb) => { for (let k = 0; k < K; k++) truncCostSteps(sb, n, { ell, t: 1 }, true); });
        geConstsCostSteps(b, n, { ell, consts: [0, 12345] }, Array.from({ length: K }, () => truncCounts(n)), flights);
      }, pair.client.ot.cost);
      const alone = costOf((b) => geConstsCostSteps(b, n, { ell, consts: [0, 12345] }, Array.from({ length: K }, () => truncCounts(n))), pair.client.ot.cost);
      expect(r.cost).toEqual({ bytesClientToServer: cost.bytesClientToServer, bytesServerToClient: cost.bytesServerToClient, rounds: cost.rounds });
      // The side's first rounds cost nothing: only those beyond the comparison's slots add.
      expect(cost.rounds).toBeLessThan(alone.rounds + K);
      const v = ring.toSigned(open(r.server.v, r.client.v, ell));
      let want = x as never;
      for (let k = 0; k < K; k++) want = truncTwin(want, { ell, t: 1 }) as never;
      const w = ring.toSigned(want);
      for (let i = 0; i < n; i++) {
        expect(w[i] - v[i]).toBeGreaterThanOrEqual(0);
        expect(w[i] - v[i]).toBeLessThanOrEqual(K);
      }
      const bits = openBits(r.server.bits, r.client.bits), sx = ring.toSigned(x);
      for (let i = 0; i < n; i++) expect([bits[2 * i], bits[2 * i + 1]]).toEqual([sx[i] >= 0 ? 1 : 0, sx[i] >= 12345 ? 1 : 0]);
    });
  }

  it('a flow that sends twice in one round fails clearly', async () => {
    const pair = await makePair('ideal', 4);
    const run = (ctx: ProtoCtx) => {
      const side = new SideFlow(ctx, async (sc) => {
        sc.ch.send(new Uint8Array([1]));
        sc.ch.send(new Uint8Array([2]));
        await sc.ch.recv();
      });
      side.begin([]);
      return side.send();
    };
    await expect(run(pair.server)).rejects.toThrow(/one message, not 2/);
    await expect(run(pair.client)).rejects.toThrow(/one message, not 2/);
  });
});
