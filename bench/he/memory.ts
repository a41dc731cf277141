// 100 consecutive [X]·W products with cached weights on worker threads: RSS growth after warm-up
// (issue 16: < 10 %). Every SEAL object is deleted on every path; the cached weight blocks are
// built during warm-up and reused; the server's workers keep a stock of encryptions of zero.
//   npm run bench -- he --memory [--threads N] [--products 100] [--warmup 30] [--small]
import os from 'node:os';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { HeContext, HePool, heSetupClient, heSetupServer, heMatmulClient, heMatmulServer, DEFAULT_ZERO_STOCK } from '../../src/crypto/he/index.ts';
import { ringMatmulAdd } from '../../src/crypto/he/plain.ts';
import { ZERO_BYTES } from '../../src/crypto/he/zeros.ts';
import { report } from '../lib.ts';

const args = process.argv.slice(2);
const opt = (name: string, d: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const threads = opt('--threads', os.availableParallelism());
const count = opt('--products', 100);
const [n, k, m] = args.includes('--small') ? [8, 64, 64] : [32, 256, 256];

const ctx = await HeContext.create({ ell: 32 });
const ring = ctx.ring;
const [c0, s0] = MemoryChannel.pair();
const [cs, ss] = await Promise.all([heSetupClient(c0, ctx), heSetupServer(s0, ctx)]);
const cpool = new HePool(threads), spool = new HePool(threads);
await spool.setWeightBudget(1024 * 2 ** 20);
await spool.setZeroStock(DEFAULT_ZERO_STOCK); // encryptions of zero made in idle time (zeros.ts), as serve does
const pc = await cpool.open('client', 32, cs.exportKeys());
const ps = await spool.open('server', 32, { pk: ss.exportPublicKey() });
const W = ring.random(k * m, Prg.fromInt(1));
const X = ring.random(n * k, Prg.fromInt(2));
const want = ring.alloc(n * m);
ringMatmulAdd(ring, want, X, W, 1, n, k, m, false);
let bad = 0;
const once = async (i: number) => {
  const [Xc, Xs] = ring.share(X, Prg.fromInt(10 + i));
  const [c, s] = MemoryChannel.pair();
  const [Yc, Ys] = await Promise.all([heMatmulClient(c, cs, Xc, n, k, m, { pool: pc }), heMatmulServer(s, ss, Xs, W, n, k, m, { pool: ps })]);
  const y = ring.add(Yc, Ys);
  for (let j = 0; j < y.length; j++) if (y[j] !== want[j]) return void bad++;
};
const warm = opt('--warmup', 30); // past the first garbage-collection cycles of every isolate
for (let i = 0; i < warm; i++) await once(i);
// The workers' stock of encryptions of zero (≤ DEFAULT_ZERO_STOCK each, ZERO_BYTES apiece) fills in
// idle time; let it fill before the first reading, or its growth (up to ≈ 200 MB on 2 workers)
// shows as RSS growth. The stock's change over the run is also reported and netted out.
const stocked = async () => (await spool.zeroReport()).stocked;
for (let last = -1, now = await stocked(); now !== last; last = now, now = await stocked()) await new Promise((r) => setTimeout(r, 1000));
const stockBefore = await stocked();
const before = process.memoryUsage().rss;
const t0 = performance.now();
const trace: number[] = [];
for (let i = 0; i < count; i++) {
  await once(warm + i);
  if ((i + 1) % 10 === 0) {
    trace.push(process.memoryUsage().rss / 2 ** 20);
    process.stderr.write(`  ${i + 1} products: RSS ${trace[trace.length - 1].toFixed(1)} MiB\n`);
  }
}
const seconds = (performance.now() - t0) / 1000;
const after = process.memoryUsage().rss;
const stockAfter = await stocked();
const cache = await spool.weightReport();
report('he-memory', {
  shape: `${n}x${k}·${k}x${m}`,
  threads,
  products: count,
  wrong: bad,
  rssBeforeMiB: before / 2 ** 20,
  rssAfterMiB: after / 2 ** 20,
  growthPercent: (100 * (after - before)) / before,
  zeroStockBefore: stockBefore,
  zeroStockAfter: stockAfter,
  /** RSS growth without the change in stocked encryptions of zero (bounded by the stock's cap). */
  growthPercentNetOfZeroStock: (100 * (after - before - (stockAfter - stockBefore) * ZERO_BYTES)) / before,
  rssEvery10MiB: trace,
  secondsPerProduct: seconds / count,
  zerosMadeAhead: await spool.zeroReport(),
  weightCache: { MiB: cache.bytes / 2 ** 20, blocks: cache.blocks, hits: cache.hits, misses: cache.misses, buildMs: cache.buildMs },
});
await pc.close();
await ps.close();
await cpool.close();
await spool.close();
cs.delete();
ss.delete();
ctx.delete();
