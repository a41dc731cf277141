// Pass `fuse` (src/opt/fuse.ts): LayerNorm's convert::<E>(rsqrt(var)) runs as one rsqrt that
// returns E. The fused function equals the composition of the twins exactly (floor of a floor),
// and its secure result (real OT engine) is within the function's bound of the twin with the
// cost function's bytes and rounds.
import { describe, expect, it } from 'vitest';
import { fuseConverts } from '../../src/opt/fuse.ts';
import { convertTwin, divPublicTwin, recip, recipCost, recipTwin, ringOf, rsqrt, rsqrtCost, rsqrtTwin, sumSquares, sumSquaresCost, sumSquaresTwin } from '../../src/crypto/nonlinear/index.ts';
import { makePair, open, run2, share } from '../nonlinear/harness.ts';
import { compile } from '../exec/helpers.ts';

describe('fuse', () => {
  it("BERT's LayerNorms: each rsqrt returns the conversion's encoding", () => {
    const p = compile('protocols/bert.cpl', 'bert_dense');
    const { program, fused } = fuseConverts(p);
    const rs = p.ops.filter((o) => o.op === 'rsqrt');
    // Per LayerNorm: the rsqrt's conversion and the variance's division (below).
    expect(fused).toBe(2 * rs.length);
    for (const r of rs) {
      expect(r.type.enc).toEqual({ kind: 'fix', ell: 44, scale: 24 });
      const conv = p.ops.find((o) => o.op === 'convert' && o.args[0] === r.id)!;
      expect(program.ops[r.id].type.enc).toEqual(conv.type.enc);
      expect(program.ops[conv.id]).toBe(p.ops[conv.id]);
    }
  });

  for (const [name, fn, cost, twin, from, to, lo, hi] of [
    ['rsqrt', rsqrt, rsqrtCost, rsqrtTwin, { ell: 44, s: 24 }, { ell: 32, s: 12 }, 1e-4, 900],
    ['recip', recip, recipCost, recipTwin, { ell: 32, s: 12 }, { ell: 24, s: 8 }, 0.02, 100],
  ] as const) {
    it(`${name} fix<${from.ell},${from.s}> -> fix<${to.ell},${to.s}>: twin = composition, secure within bound, cost as measured`, async () => {
      const n = 40, rf = ringOf(from.ell), rt = ringOf(to.ell);
      const xs = Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
      const x = rf.fromSigned(xs.map((v) => Math.round(v * 2 ** from.s)));
      const p = { ...from, out: to };
      const fusedTwin = twin(x, p);
      const composed = convertTwin(twin(x, from), { from, to }, true);
      expect(Array.from(fusedTwin, String)).toEqual(Array.from(composed, String));
      const [a, b] = share(x, from.ell, 5);
      const pair = await makePair('real', 2);
      const r = await run2(pair, (ctx, party) => fn(ctx, party === 'server' ? a : b, p));
      const got = rt.toSigned(open(r.server, r.client, to.ell)), want = rt.toSigned(fusedTwin);
      for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i]), `element ${i}`).toBeLessThanOrEqual(2 + Math.abs(want[i]) * 3 * 2 ** -13);
      const c = cost(n, p);
      expect(r.cost).toEqual({ bytesClientToServer: c.bytesClientToServer, bytesServerToClient: c.bytesServerToClient, rounds: c.rounds });
    });
  }

  it('a row sum that needs its own truncation is not fused', () => {
    expect(() => sumSquaresCost(64, { ell: 32, s: 12, cols: 32, to: { ell: 44, s: 20 }, div: 32 * 2 ** 20 })).toThrow(/fused division/);
  });
});

describe('fuse: sumsq / d', () => {
  it("BERT's LayerNorms: the variance's division moves into sumsq, the div_sp becomes an identity", () => {
    const p = compile('protocols/bert.cpl', 'bert_dense');
    const { program } = fuseConverts(p);
    const divs = p.ops.filter((o) => o.op === 'div_sp' && p.ops[o.args[0]].op === 'sumsq');
    expect(divs.length).toBe(p.ops.filter((o) => o.op === 'rsqrt').length);
    for (const d of divs) {
      expect(program.ops[d.id]).toMatchObject({ op: 'convert', args: [d.args[0]], type: d.type });
      expect(program.ops[d.args[0]].attrs.divisor).toBe(d.attrs.divisor);
    }
  });

  for (const [cols, to] of [[768, { ell: 44, s: 24 }], [32, { ell: 48, s: 28 }], [64, { ell: 40, s: 24 }]] as const) {
    it(`sumsq of rows of ${cols} into fix<${to.ell},${to.s}>, divided by ${cols}: = div_sp's twin of sumsq's, cost as measured`, async () => {
      const rows = 3, ell = 32, s = 12, rf = ringOf(ell), rt = ringOf(to.ell);
      const x = rf.fromSigned(Array.from({ length: rows * cols }, (_, i) => Math.round(Math.sin(i * 0.37) * (1 + (i % 7)) * 2 ** s)));
      const p = { ell, s, cols, to, div: cols * 2 ** to.s };
      const fused = sumSquaresTwin(x, p);
      const composed = divPublicTwin(sumSquaresTwin(x, { ell, s, cols, to }), p.div, to);
      expect(Array.from(fused, String)).toEqual(Array.from(composed, String));
      const [a, b] = share(x, ell, 9);
      const pair = await makePair('real', 4);
      const r = await run2(pair, (ctx, party) => sumSquares(ctx, party === 'server' ? a : b, p));
      const got = rt.toSigned(open(r.server, r.client, to.ell)), want = rt.toSigned(fused);
      // div_sp's bound: floor or one less.
      for (let i = 0; i < rows; i++) expect(want[i] - got[i], `row ${i}`).toBeGreaterThanOrEqual(0);
      for (let i = 0; i < rows; i++) expect(want[i] - got[i], `row ${i}`).toBeLessThanOrEqual(1);
      const c = sumSquaresCost(rows * cols, p);
      expect(r.cost).toEqual({ bytesClientToServer: c.bytesClientToServer, bytesServerToClient: c.bytesServerToClient, rounds: c.rounds });
    });
  }

  it('a row sum that needs its own truncation is not fused', () => {
    expect(() => sumSquaresCost(64, { ell: 32, s: 12, cols: 32, to: { ell: 44, s: 20 }, div: 32 * 2 ** 20 })).toThrow(/fused division/);
  });
});
