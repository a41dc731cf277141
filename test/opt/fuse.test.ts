// Pass `fuse` (src/opt/fuse.ts): LayerNorm's convert::<E>(rsqrt(var)) runs as one rsqrt that
// returns E. The fused function equals the composition of the twins exactly (floor of a floor),
// and its secure result (real OT engine) is within the function's bound of the twin with the
// cost function's bytes and rounds.
import { describe, expect, it } from 'vitest';
import { fuseConverts } from '../../src/opt/fuse.ts';
import { convertTwin, recip, recipCost, recipTwin, ringOf, rsqrt, rsqrtCost, rsqrtTwin } from '../../src/crypto/nonlinear/index.ts';
import { makePair, open, run2, share } from '../nonlinear/harness.ts';
import { compile } from '../exec/helpers.ts';

describe('fuse', () => {
  it("BERT's LayerNorms: each rsqrt returns the conversion's encoding", () => {
    const p = compile('protocols/bert.cpl', 'bert_dense');
    const { program, fused } = fuseConverts(p);
    const rs = p.ops.filter((o) => o.op === 'rsqrt');
    expect(fused).toBe(rs.length);
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
});
