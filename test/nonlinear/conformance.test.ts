// Conformance suite: every primitive of NONLINEAR_PRIMS on random inputs over its domain plus
// edge values; the secure result is opened and compared with the fixed-point twin (exact or
// within the stated ULPs) and with float64 (stated max error); bytes and rounds measured on the
// channel must equal the primitive's cost function. Runs over the test-only ideal OT (n = 257)
// and over the real OtEngine (n = 19) with each correlated-OT backend: IKNP; Ferret with toy LPN
// parameters (every primitive's OT calls draw from pools that refill by Ferret iterations before
// the call, sized from its cost function, and the prediction charges those refills); Ferret as
// sessions run it by default. Most Ferret runs share one engine pair across all primitives (one
// base-OT setup; the pools and the cost model's replay of them carry over), so they compare bytes
// (rounds are exact from equal round clocks only); one run per primitive compares rounds too.
import { describe, expect, it } from 'vitest';
import { NONLINEAR_PRIMS, type Share } from '../../src/crypto/nonlinear/index.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import { Fixed } from '../../src/crypto/fixed.ts';
import { ringOf } from '../../src/crypto/nonlinear/index.ts';
import { makePair, open, openBits, run2, share, shareBits, type Pair } from './harness.ts';
import { FERRET_TOY, IKNP, type TestBackend } from '../ot/helpers.ts';
import { DEFAULT_SCHEDULE } from '../../src/crypto/ot/ferret/schedule.ts';
import { cases, ell, s, type Case } from './cases.ts';
import { refillFlights } from '../../src/opt/cost.ts';
import { RoundClock } from '../../src/transport/round-clock.ts';
import { exactOtModel } from '../../src/crypto/nonlinear/context.ts';

/** `exact`: the session in exact mode (ProtoCtx.exact, the cost model marked): secure == twin, bit for bit. */
async function check(kind: 'ideal' | 'real', c: Case, seed: number, backend: TestBackend = IKNP, shared?: Pair, exact = false) {
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
  pair.client.exact = pair.server.exact = exact;
  const n = c.args[0].v.length;
  // A batch backend (Ferret) refills before the call, as the executor does between steps: for the
  // COTs the cost function draws (docs/ot.md, "Refills between steps").
  const model = exact ? exactOtModel(pair.client.ot.cost) : pair.client.ot.cost, counting = model.forked();
  const need = { client: 0, server: 0 };
  if (counting.drawn) {
    counting.drawn.client = counting.drawn.server = 0;
    prim.cost(n, c.params as never, counting);
    Object.assign(need, counting.drawn);
  }
  const r = await run2(pair, async (ctx, party) => {
    await ctx.ot.prefill?.(need);
    const out = await prim.protocol(ctx, party === 'server' ? sv : cv, c.params as never);
    await ctx.ot.settle?.();
    return out;
  });
  const twin = prim.twin(c.args.map((a) => a.v), c.params as never);
  const refill = refillFlights(model, need);
  const { flights, ...own } = prim.cost(n, c.params as never, model);
  const all = [...refill, ...(flights ?? [])], clock = new RoundClock();
  for (const f of all) clock.flight(f);
  const predicted = { bytesClientToServer: all.reduce((a, f) => a + f.c2s, 0), bytesServerToClient: all.reduce((a, f) => a + f.s2c, 0), rounds: clock.rounds };
  if (shared) expect([r.cost.bytesClientToServer, r.cost.bytesServerToClient], `${c.name}: measured bytes equal the cost function`).toEqual([predicted.bytesClientToServer, predicted.bytesServerToClient]);
  else expect(r.cost, `${c.name}: measured cost equals the cost function`).toEqual(predicted);
  expect((flights ?? []).reduce((s, f) => s + f.c2s, 0), `${c.name}: flights add up`).toBe(own.bytesClientToServer);
  if (refill.length === 0) expect(clock.rounds, `${c.name}: rounds of the flights`).toBe(own.rounds);
  if (twin instanceof Uint8Array) {
    expect(openBits(r.server as Uint8Array, r.client as Uint8Array)).toEqual(twin);
    return { twinUlps: 0, refErr: 0 };
  }
  const oe = c.outEll ?? ell, ring = ringOf(oe), fx = new Fixed(oe, c.outS ?? s);
  const got = open(r.server as RingArray, r.client as RingArray, oe);
  const d = ring.toSigned(ring.sub(got, twin)), tv = ring.toSigned(twin);
  let twinUlps = 0;
  for (let i = 0; i < d.length; i++) {
    const tol = exact ? 0 : typeof c.twinTol === 'number' ? c.twinTol : c.twinTol(tv[i]);
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
  // ≈ 120 s alone on this VM (recip/rsqrt evaluate a candidate per octave: IKNP's OT extension
  // for 30× the polynomial's COTs); 180 s was too tight at a load average of 15.
  it('every primitive', { timeout: 360_000 }, async () => {
    for (const c of cases(19, 200)) await check('real', c, 9);
  });
});

// Exact mode (docs/tuning.md, "Exact mode"): every primitive's secure result equals its twin bit for
// bit, and its cost function prices the exact protocol (bytes and rounds measured on the channel).
describe('nonlinear conformance in exact mode (ideal OT, n = 257)', () => {
  for (const c of cases(257, 100)) {
    it(`${c.name} ${JSON.stringify(c.params)} == twin`, async () => {
      await check('ideal', c, 5, IKNP, undefined, true);
    });
  }
});

describe('nonlinear conformance in exact mode (real OtEngine, Ferret, toy parameters, n = 19, one session)', () => {
  it('every primitive == twin, bytes as predicted', { timeout: 240_000 }, async () => {
    const pair = await makePair('real', 9, FERRET_TOY);
    for (const c of cases(19, 200)) await check('real', c, 9, FERRET_TOY, pair, true);
  });
});

// Ferret refills between calls here as the executor does between steps (prefill for the call's
// COTs, settle after). Toy parameters (tests only) run many setup and main iterations; the
// default schedule bootstraps once. Shared sessions compare bytes; fresh pairs (toy parameters,
// one per primitive) compare rounds too, refills included.
describe.each([
  { name: 'Ferret, toy parameters', backend: FERRET_TOY, n: 19 },
  { name: 'Ferret, toy parameters', backend: FERRET_TOY, n: 300 },
  { name: 'Ferret, default schedule', backend: { kind: 'ferret', schedule: DEFAULT_SCHEDULE } as TestBackend, n: 19 },
])('nonlinear conformance (real OtEngine, $name, n = $n, one session)', ({ backend, n }) => {
  it('every primitive', { timeout: 180_000 }, async () => {
    const pair = await makePair('real', 9, backend);
    for (const c of cases(n, 200)) await check('real', c, 9, backend, pair);
  });
});

// A session per case costs a base-OT setup each (≈ 1 s here): every eighth case by default, all of
// them with CIPHERPRUNE_SLOW=1.
const SLOW = process.env.CIPHERPRUNE_SLOW === '1';
describe('nonlinear conformance (real OtEngine, Ferret, toy parameters, n = 19, a session per primitive)', () => {
  it('rounds included, refills before the call', { timeout: SLOW ? 600_000 : 180_000 }, async () => {
    for (const c of cases(19, 200).filter((_, i) => SLOW || i % 8 === 0)) await check('real', c, 9, FERRET_TOY);
  });
});
