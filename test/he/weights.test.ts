// Weights prepared once (src/crypto/he/weights.ts): products with cached weight blocks are exact,
// the cache survives the context and session that filled it, respects its budget, and frees its
// SEAL objects on eviction and clear.
import { describe, it, expect } from 'vitest';
import { Prg } from '../../src/crypto/prg.ts';
import { heMatmulClient, heMatmulServer, makeBlocking, HeWeightCache, CACHED_BLOCK_BYTES, MAX_CACHE_BYTES_PER_THREAD, SEAL_HEAP_BYTES } from '../../src/crypto/he/index.ts';
import type { Blocking, HeStats } from '../../src/crypto/he/index.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import { sessionPair, twin, firstMismatch } from './helpers.ts';
import type { Pair } from './helpers.ts';

async function product(p: Pair, W: RingArray, n: number, k: number, m: number, seed: number, cache: HeWeightCache, blocking?: Blocking) {
  const ring = p.ctx.ring;
  const X = ring.random(n * k, Prg.fromInt(seed));
  const [Xc, Xs] = ring.share(X, Prg.fromInt(seed + 1));
  const sst: HeStats = { busyMs: 0 };
  const [Yc, Ys] = await Promise.all([
    heMatmulClient(p.c, p.cs, Xc, n, k, m, { blocking }),
    heMatmulServer(p.s, p.ss, Xs, W, n, k, m, { blocking, weights: cache, stats: sst, prg: Prg.fromInt(seed + 2) }),
  ]);
  return firstMismatch(ring, Yc, Ys, twin(ring, X, W, 1, n, k, m));
}

describe('HE weights prepared once', () => {
  it('cached products are exact, across a new context and session, within the budget; eviction frees', async () => {
    const cache = new HeWeightCache(64 * CACHED_BLOCK_BYTES);
    const n = 13, k = 22, m = 17;
    const b = makeBlocking(n, k, m, 4, 5, 6); // kb = 5, mb = 3: 15 weight blocks
    let p = await sessionPair(32);
    const ring = p.ctx.ring;
    const W = ring.random(k * m, Prg.fromInt(5));
    const Z = ring.alloc(k * m);
    for (let i = 0; i < 20; i++) Z[i * 7] = W[i * 7]; // block-sparse: some all-zero blocks
    try {
      expect(await product(p, W, n, k, m, 10, cache, b)).toBe(-1);
      let r = cache.report();
      expect(r.blocks).toBe(15);
      expect(r.bytes).toBe(15 * CACHED_BLOCK_BYTES);
      expect(r.hits).toBe(0);
      expect(await product(p, W, n, k, m, 20, cache, b)).toBe(-1); // all hits
      expect(cache.report().hits).toBe(15);
      // A copy of the same weights (another array, same bytes) hits too; other weights miss.
      expect(await product(p, W.slice(), n, k, m, 30, cache, b)).toBe(-1);
      expect(cache.report().hits).toBe(30);
      expect(await product(p, Z, n, k, m, 35, cache, b)).toBe(-1);
      expect(await product(p, Z, n, k, m, 36, cache, b)).toBe(-1);
      expect(cache.report().matrices).toBe(2);
      p.close();
      // The cache outlives the context and session that filled it.
      p = await sessionPair(32);
      expect(await product(p, W, n, k, m, 40, cache, b)).toBe(-1);
      r = cache.report();
      expect(r.hits).toBe(60);
      // Fewer rows (a pruned layer) with the same dw and mw hit: the blocks do not depend on nw.
      expect(await product(p, W, 5, k, m, 45, cache, makeBlocking(5, k, m, 5, 5, 6))).toBe(-1);
      expect(cache.report()).toMatchObject({ hits: 75, matrices: 2 });
      // Another blocking of the same weights is another entry.
      expect(await product(p, W, n, k, m, 50, cache, makeBlocking(n, k, m, 13, 22, 17))).toBe(-1);
      expect(cache.report().matrices).toBe(3);
      cache.evict(HeWeightCache.key(32, W, k, m, false, b));
      expect(cache.report().blocks).toBe(16);
      expect(await product(p, W, n, k, m, 60, cache, b)).toBe(-1); // rebuilt
    } finally {
      p.close();
      cache.clear();
    }
    expect(cache.report().bytes).toBe(0);
  });

  it('a budget smaller than the weights caches what fits; the rest is prepared per product', async () => {
    const cache = new HeWeightCache(4 * CACHED_BLOCK_BYTES);
    const p = await sessionPair(16);
    try {
      const n = 5, k = 12, m = 9;
      const b = makeBlocking(n, k, m, 5, 4, 3); // 9 weight blocks
      const W = p.ctx.ring.random(k * m, Prg.fromInt(7));
      for (let i = 0; i < 3; i++) expect(await product(p, W, n, k, m, 70 + i, cache, b)).toBe(-1);
      const r = cache.report();
      expect(r.blocks).toBe(4);
      expect(r.bytes).toBeLessThanOrEqual(r.budgetBytes);
      expect(r.hits).toBe(8);
      expect(r.misses).toBe(27 - 8);
    } finally {
      p.close();
      cache.clear();
    }
  });

  it('a budget larger than a SEAL heap is clamped to what one thread can hold, and a full heap is a clear error', () => {
    // node-seal is wasm32: one instance's heap is at most 4 GiB - 64 KiB, its other work needs a reserve.
    expect(SEAL_HEAP_BYTES).toBe(4294901760);
    expect(MAX_CACHE_BYTES_PER_THREAD).toBeGreaterThan(2.5 * 2 ** 30);
    expect(MAX_CACHE_BYTES_PER_THREAD).toBeLessThan(SEAL_HEAP_BYTES - 2 ** 30);
    expect(MAX_CACHE_BYTES_PER_THREAD % CACHED_BLOCK_BYTES).toBe(0);
    const cache = new HeWeightCache(16 * 2 ** 30); // bench/he/layer.ts asked this before: std::bad_alloc
    expect(cache.report()).toMatchObject({ budgetBytes: MAX_CACHE_BYTES_PER_THREAD, requestedBytes: 16 * 2 ** 30 });
    cache.budgetBytes = 10 * CACHED_BLOCK_BYTES; // below the limit: as asked
    expect(cache.report()).toMatchObject({ budgetBytes: 10 * CACHED_BLOCK_BYTES, requestedBytes: 10 * CACHED_BLOCK_BYTES });
    expect(() => (cache.budgetBytes = -1)).toThrow(/>= 0 bytes/);
    // SEAL's allocation failure (a WebAssembly.Exception with message [type, text]) while filling
    // the cache: a readable error naming the limit and the option, and the cache stops growing.
    const badAlloc = { message: ['std::bad_alloc', 'std::bad_alloc'] };
    expect(() => cache.add('k', 0, () => { throw badAlloc; }, () => true)).toThrow(/SEAL heap \(wasm32, at most 4095 MiB\) is full after 0 MiB .*--he-cache-mb; at most \d+ MiB per thread/);
    expect(cache.fits()).toBe(false);
    expect(cache.report()).toMatchObject({ blocks: 0, bytes: 0, budgetBytes: 0 });
    // Other failures pass through unchanged.
    const other = new HeWeightCache(CACHED_BLOCK_BYTES);
    expect(() => other.add('k', 0, () => { throw new Error('boom'); }, () => true)).toThrow(/^boom$/);
    expect(other.fits()).toBe(true);
  });
});
