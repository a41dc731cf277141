// compact, partition, unpartition and compact_split through their op-table rows over the real OT
// engine (one session for all cases): the opened outputs equal the twins exactly, order included,
// for keep masks all-true, only-forced, single, alternating and random, n ∈ {1, 2, 3, 17, 128},
// d ∈ {1, 64, 768}, fixed-point, ring (ℓ = 13, 37, 64) and boolean payloads; bytes and rounds equal
// the rows' cost. The default suite runs every mask and encoding at n ≤ 17 with d ∈ {1, 64} and
// n = 128 with d ∈ {1, 64, 768} on random masks; CIPHERPRUNE_SLOW=1 runs the full cross product.
// compact_split's `first` masks are the keep mask and-ed with each mask kind (so first ⊆ keep), and
// its twin equals partition(compact(x, keep), compact(first, keep)).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Enc } from '../../src/front/types.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { ringOf, type RingArray } from '../../src/crypto/ring.ts';
import { RoundClock } from '../../src/transport/round-clock.ts';
import { makeCostParams, opRow } from '../../src/ir/ops/table.ts';
import type { ExecCtx, ExecValue, OpCall } from '../../src/ir/ops/types.ts';
import type { Data } from '../../src/ir/tensor.ts';
import { makePair, type Pair } from '../nonlinear/harness.ts';

const SLOW = process.env.CIPHERPRUNE_SLOW === '1';
type Mode = 'compact' | 'partition' | 'unpartition' | 'compact_split';
const MASKS = ['all-true', 'only-forced', 'single', 'alternating', 'random'] as const;
type MaskKind = (typeof MASKS)[number];

const ENCS: [string, Enc][] = [
  ['fix<32,12>', { kind: 'fix', ell: 32, scale: 12 }],
  ['ring<37>', { kind: 'ring', ell: 37 }],
  ['bool', { kind: 'bool' }],
];
const MORE_ENCS: [string, Enc][] = [
  ['ring<13>', { kind: 'ring', ell: 13 }],
  ['ring<64>', { kind: 'ring', ell: 64 }],
];

function mask(kind: MaskKind, n: number, seed: number): Uint8Array {
  const prg = Prg.fromInt(seed);
  switch (kind) {
    case 'all-true':
      return new Uint8Array(n).fill(1);
    case 'only-forced':
      return Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0));
    case 'single':
      return Uint8Array.from({ length: n }, (_, i) => (i === Math.floor(n / 2) ? 1 : 0));
    case 'alternating':
      return Uint8Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0));
    case 'random':
      return prg.bytes(n).map((b) => b & 1);
  }
}

/** Random plain values of an encoding (n·d elements) and their shares [server, client]. */
function shared(enc: Enc, len: number, seed: number): { plain: Data; server: Data; client: Data } {
  const prg = Prg.fromInt(seed);
  if (enc.kind === 'bool') {
    const plain = prg.bytes(len).map((b) => b & 1), r = prg.bytes(len).map((b) => b & 1);
    return { plain, server: plain.map((v, i) => v ^ r[i]), client: r };
  }
  const ring = ringOf((enc as { ell: number }).ell);
  const plain = ring.random(len, prg), r = ring.random(len, prg);
  return { plain, server: ring.sub(plain, r), client: r };
}

function open(enc: Enc, a: Data, b: Data): Data {
  if (enc.kind === 'bool') return (a as Uint8Array).map((v, i) => v ^ (b as Uint8Array)[i]);
  return ringOf((enc as { ell: number }).ell).add(a as RingArray, b as RingArray);
}

let pair: Pair;
beforeAll(async () => {
  pair = await makePair('real', 3);
});
afterAll(() => {
  pair.cc.close();
});

const ctxOf = (p: Pair['client']): ExecCtx => ({ party: p.party, ch: p.ch, prg: p.prg, engines: { ot: async () => p.ot, he: () => Promise.reject(new Error('no HE here')), fork: () => { throw new Error('routing ops never run in a concurrent group'); } } });

const BOOL: Enc = { kind: 'bool' }, INT: Enc = { kind: 'int' };
const countOf = (m: Uint8Array): number => m.reduce((s, v) => s + v, 0);
/** The op's arguments for a payload, its masks and their counts (compact_split: keep, first; k, k1). */
const argsOf = (enc: Enc, shape: number[], x: Data, masks: Data[], counts: number[]) => [
  { shape, enc, data: x },
  ...masks.map((data) => ({ shape: [shape[0]], enc: BOOL, data })),
  ...counts.map((c) => ({ shape: [] as number[], enc: INT, data: Float64Array.of(c) as Data })),
];
const twinOf = (mode: string, enc: Enc, shape: number[], outShape: number[], args: ReturnType<typeof argsOf>): Data =>
  opRow(mode).twin({ args, shape: outShape, enc, attrs: {}, mode: 'fixed' }).data;

