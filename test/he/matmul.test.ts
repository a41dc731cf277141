// [X]·W with the server's plaintext weights: exact against the plaintext twin, mod 2^ell.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Prg } from '../../src/crypto/prg.ts';
import { heMatmulClient, heMatmulServer, makeBlocking } from '../../src/crypto/he/index.ts';
import type { Blocking, HeStats } from '../../src/crypto/he/index.ts';
import { sessionPair, twin, firstMismatch } from './helpers.ts';
import type { Pair } from './helpers.ts';

async function product(p: Pair, n: number, k: number, m: number, seed: number, blocking?: Blocking, zeroW = false) {
  const ring = p.ctx.ring;
  const X = ring.random(n * k, Prg.fromInt(seed));
  const W = zeroW ? ring.alloc(k * m) : ring.random(k * m, Prg.fromInt(seed + 1));
  const [Xc, Xs] = ring.share(X, Prg.fromInt(seed + 2));
  const cst: HeStats = { busyMs: 0, measureBudget: true };
  const sst: HeStats = { busyMs: 0 };
  const [Yc, Ys] = await Promise.all([
    heMatmulClient(p.c, p.cs, Xc, n, k, m, { blocking, stats: cst }),
    heMatmulServer(p.s, p.ss, Xs, W, n, k, m, { blocking, stats: sst, prg: Prg.fromInt(seed + 3) }),
  ]);
  return { mismatch: firstMismatch(ring, Yc, Ys, twin(ring, X, W, 1, n, k, m)), cst, sst, Yc };
}

describe('HE [X]·W, ell = 32', () => {
  let p: Pair;
  beforeAll(async () => { p = await sessionPair(32); });
  afterAll(() => p.close());

  it('small and ragged shapes with the optimizer blocking', async () => {
    for (const [n, k, m, seed] of [[1, 1, 1, 10], [3, 5, 2, 20], [17, 33, 9, 30], [2, 300, 45, 40]]) {
      const r = await product(p, n, k, m, seed);
      expect(r.mismatch, `${n}x${k}·${k}x${m}`).toBe(-1);
    }
  });

  it('many blocks in every dimension, none of the sizes a multiple of the blocks', async () => {
    const b = makeBlocking(13, 22, 17, 4, 5, 6); // nb = 4, kb = 5, mb = 3, all ragged
    const r = await product(p, 13, 22, 17, 50, b);
    expect(r.mismatch).toBe(-1);
  });

  it('a shape that needs several polynomials with the optimizer (wide k)', async () => {
    const r = await product(p, 4, 2500, 7, 60);
    expect(r.mismatch).toBe(-1);
  });

  it('all-zero weights still give valid, masked shares', async () => {
    const r = await product(p, 5, 6, 7, 70, undefined, true);
    expect(r.mismatch).toBe(-1);
    expect(Array.from(r.Yc as Uint32Array).some((v) => v !== 0)).toBe(true); // masked, not zero
  });

  it('noise: worst-case analysis and measured headroom leave margin; flooding meets 2^-40', async () => {
    const r = await product(p, 8, 40, 8, 80);
    expect(r.mismatch).toBe(-1);
    const nz = r.sst.noise!;
    expect(nz.statDistance).toBeLessThanOrEqual(-40);
    for (const m of nz.margin) expect(m).toBeGreaterThan(4); // 5 bits at levels 1 and 2 with the 60+54+40 chain (docs/he.md)
    // Download rounding (docs/he.md): c1 loses 17 bits, c0 24; one bit of analytic margin is kept.
    expect(nz.download).toMatchObject({ d0: 24, d1: 17 });
    expect(nz.download.margin).toBeGreaterThanOrEqual(1);
    // Measured on the rounded ciphertexts: the largest noise found leaves 2 to 5 bits (the bound
    // is a 2^-40 tail, the typical noise is about 2^21.5 against a room of 2^27).
    expect(r.cst.minBudgetBits!).toBeGreaterThanOrEqual(2);
    expect(r.cst.minBudgetBits!).toBeLessThan(5);
  });
});

describe('HE [X]·W, other ring widths', () => {
  for (const ell of [16, 40]) {
    it(`ell = ${ell}`, async () => {
      const p = await sessionPair(ell);
      try {
        const b = makeBlocking(6, 10, 5, 4, 3, 2);
        expect((await product(p, 6, 10, 5, 100 + ell, b)).mismatch).toBe(-1);
        const r = await product(p, 9, 31, 4, 200 + ell);
        expect(r.mismatch).toBe(-1);
        expect(r.cst.minBudgetBits!).toBeGreaterThan(0);
      } finally {
        p.close();
      }
    });
  }
});
