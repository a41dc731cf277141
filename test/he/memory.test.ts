// 1,000 consecutive products in one process must not grow RSS by more than 25 % after warm-up
// (every SEAL object is deleted; node-seal 7 never frees an un-deleted object).
import { describe, it, expect } from 'vitest';
import { Prg } from '../../src/crypto/prg.ts';
import { heMatmulClient, heMatmulServer } from '../../src/crypto/he/index.ts';
import { sessionPair, twin, firstMismatch } from './helpers.ts';

describe('HE memory', () => {
  it('1,000 products: RSS growth <= 25 % after warm-up (a leaked plaintext per product would be ≈ 40 %)', async () => {
    const p = await sessionPair(32);
    try {
      const ring = p.ctx.ring;
      const n = 3, k = 4, m = 2;
      const X = ring.random(n * k, Prg.fromInt(1));
      const W = ring.random(k * m, Prg.fromInt(2));
      const [Xc, Xs] = ring.share(X, Prg.fromInt(3));
      const want = twin(ring, X, W, 1, n, k, m);
      const once = async () => {
        const [Yc, Ys] = await Promise.all([heMatmulClient(p.c, p.cs, Xc, n, k, m), heMatmulServer(p.s, p.ss, Xs, W, n, k, m)]);
        return firstMismatch(ring, Yc, Ys, want);
      };
      // Warm-up of 300: RSS rises over the first ~200 products (allocator arenas, the Enc(0) stock), then stays flat.
      for (let i = 0; i < 300; i++) expect(await once()).toBe(-1);
      const before = process.memoryUsage().rss;
      let bad = 0;
      for (let i = 0; i < 1000; i++) if ((await once()) !== -1) bad++;
      const after = process.memoryUsage().rss;
      expect(bad).toBe(0);
      const growth = (after - before) / before;
      console.log(`HE memory: RSS ${(before / 2 ** 20).toFixed(1)} -> ${(after / 2 ** 20).toFixed(1)} MiB (${(100 * growth).toFixed(2)} %)`);
      // 25 %: the smallest SEAL object a product could leak, a plaintext of N u64 (64 KiB), would
      // add 62.5 MiB over 1,000 products (≈ 40 % of the ≈ 150 MiB here), a ciphertext 6x that;
      // allocator and SEAL memory-pool growth without a leak has read 2–19 % (packed products).
      expect(growth).toBeLessThanOrEqual(0.25);
    } finally {
      p.close();
    }
  }, 300_000); // 1,300 products; packed ones (the default) add a shift and its plaintext per product
});
