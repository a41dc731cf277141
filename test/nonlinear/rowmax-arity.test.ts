// rowmax with wider tournaments (ROWMAX.arity > 2: all pairs of a group compared at once, the
// first maximum found by an AND tree of the comparison bits): exact against the twin, with ties,
// short last groups and a passed-through last element; bytes and rounds as predicted; fewer
// rounds than the binary tree.
import { afterEach, describe, expect, it } from 'vitest';
import { ROWMAX, rowmax, rowmaxCost, rowmaxTwin } from '../../src/crypto/nonlinear/index.ts';
import { ringOf } from '../../src/crypto/nonlinear/index.ts';
import { makePair, open, run2, share } from './harness.ts';

const ell = 37;

function rowsOf(rows: number, cols: number, seed: number) {
  let st = seed;
  const next = () => ((st = (st * 1103515245 + 12345) >>> 0), st);
  // Values of a few levels only, so rows have ties; some negative.
  return ringOf(ell).fromSigned(Array.from({ length: rows * cols }, () => ((next() >>> 8) % 9) * 1000 - 4000 - (next() % 2)));
}

describe('rowmax, wider tournaments', () => {
  const saved = ROWMAX.arity;
  afterEach(() => void (ROWMAX.arity = saved));
  for (const [arity, cols] of [[4, 13], [8, 54], [8, 9], [3, 10], [16, 33]] as const) {
    it(`arity ${arity}, rows of ${cols}: exact, cost as measured`, async () => {
      ROWMAX.arity = arity;
      const rows = 5, x = rowsOf(rows, cols, arity * 100 + cols), p = { ell, cols };
      const [xs, xc] = share(x, ell, 7);
      const pair = await makePair('real', 3);
      const r = await run2(pair, (ctx, party) => rowmax(ctx, party === 'server' ? xs : xc, p));
      expect(Array.from(open(r.server, r.client, ell), String)).toEqual(Array.from(rowmaxTwin(x, p), String));
      const c = rowmaxCost(rows * cols, p);
      expect(r.cost).toEqual({ bytesClientToServer: c.bytesClientToServer, bytesServerToClient: c.bytesServerToClient, rounds: c.rounds });
      ROWMAX.arity = 2;
      if (cols > arity) expect(c.rounds).toBeLessThan(rowmaxCost(rows * cols, p).rounds);
    });
  }
});
