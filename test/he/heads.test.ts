// Head groups of [A]·[B] (heads.ts, docs/he.md "Small products: head groups"): several heads as one
// block-diagonal product. Real SEAL, packed results (the product path's default): shares opened and
// compared with the BigInt twin (exact over Z_2^ell), bytes/messages/rounds counted at the channel
// equal to heBatchMatmulCost, for few and many tokens and 2 and 12 heads.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Prg } from '../../src/crypto/prg.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { heBatchMatmulClient, heBatchMatmulServer, heBatchMatmulCost, makeBlocking } from '../../src/crypto/he/index.ts';
import type { BatchShape, Blocking } from '../../src/crypto/he/index.ts';
import { groupLeft, groupRight, groupedShape, ungroupResult } from '../../src/crypto/he/heads.ts';
import { ringOf } from '../../src/ir/tensor.ts';
import { sessionPair, twin, firstMismatch, expectCounted } from './helpers.ts';
import type { Pair } from './helpers.ts';

const SLOW = process.env.CIPHERPRUNE_SLOW === '1';

async function run(p: Pair, shape: BatchShape, seed: number, blocking?: Blocking) {
  const ring = p.ctx.ring, { heads, n, k, m } = shape;
  const A = ring.random(heads * n * k, Prg.fromInt(seed)), B = ring.random(heads * k * m, Prg.fromInt(seed + 1));
  const [Ac, As] = ring.share(A, Prg.fromInt(seed + 2)), [Bc, Bs] = ring.share(B, Prg.fromInt(seed + 3));
  const [c, s] = MemoryChannel.pair();
  const [Cc, Cs] = await Promise.all([
    heBatchMatmulClient(c, p.cs, Ac, Bc, shape, { blocking }),
    heBatchMatmulServer(s, p.ss, As, Bs, shape, { blocking, prg: Prg.fromInt(seed + 4) }),
  ]);
  const cost = heBatchMatmulCost(shape, p.ctx.params, blocking);
  expect(firstMismatch(ring, Cc, Cs, twin(ring, A, B, heads, n, k, m, !!shape.transposeB))).toBe(-1);
  expectCounted(cost, c, s);
  return cost;
}

describe('head groups: re-layout', () => {
  it('block-diagonal product of the grouped operands equals the per-head products', () => {
    const ring = ringOf(32), shape = { heads: 6, n: 3, k: 4, m: 5, transposeB: true };
    const A = ring.random(6 * 3 * 4, Prg.fromInt(1)), B = ring.random(6 * 4 * 5, Prg.fromInt(2));
    for (const g of [1, 2, 3, 6]) {
      const s = groupedShape(shape, g), A2 = groupLeft(ring, A, shape, g), B2 = groupRight(ring, B, shape, g);
      expect(B2.length).toBe(s.heads * s.k * s.m); // zeros off the diagonal
      const C2 = twin(ring, A2, B2, s.heads, s.n, s.k, s.m, true).map((v) => Number(v));
      const C = ungroupResult(ring, Uint32Array.from(C2), shape, g);
      expect([...C].map(BigInt)).toEqual(twin(ring, A, B, 6, 3, 4, 5, true));
    }
    expect(() => groupedShape(shape, 4)).toThrow(/does not divide/);
  });
});

describe('head groups on real SEAL, ell = 32, packed results', () => {
  let p: Pair;
  beforeAll(async () => { p = await sessionPair(32, { packed: true }); }, 60_000);
  afterAll(() => p.close());

  // The bundled classifier's attention (2 heads of width 32) at 1, 4, 32 and 128 tokens.
  for (const n of [1, 4, 32, 128]) {
    it(`2 heads of width 32, ${n} tokens: Q·Kᵀ and P·V`, async () => {
      const qk = await run(p, { heads: 2, n, k: 32, m: n, transposeB: true }, 100 + n);
      const pv = await run(p, { heads: 2, n, k: n, m: 32 }, 200 + n);
      if (n <= 4) {
        // Both heads in one product: one upload instead of one per head and operand.
        expect(qk.blocking.group).toBe(2);
        expect(pv.blocking.group).toBe(2);
        expect(qk.inCts).toBe(1); // and both operands in one upload (packing.ts jointOffset)
        expect(pv.inCts).toBe(1);
      }
    }, 180_000);
  }

  // BERT-base heads (12 of width 64) at the pruned layers' sizes; 32 and 128 tokens are slow.
  for (const n of SLOW ? [1, 4, 32, 128] : [1, 4]) {
    it(`12 heads of width 64, ${n} tokens: Q·Kᵀ and P·V`, async () => {
      const qk = await run(p, { heads: 12, n, k: 64, m: n, transposeB: true }, 300 + n);
      await run(p, { heads: 12, n, k: n, m: 64 }, 400 + n);
      if (n <= 4) expect(qk.blocking.group ?? 1).toBeGreaterThan(1);
      if (n === 128) expect(qk.blocking.group ?? 1).toBe(1);
    }, 600_000);
  }

  it('a caller-given head group with a multi-block grouped blocking (ragged edges), and a plain product refuses groups', async () => {
    const shape = { heads: 4, n: 5, k: 6, m: 7 };
    const b = { ...makeBlocking(5, 12, 14, 3, 5, 4), group: 2 }; // grouped: 5 × 12 · 12 × 14
    const cost = await run(p, shape, 500, b);
    expect(cost.blocking.group).toBe(2);
    expect(cost.inCts).toBe(2 * 3 * 4); // joint uploads: max(nb, mb) = 4 per k-block instead of nb + mb = 6
    expect(() => heBatchMatmulCost({ heads: 4, n: 5, k: 6, m: 7 }, p.ctx.params, { ...makeBlocking(5, 6, 7, 5, 6, 7), group: 3 })).toThrow(/does not divide/);
  }, 120_000);
});

describe('head groups and joint uploads on wide rings and worker threads', () => {
  it('ell = 40 (BigUint64Array ring, own share added in the ciphertexts), 2 and 12 heads, 4 tokens', async () => {
    const p = await sessionPair(40);
    try {
      const qk = await run(p, { heads: 2, n: 4, k: 32, m: 4, transposeB: true }, 600);
      expect(qk.blocking.group).toBe(2);
      expect(qk.inCts).toBe(1);
      await run(p, { heads: 12, n: 4, k: 4, m: 64 }, 610);
    } finally {
      p.close();
    }
  }, 120_000);
});
