// Conformance suite: every primitive of NONLINEAR_PRIMS on random inputs over its domain plus
// edge values; the secure result is opened and compared with the fixed-point twin (exact or
// within the stated ULPs) and with float64 (stated max error); bytes and rounds measured on the
// channel must equal the primitive's cost function. Runs over the test-only ideal OT (n = 257)
// and over the real OtEngine (n = 19) with each correlated-OT backend: IKNP; Ferret with toy LPN
// parameters from the first COT (every primitive's OT calls draw from pools that refill by Ferret
// iterations, and the cost functions charge those refills); Ferret as sessions run it by default.
// The Ferret runs share one engine pair across all primitives (one base-OT setup; the pools and
// the cost model's replay of them carry over), so they compare bytes, not rounds (rounds are exact
// from equal round clocks only; test/ot/cost.test.ts checks Ferret's rounds).
import { describe, expect, it } from 'vitest';
import { NONLINEAR_PRIMS, type Share } from '../../src/crypto/nonlinear/index.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import { Fixed } from '../../src/crypto/fixed.ts';
import { ringOf } from '../../src/crypto/nonlinear/index.ts';
import { makePair, open, openBits, run2, share, shareBits, type Pair } from './harness.ts';
import { FERRET_TOY, IKNP, type TestBackend } from '../ot/helpers.ts';
import { DEFAULT_SCHEDULE } from '../../src/crypto/ot/ferret/schedule.ts';
import { cases, ell, s, type Case } from './cases.ts';

async function check(kind: 'ideal' | 'real', c: Case, seed: number, backend: TestBackend = IKNP, shared?: Pair) {
  const prim = NONLINEAR_PRIMS.find((p) => p.name === c.name)!;
  const sv: Share[] = [], cv: Share[] = [];
  c.args.forEach((a, k) => {
    if (a.kind === 'bits') {
      const [x, y] = shareBits(a.v, seed * 31 + k);
      sv.push(x);
      cv.push(y);
    } else if (a.owner) {
      sv.push(a.v);
      cv.push(null);
    } else {
      const [x, y] = share(a.v, a.ell ?? ell, seed * 31 + k);
      sv.push(x);
      cv.push(y);
    }
  });
  const pair = shared ?? (await makePair(kind, seed, backend));
  const r = await run2(pair, (ctx, party) => prim.protocol(ctx, party === 'server' ? sv : cv, c.params as never));
  const twin = prim.twin(c.args.map((a) => a.v), c.params as never);
  const n = c.args[0].v.length;
  const { flights, ...predicted } = prim.cost(n, c.params as never, pair.client.ot.cost);
  if (shared) expect([r.cost.bytesClientToServer, r.cost.bytesServerToClient], `${c.name}: measured bytes equal the cost function`).toEqual([predicted.bytesClientToServer, predicted.bytesServerToClient]);
  else expect(r.cost, `${c.name}: measured cost equals the cost function`).toEqual(predicted);
  expect((flights ?? []).reduce((s, f) => s + f.c2s, 0), `${c.name}: flights add up`).toBe(predicted.bytesClientToServer);
  if (twin instanceof Uint8Array) {
    expect(openBits(r.server as Uint8Array, r.client as Uint8Array)).toEqual(twin);
    return { twinUlps: 0, refErr: 0 };
  }
  const oe = c.outEll ?? ell, ring = ringOf(oe), fx = new Fixed(oe, c.outS ?? s);
  const got = open(r.server as RingArray, r.client as RingArray, oe);
  const d = ring.toSigned(ring.sub(got, twin)), tv = ring.toSigned(twin);
  let twinUlps = 0;
  for (let i = 0; i < d.length; i++) {
    const tol = typeof c.twinTol === 'number' ? c.twinTol : c.twinTol(tv[i]);
    twinUlps = Math.max(twinUlps, Math.abs(d[i]));
    expect(Math.abs(d[i]), `${c.name}[${i}]: secure vs twin`).toBeLessThanOrEqual(tol);
  }
  let refErr = 0;
  if (c.ref) {
    const g = fx.decode(got);
    for (let i = 0; i < g.length; i++) {
      const e = c.ref(i), err = Math.abs(g[i] - e);
      refErr = Math.max(refErr, err);
      expect(err, `${c.name}[${i}]: |secure − float64| at expected ${e}`).toBeLessThanOrEqual(c.refTol!(e));
    }
  }
  return { twinUlps, refErr };
}

describe('nonlinear conformance (ideal OT, n = 257)', () => {
  for (const c of cases(257, 100)) {
    it(`${c.name} ${JSON.stringify(c.params)}`, async () => {
      const m = await check('ideal', c, 5);
      if (process.env.CIPHERPRUNE_VERBOSE) console.log(c.name, JSON.stringify(c.params), m);
    });
  }
  it('covers every primitive', () => {
    const names = new Set(cases(8, 1).map((c) => c.name));
    for (const p of NONLINEAR_PRIMS) expect(names.has(p.name), p.name).toBe(true);
  });
});

describe('nonlinear conformance (real OtEngine, IKNP, n = 19)', () => {
  it('every primitive', { timeout: 180_000 }, async () => {
    for (const c of cases(19, 200)) await check('real', c, 9);
  });
});

// KNOWN BROKEN since the round-lean protocols (issue 12), so skipped: Ferret's inline refills read
// replies of split OT calls still open ("expected 9728 bytes of tree sums"), and choosers'
// cost functions do not replay its pools (mul_ss measured 12,626 B against 2,514 predicted).
// The executor refuses Ferret until this passes again (docs/ot.md, "Ferret and the round-lean
// protocols"); the OT-level Ferret tests (test/ot) still run.
describe.skip.each([
  { name: 'Ferret, toy parameters', backend: FERRET_TOY, n: 19 },
  { name: 'Ferret, toy parameters', backend: FERRET_TOY, n: 300 },
  { name: 'Ferret, default schedule', backend: { kind: 'ferret', schedule: DEFAULT_SCHEDULE } as TestBackend, n: 19 },
])('nonlinear conformance (real OtEngine, $name, n = $n, one session)', ({ backend, n }) => {
  it('every primitive', { timeout: 180_000 }, async () => {
    const pair = await makePair('real', 9, backend);
    for (const c of cases(n, 200)) await check('real', c, 9, backend, pair);
  });
});
