// HE on worker threads (src/crypto/he/pool.ts, parallel.ts): products exact with 2 and 3 workers,
// [X]·W and [A]·[B], ragged blockings, the wide ring, cached weights in the workers, inputs shared
// between workers or not (the same shares); the same
// bytes as one thread; a dead worker fails the product with an error instead of a hang.
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { Prg } from '../../src/crypto/prg.ts';
import { heMatmulClient, heMatmulServer, heBatchMatmulClient, heBatchMatmulServer, heMatmulCost, makeBlocking, HePool, MAX_CACHE_BYTES_PER_THREAD } from '../../src/crypto/he/index.ts';
import type { Blocking, HeStats, PoolSession } from '../../src/crypto/he/index.ts';
import { sessionPair, twin, firstMismatch } from './helpers.ts';
import type { Pair } from './helpers.ts';

interface Pools { c: PoolSession; s: PoolSession }

async function openPools(p: Pair, cpool: HePool, spool: HePool): Promise<Pools> {
  const c = await cpool.open('client', p.ctx.params.ell, p.cs.exportKeys(), !!p.ctx.params.packed);
  const s = await spool.open('server', p.ctx.params.ell, { pk: p.ss.exportPublicKey(), galois: p.ss.exportGaloisKeys() }, !!p.ctx.params.packed);
  return { c, s };
}

async function matmul(p: Pair, pools: Pools, n: number, k: number, m: number, seed: number, blocking?: Blocking, W0?: ReturnType<Pair['ctx']['ring']['random']>) {
  const ring = p.ctx.ring;
  const X = ring.random(n * k, Prg.fromInt(seed));
  const W = W0 ?? ring.random(k * m, Prg.fromInt(seed + 1));
  const [Xc, Xs] = ring.share(X, Prg.fromInt(seed + 2));
  const cst: HeStats = { busyMs: 0, measureBudget: true };
  const sst: HeStats = { busyMs: 0 };
  const before = p.c.totals.bytesSent + p.c.totals.bytesRecv;
  const [Yc, Ys] = await Promise.all([
    heMatmulClient(p.c, p.cs, Xc, n, k, m, { blocking, pool: pools.c, stats: cst }),
    heMatmulServer(p.s, p.ss, Xs, W, n, k, m, { blocking, pool: pools.s, stats: sst, prg: Prg.fromInt(seed + 3) }),
  ]);
  const bytes = p.c.totals.bytesSent + p.c.totals.bytesRecv - before;
  return { mismatch: firstMismatch(ring, Yc, Ys, twin(ring, X, W, 1, n, k, m)), bytes, cst, sst, Yc, Ys };
}

// The wide ring on workers is the same code with BigUint64 rings: CIPHERPRUNE_SLOW=1 only.
const SLOW = process.env.CIPHERPRUNE_SLOW === '1';

