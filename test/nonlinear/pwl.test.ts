// Low-degree GELU / exp (lines by lookup, src/crypto/nonlinear/pwl.ts):
// - the literal tables are what the fitter produces;
// - exhaustive sweep over every fix<32,12> input in the lines' neighbourhood, with *every*
//   outcome the secure protocol can produce (segment index exact or one less, clamp input exact
//   or one less, final truncation exact or one less): max error vs float64 and vs the twin stay
//   within the bounds stated in table.ts / docs/approximations.md;
// - truncExtend opened against floor (ideal OT), cost predicted == measured.
import { describe, expect, it } from 'vitest';
import { Fixed } from '../../src/crypto/fixed.ts';
import { EXP_PWL, GELU_PWL, SIGMOID_PWL, SILU_PWL, sigmoidRef, siluRef, expLo, expLoCost, expLoTwin, geluLo, geluLoCost, geluLoTwin, geluRef, pwlPlan, ringOf, truncExtend, truncExtendCost, type PwlPlan, type PwlSpec } from '../../src/crypto/nonlinear/index.ts';
import { fitLines } from './pwl-fit.ts';
import { makePair, open, run2, share } from './harness.ts';
import { ell, fx, ring, s, uniform } from './cases.ts';

const ulp = 2 ** -s;

describe('line tables', () => {
  for (const [spec, f] of [[GELU_PWL, geluRef], [EXP_PWL, Math.exp], [SIGMOID_PWL, sigmoidRef], [SILU_PWL, siluRef]] as [PwlSpec, (x: number) => number][]) {
    it(`${spec.name}: literals equal a fresh fit`, () => {
      const fit = fitLines(f, 2 ** -spec.segLog, spec.jLo, spec.N, spec.fitLo, spec.fitHi, spec.F);
      expect(fit.S).toEqual(spec.S);
      for (let j = 0; j < spec.N; j++) expect(Math.abs(fit.a[j] - spec.a[j])).toBeLessThan(1e-9);
      expect(fit.err).toBeLessThanOrEqual(spec.fitErr);
    });
  }
});

/** Every value the secure protocol may output for raw input x (signed), at fix<32,12>. */
function outcomes(plan: PwlPlan, xr: number, kind: 'gelu' | 'exp'): number[] {
  const { t, tc, lp, spec } = plan, N = spec.N, F = spec.F, rl = ringOf(lp);
  const fl = Math.floor(xr / 2 ** t), u = xr - fl * 2 ** t, flc = Math.floor(xr / 2 ** tc);
  const line = (j: number, uu: number): number[] => {
    const k = (((j - spec.jLo) % N) + N) % N;
    const v = rl.toSigned(rl.reduce(Uint32Array.of((Math.imul(uu, plan.S[k]) + plan.A[k]) >>> 0)))[0];
    const q = Math.floor(v / 2 ** F);
    return [q, q - 1];
  };
  const mids = [...line(fl, u), ...line(fl - 1, u + 2 ** t)];
  const out: number[] = [];
  for (const xc of [flc, flc - 1]) {
    for (const m of mids) {
      if (kind === 'gelu') {
        const bm = xc >= spec.lowClamp ? 1 : 0, bp = xc >= spec.highClamp! ? 1 : 0;
        out.push(bm * m + bp * (xr - m));
      } else out.push(xc >= spec.lowClamp ? m : 0);
    }
  }
  return out;
}