/** Run one op on both parties; check the opened result against the twin and the cost (`first`: compact_split's second mask). */
async function check(mode: Mode, enc: Enc, n: number, d: number, m: Uint8Array, seed: number, first?: Uint8Array): Promise<void> {
  const masks = first ? [m, first] : [m], counts = masks.map(countOf), count = counts[0];
  const shape = d === 1 ? [n] : [n, d];
  const x = shared(enc, n * d, seed);
  const bits = masks.map((mm, j) => {
    const r = shared(BOOL, n, seed + 1 + j).client as Uint8Array;
    return { server: mm.map((v, i) => v ^ r[i]), client: r };
  });
  const outShape = mode === 'compact' || mode === 'compact_split' ? [count, ...shape.slice(1)] : shape;
  const names = mode === 'compact_split' ? ['k', 'k1'] : [mode === 'compact' ? 'k' : 'k1'];
  const call: OpCall = {
    args: argsOf(enc, shape, x.plain, masks, counts).map((a, i) => ({ vis: i === 0 || i <= masks.length ? 'secret' : 'public', enc: a.enc, shape: a.shape })),
    type: { vis: 'secret', enc, shape: outShape },
    attrs: Object.fromEntries(names.map((name, i) => [name, counts[i]])),
  };
  const exec = (data: Data, ms: Data[]) => argsOf(enc, shape, data, ms, counts).map((a, i) => ({ ...call.args[i], data: a.data }));
  const got = await runOp(mode, call, exec(x.server, bits.map((b) => b.server)), exec(x.client, bits.map((b) => b.client)));
  const want = twinOf(mode, enc, shape, outShape, argsOf(enc, shape, x.plain, masks, counts));
  expect(Array.from(got as ArrayLike<number | bigint>)).toEqual(Array.from(want as ArrayLike<number | bigint>));
}

/** One op on both parties (server's and client's arguments): the opened result; bytes and rounds equal the row's cost. */
async function runOp(name: string, call: OpCall, server: ExecValue[], client: ExecValue[]): Promise<Data> {
  const row = opRow(name), enc = call.type.enc;
  const before = { c: { ...pair.cc.totals }, s: { ...pair.sc.totals } };
  const [s, c] = await Promise.all([row.impl!(ctxOf(pair.server), server, call), row.impl!(ctxOf(pair.client), client, call)]);
  const got = open(enc.kind === 'int' ? { kind: 'ring', ell: 32 } : enc, s!, c!);
  // Cost: bytes exactly; rounds as the clock advance (every route starts with a server message,
  // so the advance does not depend on the clocks' starting state).
  const params = makeCostParams();
  params.otSetup();
  const flights = row.cost(call, params);
  const clock = new RoundClock();
  flights.forEach((f) => clock.flight(f));
  const measured = [pair.cc.totals.bytesSent - before.c.bytesSent, pair.sc.totals.bytesSent - before.s.bytesSent, Math.max(pair.cc.totals.rounds, pair.sc.totals.rounds) - Math.max(before.c.rounds, before.s.rounds)];
  expect(measured).toEqual([flights.reduce((a, f) => a + f.c2s, 0), flights.reduce((a, f) => a + f.s2c, 0), clock.rounds]);
  return got;
}

const cases: [Mode, string, Enc, number, number, MaskKind][] = [];
for (const mode of ['compact', 'partition', 'unpartition'] as Mode[]) {
  for (const [name, enc] of [...ENCS, ...MORE_ENCS]) {
    const extra = MORE_ENCS.some(([e]) => e === name);
    for (const n of [1, 2, 3, 17, 128]) {
      for (const d of [1, 64, 768]) {
        for (const mk of MASKS) {
          const small = n <= 17 && d <= 64 && !(extra && mode === 'unpartition');
          const big = n === 128 && mk === 'random' && !extra && mode !== 'unpartition';
          if (SLOW || small || big) cases.push([mode, name, enc, n, d, mk]);
        }
      }
    }
  }
}

