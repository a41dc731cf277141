// Packed HE results in the product path (pack.ts, server-core / client-core / engine): the shares of
// [X]·W and [A]·[B] open to the plaintext twin mod 2^ell, and the channel's counters equal the cost
// functions, with packed contexts (HeParams.packed: t' = 2^(ell+4), the client's Galois keys for the
// merge tree in the setup: galois.ts). One thread here; the worker path in threads.test.ts style below.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import {
  heSetupCost, heMatmulClient, heMatmulServer, heBatchMatmulClient, heBatchMatmulServer, heMatmulCost, heBatchMatmulCost, makeBlocking,
  HePool, type HeStats, type PoolSession,
} from '../../src/crypto/he/index.ts';
import { twin, firstMismatch, expectCounted, sessionPair, type Pair } from './helpers.ts';

describe('packed HE results: products', () => {
  const pairs = new Map<number, Pair>();
  beforeAll(async () => {
    for (const ell of [32, 37]) {
      const p = await sessionPair(ell, { packed: true });
      expect(p.ctx.pack).toBe(16);
      expect(p.c.totals.bytesSent).toBe(heSetupCost({ ell, packed: true }).bytesUp);
      pairs.set(ell, p);
    }
  }, 120_000);
  afterAll(() => {
    for (const p of pairs.values()) p.close();
  });

  for (const ell of [32, 37]) {
    it(`[X]·W, ell = ${ell}: ragged blocks, groups the row does not fill, chosen and forced blockings`, async () => {
      const { ctx, cs, ss } = pairs.get(ell)!;
      for (const [n, k, m, b] of [
        [5, 37, 29, makeBlocking(5, 37, 29, 4, 16, 6)],
        [3, 20, 70, makeBlocking(3, 20, 70, 3, 8, 8)],
        [9, 40, 33, undefined],
      ] as const) {
        const [c, s] = MemoryChannel.pair();
        const Xc = ctx.ring.random(n * k, Prg.fromInt(1)), Xs = ctx.ring.random(n * k, Prg.fromInt(2)), W = ctx.ring.random(k * m, Prg.fromInt(3));
        const stats: HeStats = { busyMs: 0, measureBudget: true };
        const [yc, ys] = await Promise.all([
          heMatmulClient(c, cs, Xc, n, k, m, { blocking: b, stats }),
          heMatmulServer(s, ss, Xs, W, n, k, m, { blocking: b, prg: Prg.fromInt(4) }),
        ]);
        const cost = heMatmulCost(n, k, m, ctx.params, b);
        expect(cost.blocking.P ?? 1).toBeGreaterThan(1);
        expect(firstMismatch(ctx.ring, yc, ys, twin(ctx.ring, ctx.ring.add(Xc, Xs), W, 1, n, k, m))).toBe(-1);
        expectCounted(cost, c, s);
        expect(stats.minBudgetBits!).toBeGreaterThan(1);
      }
    }, 120_000);
  }

  it('[A]·[B] over heads with Bᵀ, ell = 37', async () => {
    const { ctx, cs, ss } = pairs.get(37)!;
    const shape = { heads: 2, n: 10, k: 13, m: 11, transposeB: true };
    const b = makeBlocking(10, 13, 11, 4, 8, 4);
    const Ac = ctx.ring.random(2 * 10 * 13, Prg.fromInt(5)), As = ctx.ring.random(2 * 10 * 13, Prg.fromInt(6));
    const Bc = ctx.ring.random(2 * 13 * 11, Prg.fromInt(7)), Bs = ctx.ring.random(2 * 13 * 11, Prg.fromInt(8));
    const [c, s] = MemoryChannel.pair();
    const [yc, ys] = await Promise.all([heBatchMatmulClient(c, cs, Ac, Bc, shape, { blocking: b }), heBatchMatmulServer(s, ss, As, Bs, shape, { blocking: b })]);
    const cost = heBatchMatmulCost(shape, ctx.params, b);
    expect(cost.blocking.P).toBe(4);
    expect(firstMismatch(ctx.ring, yc, ys, twin(ctx.ring, ctx.ring.add(Ac, As), ctx.ring.add(Bc, Bs), 2, 10, 13, 11, true))).toBe(-1);
    expectCounted(cost, c, s);
  }, 120_000);
});

describe('packed HE results: products on worker threads', () => {
  let p: Pair;
  let cpool: HePool, spool: HePool;
  let pc: PoolSession, ps: PoolSession;
  beforeAll(async () => {
    p = await sessionPair(32, { packed: true });
    [cpool, spool] = [new HePool(2), new HePool(3)];
    pc = await cpool.open('client', 32, p.cs.exportKeys(), true);
    ps = await spool.open('server', 32, { pk: p.ss.exportPublicKey(), galois: p.ss.exportGaloisKeys() }, true);
  }, 120_000);
  afterAll(async () => {
    await pc.close();
    await ps.close();
    await cpool.close();
    await spool.close();
    p.close();
  });

  it('[X]·W and [A]·[B]: the same shares as the twin and the same bytes as one thread, groups split over 3 workers', async () => {
    const { ctx, cs, ss } = p;
    const n = 6, k = 40, m = 90, b = makeBlocking(n, k, m, 3, 8, 8); // mb = 12: groups of 8 and 4 (P = 8), on workers by group
    const Xc = ctx.ring.random(n * k, Prg.fromInt(11)), Xs = ctx.ring.random(n * k, Prg.fromInt(12)), W = ctx.ring.random(k * m, Prg.fromInt(13));
    const [c, s] = MemoryChannel.pair();
    const [yc, ys] = await Promise.all([heMatmulClient(c, cs, Xc, n, k, m, { blocking: b, pool: pc }), heMatmulServer(s, ss, Xs, W, n, k, m, { blocking: b, pool: ps })]);
    expect(firstMismatch(ctx.ring, yc, ys, twin(ctx.ring, ctx.ring.add(Xc, Xs), W, 1, n, k, m))).toBe(-1);
    expectCounted(heMatmulCost(n, k, m, ctx.params, b), c, s);
    const shape = { heads: 4, n: 5, k: 16, m: 20 };
    const Ac = ctx.ring.random(4 * 5 * 16, Prg.fromInt(14)), As = ctx.ring.random(4 * 5 * 16, Prg.fromInt(15));
    const Bc = ctx.ring.random(4 * 16 * 20, Prg.fromInt(16)), Bs = ctx.ring.random(4 * 16 * 20, Prg.fromInt(17));
    const [c2, s2] = MemoryChannel.pair();
    const [zc, zs] = await Promise.all([heBatchMatmulClient(c2, cs, Ac, Bc, shape, { pool: pc }), heBatchMatmulServer(s2, ss, As, Bs, shape, { pool: ps })]);
    expect(firstMismatch(ctx.ring, zc, zs, twin(ctx.ring, ctx.ring.add(Ac, As), ctx.ring.add(Bc, Bs), 4, 5, 16, 20))).toBe(-1);
    expectCounted(heBatchMatmulCost(shape, ctx.params), c2, s2);
  }, 180_000);
});