describe('exhaustive worst case over the secure outcomes', () => {
  const cases: [string, PwlSpec, 'gelu' | 'exp', (x: number) => number, number, number, number, number][] = [
    // name, spec, kind, f, lo, hi, bound vs float64, bound vs twin (ULP)
    ['gelu_lo', GELU_PWL, 'gelu', geluRef, -8, 8, 4e-3, 32],
    ['exp_lo', EXP_PWL, 'exp', Math.exp, -12, 0, 4.5e-3, 32],
  ];
  for (const [name, spec, kind, f, lo, hi, refBound, twinBound] of cases) {
    it(`${name} on [${lo}, ${hi}]`, () => {
      const plan = pwlPlan(spec, { ell, s });
      const xs: number[] = [];
      for (let r = lo * 2 ** s; r <= hi * 2 ** s; r++) xs.push(r);
      const raw = ring.fromSigned(xs);
      const twin = ring.toSigned(kind === 'gelu' ? geluLoTwin(raw, { ell, s }) : expLoTwin(raw, { ell, s }));
      let worstRef = 0, worstTwin = 0, worstTwinRef = 0;
      for (let i = 0; i < xs.length; i++) {
        const want = f(xs[i] * ulp);
        worstTwinRef = Math.max(worstTwinRef, Math.abs(twin[i] * ulp - want));
        for (const o of outcomes(plan, xs[i], kind)) {
          worstRef = Math.max(worstRef, Math.abs(o * ulp - want));
          worstTwin = Math.max(worstTwin, Math.abs(o - twin[i]));
        }
      }
      if (process.env.CIPHERPRUNE_VERBOSE) console.log(name, { twinVsFloat: worstTwinRef, worstVsFloat: worstRef, worstVsTwinUlps: worstTwin });
      expect(worstTwinRef).toBeLessThanOrEqual(refBound);
      expect(worstRef).toBeLessThanOrEqual(refBound);
      expect(worstTwin).toBeLessThanOrEqual(twinBound);
    });
  }
});

describe('truncExtend', () => {
  it('Z_2^23 → Z_2^32 by 6 bits: floor or one less; cost as predicted', async () => {
    const from = 23, to = 32, t = 6, rf = ringOf(from), n = 301;
    const vals = [...uniform(n - 4, -(2 ** 20), 2 ** 20, 3).map(Math.round), 0, -1, 2 ** 21 - 1, -(2 ** 21)];
    const v = rf.fromSigned(vals), [v0, v1] = share(v, from, 4);
    const pair = await makePair('ideal');
    const r = await run2(pair, (ctx, party) => truncExtend(ctx, party === 'server' ? v0 : v1, { from, to, t }));
    const got = ringOf(to).toSigned(open(r.server, r.client, to));
    for (let i = 0; i < n; i++) {
      const want = Math.floor(vals[i] / 2 ** t);
      expect(got[i] === want || got[i] === want - 1, `element ${i}: ${got[i]} vs ${want}`).toBe(true);
    }
    const { flights, ...pred } = truncExtendCost(n, { from, to, t }, pair.client.ot.cost);
    expect(r.cost).toEqual(pred);
    expect(flights?.length).toBe(2);
    void fx;
  });
});

describe('other fixed-point formats', () => {
  // The bounds are absolute (≈ 7.8e-3 vs twin, 4.2e-3 + 2 ULP vs float64): 2^(s−7) ULP vs twin.
  for (const [fe, fs] of [[64, 16], [40, 12], [24, 8]]) {
    it(`gelu_lo and exp_lo at fix<${fe},${fs}>`, async () => {
      const f = new Fixed(fe, fs), p = { ell: fe, s: fs }, r = ringOf(fe), u = 2 ** -fs;
      const runs: [typeof geluLo, typeof geluLoTwin, typeof geluLoCost, (x: number) => number, number[]][] = [
        [geluLo, geluLoTwin, geluLoCost, geluRef, [0, u, -u, 3.75, -3.75, 4, -3.5, 0.3, -0.7, 2.2, 100, -100, ...uniform(20, -6, 6, 8)]],
        [expLo, expLoTwin, expLoCost, Math.exp, [0, -u, -0.5, -1, -3, -7, -7.5, -7.6, -20, ...uniform(20, -9, 0, 9)]],
      ];
      for (const [proto, twinFn, costFn, ref, xs] of runs) {
        const x = f.encode(xs), [x0, x1] = share(x, fe, 3);
        const pair = await makePair('ideal');
        const m = await run2(pair, (c, party) => proto(c, party === 'server' ? x0 : x1, p));
        const got = open(m.server, m.client, fe), d = r.toSigned(r.sub(got, twinFn(x, p))), g = f.decode(got), dx = f.decode(x);
        for (let i = 0; i < xs.length; i++) {
          expect(Math.abs(d[i]), `vs twin at ${xs[i]}`).toBeLessThanOrEqual(2 ** (fs - 7));
          expect(Math.abs(g[i] - ref(dx[i])), `vs float64 at ${xs[i]}`).toBeLessThanOrEqual(4.2e-3 + 2 * u);
        }
        const { flights, ...pred } = costFn(xs.length, p, pair.client.ot.cost);
        expect(m.cost).toEqual(pred);
        expect(flights?.length).toBeGreaterThan(0);
      }
    });
  }
});