/** compact_split's cases: every keep kind, first = keep ∧ (a mask kind), on a few payloads. */
const FIRSTS = ['all-true', 'only-forced', 'random'] as const;
const splitCases: [string, Enc, number, number, MaskKind, MaskKind][] = [];
for (const [name, enc, d] of [['fix<32,12>', ENCS[0][1], 1], ['fix<32,12>', ENCS[0][1], 64], ['bool', BOOL, 64], ['ring<64>', MORE_ENCS[1][1], 1]] as [string, Enc, number][]) {
  for (const n of [1, 2, 17]) for (const keep of MASKS) for (const first of FIRSTS) splitCases.push([name, enc, n, d, keep, first]);
}
splitCases.push(['fix<32,12>', ENCS[0][1], 128, 768, 'random', 'random']);
const firstOf = (keep: Uint8Array, kind: MaskKind, seed: number): Uint8Array => mask(kind, keep.length, seed).map((v, i) => v & keep[i]);

describe('oblivious routing ops over real OT', () => {
  it.each(cases)('%s %s %j n=%i d=%i mask %s', async (mode, _name, enc, n, d, mk) => {
    await check(mode, enc, n, d, mask(mk, n, n * 1000 + d), n + d);
  });

  it.each(splitCases)('compact_split %s %j n=%i d=%i keep %s, first = keep and %s', async (_name, enc, n, d, kk, fk) => {
    const keep = mask(kk, n, n * 1000 + d);
    await check('compact_split', enc, n, d, keep, n + d, firstOf(keep, fk, n * 7 + d));
  });

  it("compact_split's twin is partition(compact(x, keep), compact(first, keep)); first must imply keep, k1 be its count", () => {
    const enc: Enc = { kind: 'fix', ell: 32, scale: 12 }, n = 13, d = 3;
    const keep = mask('random', n, 11), first = firstOf(keep, 'random', 12), x = shared(enc, n * d, 2).plain;
    const k = countOf(keep), k1 = countOf(first);
    expect(k1).toBeGreaterThan(0);
    expect(k1).toBeLessThan(k);
    const kept = twinOf('compact', enc, [n, d], [k, d], argsOf(enc, [n, d], x, [keep], [k]));
    const keptFirst = twinOf('compact', BOOL, [n], [k], argsOf(BOOL, [n], first, [keep], [k])) as Uint8Array;
    const want = twinOf('partition', enc, [k, d], [k, d], argsOf(enc, [k, d], kept, [keptFirst], [k1]));
    const got = twinOf('compact_split', enc, [n, d], [k, d], argsOf(enc, [n, d], x, [keep, first], [k, k1]));
    expect(Array.from(got as Uint32Array)).toEqual(Array.from(want as Uint32Array));
    const stray = keep.map((v, i) => (v ? first[i] : 1)); // first rows that are not kept
    expect(() => twinOf('compact_split', enc, [n, d], [k, d], argsOf(enc, [n, d], x, [keep, stray], [k, countOf(stray)]))).toThrow(/first.*must imply `keep`/);
    expect(() => twinOf('compact_split', enc, [n, d], [k, d], argsOf(enc, [n, d], x, [keep, first], [k, k1 + 1]))).toThrow(/k1 = .* bits of `first` are set/);
  });

  // compact_dest, then the destinations partitioned like the rows, then route_to: GPT-2's pruning
  // of [high | low] rows back into token order equals compact(unpartition(rows)).
  it.each([
    [2, 1, 'random', 'random'], [17, 64, 'alternating', 'random'], [17, 1, 'only-forced', 'all-true'], [17, 3, 'all-true', 'single'], [128, 64, 'random', 'random'],
  ] as [number, number, MaskKind, MaskKind][])('compact_dest, partition, route_to: n=%i d=%i keep %s, hi %s', async (n, d, kk, hk) => {
    const enc = ENCS[0][1], keep = mask(kk, n, n + 5), hi = mask(hk, n, n + 6), k = countOf(keep), kh = countOf(hi);
    const secretInt: Enc = { kind: 'int' };
    const share = (m: Uint8Array, seed: number) => {
      const r = shared(BOOL, n, seed).client as Uint8Array;
      return { server: m.map((v, i) => v ^ r[i]), client: r };
    };
    const kb = share(keep, 1), hb = share(hi, 2);
    const arg = (e: Enc, shape: number[], vis: 'secret' | 'public' = 'secret') => ({ vis, enc: e, shape });
    const cd: OpCall = { args: [arg(BOOL, [n]), arg(INT, [], 'public')], type: arg(secretInt, [n]) as OpCall['type'], attrs: { k } };
    const kArg = { ...cd.args[1], data: Float64Array.of(k) as Data };
    const destS = { ...cd.args[0], data: kb.server as Data }, destC = { ...cd.args[0], data: kb.client as Data };
    const dest = await runOp('compact_dest', cd, [destS, kArg], [destC, kArg]);
    const wantDest = twinOf('compact_dest', secretInt, [n], [n], [{ shape: [n], enc: BOOL, data: keep }, { shape: [], enc: INT, data: Float64Array.of(k) }]);
    expect(Array.from(dest as Uint32Array)).toEqual(Array.from(wantDest as Float64Array));
    // Shares of the destinations: the run's own (re-shared by the test: the op's outputs were opened above).
    const dr = ringOf(32).random(n, Prg.fromInt(n)), ds = ringOf(32).sub(dest as RingArray, dr);
    const part: OpCall = { args: [arg(secretInt, [n]), arg(BOOL, [n]), arg(INT, [], 'public')], type: arg(secretInt, [n]) as OpCall['type'], attrs: { k1: kh } };
    const khArg = { ...part.args[2], data: Float64Array.of(kh) as Data };
    const destP = await runOp('partition', part, [{ ...part.args[0], data: ds }, { ...part.args[1], data: hb.server }, khArg], [{ ...part.args[0], data: dr }, { ...part.args[1], data: hb.client }, khArg]);
    const x = shared(enc, n * d, n + 7), shape = d === 1 ? [n] : [n, d];
    const xp = twinOf('partition', enc, shape, shape, argsOf(enc, shape, x.plain, [hi], [kh]));
    const xr = ringOf(32).random(n * d, Prg.fromInt(n + 8)), xs = ringOf(32).sub(xp as RingArray, xr);
    const pr = ringOf(32).random(n, Prg.fromInt(n + 9)), ps = ringOf(32).sub(destP as RingArray, pr);
    const rt: OpCall = { args: [arg(enc, shape), arg(secretInt, [n]), arg(INT, [], 'public')], type: arg(enc, [k, ...shape.slice(1)]) as OpCall['type'], attrs: { k } };
    const got = await runOp('route_to', rt, [{ ...rt.args[0], data: xs }, { ...rt.args[1], data: ps }, { ...rt.args[2], data: kArg.data }], [{ ...rt.args[0], data: xr }, { ...rt.args[1], data: pr }, { ...rt.args[2], data: kArg.data }]);
    const want = twinOf('compact', enc, shape, [k, ...shape.slice(1)], argsOf(enc, shape, x.plain, [keep], [k]));
    expect(Array.from(got as Uint32Array)).toEqual(Array.from(want as Uint32Array));
    // route_to's twin: the same rows; destinations that are not a permutation are refused.
    const twinArgs = (dst: Data) => [{ shape, enc, data: xp }, { shape: [n], enc: secretInt, data: dst }, { shape: [], enc: INT, data: Float64Array.of(k) }];
    expect(Array.from(twinOf('route_to', enc, shape, [k, ...shape.slice(1)], twinArgs(Float64Array.from(destP as Uint32Array))) as Uint32Array)).toEqual(Array.from(want as Uint32Array));
    expect(() => twinOf('route_to', enc, shape, [k, ...shape.slice(1)], twinArgs(new Float64Array(n)))).toThrow(/must be a permutation of the rows/);
  });

  it('unpartition(partition(x)) is x, and the count must match the mask', async () => {
    const enc: Enc = { kind: 'fix', ell: 32, scale: 12 };
    await check('partition', enc, 9, 4, mask('random', 9, 5), 7);
    const twin = opRow('unpartition').twin;
    const m = mask('random', 9, 5), x = shared(enc, 36, 1).plain;
    const args = (data: Data) => [{ shape: [9, 4], enc, data }, { shape: [9], enc: { kind: 'bool' } as Enc, data: m }, { shape: [], enc: { kind: 'int' } as Enc, data: Float64Array.of(m.reduce((s, v) => s + v, 0)) }];
    const part = opRow('partition').twin({ args: args(x), shape: [9, 4], enc, attrs: {}, mode: 'fixed' }).data;
    expect(Array.from(twin({ args: args(part), shape: [9, 4], enc, attrs: {}, mode: 'fixed' }).data as Uint32Array)).toEqual(Array.from(x as Uint32Array));
    expect(() => twin({ args: [args(x)[0], args(x)[1], { shape: [], enc: { kind: 'int' }, data: Float64Array.of(99) }], shape: [9, 4], enc, attrs: {}, mode: 'fixed' })).toThrow(/k1 = 99 is outside the safe range \[0, 9\] of int; the mask has 9 entries/);
  });
});
