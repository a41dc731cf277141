// [A]·[B] for two secret-shared operands, batched over heads (Q·Kᵀ with Bᵀ given, and P·V).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Prg } from '../../src/crypto/prg.ts';
import { heBatchMatmulClient, heBatchMatmulServer, makeBlocking } from '../../src/crypto/he/index.ts';
import type { BatchShape, Blocking, HeStats } from '../../src/crypto/he/index.ts';
import { sessionPair, twin, firstMismatch } from './helpers.ts';
import type { Pair } from './helpers.ts';

async function batch(p: Pair, shape: BatchShape, seed: number, blocking?: Blocking) {
  const ring = p.ctx.ring;
  const { heads, n, k, m } = shape;
  const A = ring.random(heads * n * k, Prg.fromInt(seed));
  const B = ring.random(heads * k * m, Prg.fromInt(seed + 1));
  const [Ac, As] = ring.share(A, Prg.fromInt(seed + 2));
  const [Bc, Bs] = ring.share(B, Prg.fromInt(seed + 3));
  const cst: HeStats = { busyMs: 0, measureBudget: true };
  const [Cc, Cs] = await Promise.all([
    heBatchMatmulClient(p.c, p.cs, Ac, Bc, shape, { blocking, stats: cst }),
    heBatchMatmulServer(p.s, p.ss, As, Bs, shape, { blocking, prg: Prg.fromInt(seed + 4) }),
  ]);
  return { mismatch: firstMismatch(ring, Cc, Cs, twin(ring, A, B, heads, n, k, m, !!shape.transposeB)), cst };
}

describe('HE [A]·[B] over heads, ell = 32', () => {
  let p: Pair;
  beforeAll(async () => { p = await sessionPair(32); });
  afterAll(() => p.close());

  it('Q·Kᵀ per head (B given transposed), 12 heads', async () => {
    const r = await batch(p, { heads: 12, n: 9, k: 8, m: 9, transposeB: true }, 10);
    expect(r.mismatch).toBe(-1);
    expect(r.cst.minBudgetBits!).toBeGreaterThanOrEqual(2); // measured after the download rounding (docs/he.md)
  });

  it('P·V per head, ragged multi-block blocking', async () => {
    const shape = { heads: 3, n: 11, k: 11, m: 7 };
    const r = await batch(p, shape, 20, makeBlocking(11, 11, 7, 3, 4, 5));
    expect(r.mismatch).toBe(-1);
  });

  it('Bᵀ variant with several blocks', async () => {
    const shape = { heads: 2, n: 10, k: 13, m: 6, transposeB: true };
    const r = await batch(p, shape, 30, makeBlocking(10, 13, 6, 4, 6, 4));
    expect(r.mismatch).toBe(-1);
  });

  it('optimizer blocking for an attention-like shape', async () => {
    const r = await batch(p, { heads: 2, n: 40, k: 16, m: 40, transposeB: true }, 40);
    expect(r.mismatch).toBe(-1);
  });
});

describe('HE [A]·[B], ell = 40 (BigUint64Array ring)', () => {
  it('exact with full-range shares', async () => {
    const p = await sessionPair(40);
    try {
      const r = await batch(p, { heads: 2, n: 5, k: 7, m: 6 }, 50, makeBlocking(5, 7, 6, 2, 3, 4));
      expect(r.mismatch).toBe(-1);
      const q = await batch(p, { heads: 3, n: 6, k: 4, m: 6, transposeB: true }, 60);
      expect(q.mismatch).toBe(-1);
    } finally {
      p.close();
    }
  });
});