describe('HE on worker threads', () => {
  let p: Pair;
  let cpool: HePool, spool: HePool;
  let pools: Pools;
  beforeAll(async () => {
    p = await sessionPair(32);
    [cpool, spool] = [new HePool(2), new HePool(3)];
    await spool.setWeightBudget(300 * 196_608);
    pools = await openPools(p, cpool, spool);
  });
  afterAll(async () => {
    await pools.c.close();
    await pools.s.close();
    await cpool.close();
    await spool.close();
    p.close();
  });

  it('[X]·W exact, ragged blockings, same bytes as one thread; cached weights hit in the workers', async () => {
    for (const [n, k, m, seed] of [[1, 1, 1, 10], [17, 33, 9, 30], [2, 300, 45, 40]]) {
      const r = await matmul(p, pools, n, k, m, seed);
      expect(r.mismatch, `${n}x${k}·${k}x${m}`).toBe(-1);
      const c = heMatmulCost(n, k, m);
      expect(r.bytes).toBe(c.bytesUp + c.bytesDown);
      expect(r.cst.minBudgetBits!).toBeGreaterThanOrEqual(2); // measured after the download rounding (docs/he.md)
      expect(r.sst.noise!.statDistance).toBeLessThanOrEqual(-40);
    }
    const b = makeBlocking(13, 22, 17, 4, 5, 6); // nb = 4, kb = 5, mb = 3 over 3 workers
    const W = p.ctx.ring.random(22 * 17, Prg.fromInt(99));
    const before = await spool.weightReport();
    for (let i = 0; i < 3; i++) expect((await matmul(p, pools, 13, 22, 17, 50 + i, b, W)).mismatch).toBe(-1);
    const after = await spool.weightReport();
    expect(after.blocks - before.blocks).toBe(15);
    expect(after.hits - before.hits).toBe(30);
    // Inputs shared between the workers (each loads and transforms a share of an upload's inputs,
    // parallel.ts) or transformed by every worker: the same shares under the same server randomness.
    const loads = (on: boolean) => {
      spool.shareInputs = on;
      const spy = vi.spyOn(spool, 'call');
      return { count: () => spy.mock.calls.filter(([, q]) => q.op === 'sLoad').length, done: () => spy.mockRestore() };
    };
    const off = loads(false);
    const r0 = await matmul(p, pools, 13, 22, 17, 70, b, W);
    expect(off.count()).toBe(0);
    off.done();
    const on = loads(true);
    const r1 = await matmul(p, pools, 13, 22, 17, 70, b, W);
    expect(on.count()).toBe(5 * 3); // every k-block: 4 inputs over 3 workers, each loads one or two
    on.done();
    expect(r1.mismatch).toBe(-1);
    expect(r1.Yc).toEqual(r0.Yc);
    expect(r1.Ys).toEqual(r0.Ys);
  });

  it('[A]·[B] exact: heads split over workers and columns split over workers, head groups', async () => {
    const ring = p.ctx.ring;
    for (const [heads, n, k, m, t, bl] of [
      [5, 7, 9, 6, true, makeBlocking(7, 9, 6, 3, 4, 2)],
      [1, 9, 10, 11, false, makeBlocking(9, 10, 11, 4, 3, 3)],
      [6, 4, 16, 4, true, undefined], // the optimizer's: a head group, one joint upload per group (heads.ts, packing.ts jointOffset)
    ] as const) {
      const A = ring.random(heads * n * k, Prg.fromInt(1));
      const B = ring.random(heads * k * m, Prg.fromInt(2));
      const [Ac, As] = ring.share(A, Prg.fromInt(3));
      const [Bc, Bs] = ring.share(B, Prg.fromInt(4));
      const shape = { heads, n, k, m, transposeB: t };
      const [Cc, Cs] = await Promise.all([
        heBatchMatmulClient(p.c, p.cs, Ac, Bc, shape, { blocking: bl, pool: pools.c }),
        heBatchMatmulServer(p.s, p.ss, As, Bs, shape, { blocking: bl, pool: pools.s }),
      ]);
      expect(firstMismatch(ring, Cc, Cs, twin(ring, A, B, heads, n, k, m, t))).toBe(-1);
    }
  });

  it('encryptions of zero made in idle time: taken once each by products, which stay exact', async () => {
    await spool.setZeroStock(6);
    try {
      // Idle workers fill their stocks (one per server session here): 3 workers x 6.
      for (let i = 0; i < 200 && (await spool.zeroReport()).stocked < 18; i++) await new Promise((r) => setTimeout(r, 25));
      const before = await spool.zeroReport();
      expect(before.stocked).toBe(18);
      const b = makeBlocking(13, 22, 17, 4, 5, 6); // 4 x 3 = 12 accumulators over 3 workers
      expect((await matmul(p, pools, 13, 22, 17, 70, b)).mismatch).toBe(-1);
      const after = await spool.zeroReport();
      // each result took one (4 per worker <= 6 in stock), and each worker's core one guard (packed results: he/pack.ts)
      expect(after.taken - before.taken).toBe(12 + 3);
      // and the idle workers make 15 new ones (a stocked ciphertext is used once, never put back).
      for (let i = 0; i < 200 && (await spool.zeroReport()).stocked < 18; i++) await new Promise((r) => setTimeout(r, 25));
      const refilled = await spool.zeroReport();
      expect(refilled.stocked).toBe(18);
      expect(refilled.made - before.made).toBe(12 + 3);
    } finally {
      await spool.setZeroStock(0);
    }
  });

  it('each worker clamps its share of the cache budget to what its SEAL heap holds', async () => {
    await spool.setWeightBudget(16 * 2 ** 30); // 5.3 GiB per worker: more than a wasm32 heap
    try {
      const r = await spool.weightReport();
      expect(r.budgetBytes).toBe(3 * MAX_CACHE_BYTES_PER_THREAD);
      expect(r.requestedBytes).toBe(3 * Math.floor((16 * 2 ** 30) / 3));
    } finally {
      await spool.setWeightBudget(300 * 196_608);
    }
  });

  it.runIf(SLOW)('the wide ring (ell = 40) on workers', async () => {
    const q = await sessionPair(40);
    const ps = await openPools(q, cpool, spool); // the same workers, a second ring width
    try {
      expect((await matmul(q, ps, 6, 40, 10, 7, makeBlocking(6, 40, 10, 2, 8, 3))).mismatch).toBe(-1);
    } finally {
      await ps.c.close();
      await ps.s.close();
      q.close();
    }
  });

  it('a worker that dies fails the product with an error, no hang', async () => {
    const q = await sessionPair(32);
    const sp = new HePool(2);
    try {
      const ps = { s: await sp.open('server', 32, { pk: q.ss.exportPublicKey(), galois: q.ss.exportGaloisKeys() }, !!q.ctx.params.packed) };
      const ring = q.ctx.ring;
      const [n, k, m] = [8, 40, 30];
      const X = ring.random(n * k, Prg.fromInt(1));
      const W = ring.random(k * m, Prg.fromInt(2));
      const [Xc, Xs] = ring.share(X, Prg.fromInt(3));
      const b = makeBlocking(n, k, m, 2, 5, 4);
      const server = heMatmulServer(q.s, q.ss, Xs, W, n, k, m, { blocking: b, pool: ps.s });
      const client = heMatmulClient(q.c, q.cs, Xc, n, k, m, { blocking: b });
      client.catch(() => undefined);
      await (sp as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads[1].worker.terminate();
      await expect(server).rejects.toThrow(/HE worker thread exited/);
      expect(sp.broken).toBe(true);
      q.s.abort('the server failed');
      await expect(client).rejects.toThrow(/aborted/);
    } finally {
      await sp.close();
      q.close();
    }
  });
});
