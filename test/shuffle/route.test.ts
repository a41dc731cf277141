// compact, partition and unpartition through their op-table rows over the real OT engine (one
// session for all cases): the opened outputs equal the twins exactly, order included, for keep
// masks all-true, only-forced, single, alternating and random, n ∈ {1, 2, 3, 17, 128},
// d ∈ {1, 64, 768}, fixed-point, ring (ℓ = 13, 37, 64) and boolean payloads; bytes and rounds equal
// the rows' cost. The default suite runs every mask and encoding at n ≤ 17 with d ∈ {1, 64} and
// n = 128 with d ∈ {1, 64, 768} on random masks; CIPHERPRUNE_SLOW=1 runs the full cross product.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Enc } from '../../src/front/types.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { ringOf, type RingArray } from '../../src/crypto/ring.ts';
import { RoundClock } from '../../src/transport/round-clock.ts';
import { makeCostParams, opRow } from '../../src/ir/ops/table.ts';
import type { ExecCtx, OpCall } from '../../src/ir/ops/types.ts';
import type { Data } from '../../src/ir/tensor.ts';
import { makePair, type Pair } from '../nonlinear/harness.ts';

const SLOW = process.env.CIPHERPRUNE_SLOW === '1';
type Mode = 'compact' | 'partition' | 'unpartition';
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

/** Run one op on both parties; check the opened result against the twin and the cost. */
async function check(mode: Mode, enc: Enc, n: number, d: number, m: Uint8Array, seed: number): Promise<void> {
  const count = m.reduce((s, v) => s + v, 0);
  const shape = d === 1 ? [n] : [n, d];
  const x = shared(enc, n * d, seed), bits = shared({ kind: 'bool' }, n, seed + 1);
  bits.plain = m;
  bits.server = m.map((v, i) => v ^ (bits.client as Uint8Array)[i]);
  const outShape = mode === 'compact' ? [count, ...shape.slice(1)] : shape;
  const call: OpCall = {
    args: [{ vis: 'secret', enc, shape }, { vis: 'secret', enc: { kind: 'bool' }, shape: [n] }, { vis: 'public', enc: { kind: 'int' }, shape: [] }],
    type: { vis: 'secret', enc, shape: outShape },
    attrs: { [mode === 'compact' ? 'k' : 'k1']: count },
  };
  const row = opRow(mode);
  const k = Float64Array.of(count);
  const before = { c: { ...pair.cc.totals }, s: { ...pair.sc.totals } };
  const [s, c] = await Promise.all([
    row.impl!(ctxOf(pair.server), [{ ...call.args[0], data: x.server }, { ...call.args[1], data: bits.server }, { ...call.args[2], data: k }], call),
    row.impl!(ctxOf(pair.client), [{ ...call.args[0], data: x.client }, { ...call.args[1], data: bits.client }, { ...call.args[2], data: k }], call),
  ]);
  const got = open(enc, s!, c!);
  const want = row.twin({ args: [{ shape, enc, data: x.plain }, { shape: [n], enc: { kind: 'bool' }, data: m }, { shape: [], enc: { kind: 'int' }, data: k }], shape: outShape, enc, attrs: {}, mode: 'fixed' }).data;
  expect(Array.from(got as ArrayLike<number | bigint>)).toEqual(Array.from(want as ArrayLike<number | bigint>));
  // Cost: bytes exactly; rounds as the clock advance (every route starts with a server message,
  // so the advance does not depend on the clocks' starting state).
  const params = makeCostParams();
  params.otSetup();
  const flights = row.cost(call, params);
  const clock = new RoundClock();
  flights.forEach((f) => clock.flight(f));
  const measured = [pair.cc.totals.bytesSent - before.c.bytesSent, pair.sc.totals.bytesSent - before.s.bytesSent, Math.max(pair.cc.totals.rounds, pair.sc.totals.rounds) - Math.max(before.c.rounds, before.s.rounds)];
  expect(measured).toEqual([flights.reduce((a, f) => a + f.c2s, 0), flights.reduce((a, f) => a + f.s2c, 0), clock.rounds]);
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

describe('oblivious routing ops over real OT', () => {
  it.each(cases)('%s %s %j n=%i d=%i mask %s', async (mode, _name, enc, n, d, mk) => {
    await check(mode, enc, n, d, mask(mk, n, n * 1000 + d), n + d);
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
