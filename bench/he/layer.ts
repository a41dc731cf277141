// One BERT-base layer's HE products (128 tokens): QKV [X]·[Wq|Wk|Wv], output projection, Q·Kᵀ,
// P·V (12 heads), FFN1, FFN2, each party's time and the bytes, under four configurations measured
// in the same run:
//   today     one thread, weights prepared per product, products in SEAL (main's code path)
//   kernel-1  one thread, weights prepared per product, products in the kernel (mac.ts)
//   cached-1  one thread, weights prepared once before (hePrepareWeights), then the products
//   threads-N N worker threads per party, weights prepared per product
//   cached-N  N worker threads, weights prepared once in the workers
//   NAME-before  (e.g. threads-2-before, cached-2-before) the same without this session's changes:
//             plaintext blocks prepared by SEAL instead of the kernel, every worker transforming
//             every input
// Every configuration but "today" runs the ct×pt products in the wasm kernel (mac.ts); with
// workers, the server's encryptions of zero are made in the workers' idle time (zeros.ts).
//   npm run bench -- he --layer [--threads N] [--quick] [--tokens 55] [--configs today,cached-1,threads-N,cached-N] [--products out-proj,QK^T] [--zero-stock 256]
// --tokens N: the layer at N tokens (a pruned CipherPrune layer, e.g. 55 for BERT-base's layer 1);
// the report is then he-layer-tN.json.
// Both parties run in this process over a MemoryChannel, as in the 144 s baseline. "wall"
// is the product's elapsed time; "processCpuSeconds" is the whole process's CPU time (both
// parties, all threads); "server/client CPU s" add the party's main-thread busy time (wall, minus
// waits) and its workers' thread CPU time. Every product is opened and compared with the plaintext product (exact mod 2^32).
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import {
  HeContext, HePool, HeWeightCache, heSetupClient, heSetupServer, heMatmulClient, heMatmulServer, heBatchMatmulClient,
  heBatchMatmulServer, hePrepareWeights, heMatmulCost, heBatchMatmulCost, MAX_CACHE_BYTES_PER_THREAD, DEFAULT_ZERO_STOCK,
} from '../../src/crypto/he/index.ts';
import type { HeStats, PoolSession, WeightCacheReport } from '../../src/crypto/he/index.ts';
import { ringMatmulAdd } from '../../src/crypto/he/plain.ts';
import { macConfig } from '../../src/crypto/he/mac.ts';
import { report } from '../lib.ts';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const threads = Number(opt('--threads') ?? os.availableParallelism());
const configs = (opt('--configs') ?? `today,cached-1,threads-${threads},cached-${threads}`).split(',');
// --zero-stock N: encryptions of zero each server worker keeps ready (0: made on the critical path).
const zeroStock = Number(opt('--zero-stock') ?? DEFAULT_ZERO_STOCK);
const tokens = opt('--tokens');
const [T, D, F, H] = quick ? [16, 96, 384, 12] : [tokens ? Number(tokens) : 128, 768, 3072, 12];
if (!Number.isInteger(T) || T < 1) throw new RangeError(`--tokens must be a positive integer, got ${tokens}`);
const dh = D / H;

type Plain = { name: string; kind: 'plain'; n: number; k: number; m: number };
type Shared = { name: string; kind: 'shared'; shape: { heads: number; n: number; k: number; m: number; transposeB?: boolean } };
const allProducts: (Plain | Shared)[] = [
  { name: 'QKV', kind: 'plain', n: T, k: D, m: 3 * D },
  { name: 'QK^T', kind: 'shared', shape: { heads: H, n: T, k: dh, m: T, transposeB: true } },
  { name: 'PV', kind: 'shared', shape: { heads: H, n: T, k: T, m: dh } },
  { name: 'out-proj', kind: 'plain', n: T, k: D, m: D },
  { name: 'FFN1', kind: 'plain', n: T, k: D, m: F },
  { name: 'FFN2', kind: 'plain', n: T, k: F, m: D },
];
// --products out-proj,QK^T: a subset (a short run); the layer total is then of that subset.
const only = opt('--products')?.split(',');
const products = only ? allProducts.filter((p) => only.includes(p.name)) : allProducts;

const uptime = (): string => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `loadavg ${os.loadavg().join(' ')}`;
  }
};

const ctx = await HeContext.create({ ell: 32 });
const ring = ctx.ring;
const [c0, s0] = MemoryChannel.pair();
const [cs, ss] = await Promise.all([heSetupClient(c0, ctx), heSetupServer(s0, ctx)]);
// Fixed weights per product (the server's model), fixed inputs.
/** Weight blocks of the layer's [X]·W products (what a full cache holds, 192 KiB each). */
const weightBlocks = products.reduce((s, p) => {
  if (p.kind !== 'plain') return s;
  const b = heMatmulCost(p.n, p.k, p.m).blocking;
  return s + b.kb * b.mb;
}, 0);
const weights = new Map(products.filter((p): p is Plain => p.kind === 'plain').map((p, i) => [p.name, ring.random(p.k * p.m, Prg.fromInt(100 + i))]));

interface Setup {
  cache?: HeWeightCache;
  pools?: { c: PoolSession; s: PoolSession };
}

/** A product's inputs and expected result, made ahead; `measure` runs it and checks it. */
function makeOne(p: Plain | Shared, st: Setup) {
  const [c, s] = MemoryChannel.pair();
  const cst: HeStats = { busyMs: 0 };
  const sst: HeStats = { busyMs: 0 };
  const popts = (side: 'c' | 's') => (st.pools ? { pool: st.pools[side] } : {});
  // Inputs and the expected product are made before any product of the configuration runs: the
  // products run back to back, so a worker's idle time (where it makes encryptions of zero ahead,
  // zeros.ts) is only what the products themselves leave.
  let want: RingArray, run: () => Promise<RingArray>, predicted: { bytesUp: number; bytesDown: number };
  if (p.kind === 'plain') {
    const X = ring.random(p.n * p.k, Prg.fromInt(1));
    const [Xc, Xs] = ring.share(X, Prg.fromInt(2));
    const W = weights.get(p.name)!;
    want = ring.alloc(p.n * p.m);
    ringMatmulAdd(ring, want, X, W, 1, p.n, p.k, p.m, false);
    run = async () => {
      const [Yc, Ys] = await Promise.all([
        heMatmulClient(c, cs, Xc, p.n, p.k, p.m, { stats: cst, ...popts('c') }),
        heMatmulServer(s, ss, Xs, W, p.n, p.k, p.m, { stats: sst, ...(st.cache ? { weights: st.cache } : {}), ...popts('s') }),
      ]);
      return ring.add(Yc, Ys);
    };
    predicted = heMatmulCost(p.n, p.k, p.m);
  } else {
    const { heads, n, k, m } = p.shape;
    const A = ring.random(heads * n * k, Prg.fromInt(3));
    const B = ring.random(heads * k * m, Prg.fromInt(4));
    const [Ac, As] = ring.share(A, Prg.fromInt(5));
    const [Bc, Bs] = ring.share(B, Prg.fromInt(6));
    want = ring.alloc(heads * n * m);
    ringMatmulAdd(ring, want, A, B, heads, n, k, m, !!p.shape.transposeB);
    run = async () => {
      const [Cc, Cs] = await Promise.all([
        heBatchMatmulClient(c, cs, Ac, Bc, p.shape, { stats: cst, ...popts('c') }),
        heBatchMatmulServer(s, ss, As, Bs, p.shape, { stats: sst, ...popts('s') }),
      ]);
      return ring.add(Cc, Cs);
    };
    predicted = heBatchMatmulCost(p.shape);
  }
  const measure = async () => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const got = await run();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    let correct = got.length === want.length;
    for (let i = 0; correct && i < want.length; i++) if (got[i] !== want[i]) correct = false;
    return {
      product: p.name,
      wallSeconds: wall,
      /** CPU seconds of the whole process (both parties, every thread): the work, whatever the load. */
      processCpuSeconds: (cpu.user + cpu.system) / 1e6,
      serverCpuSeconds: sst.busyMs / 1000,
      clientCpuSeconds: cst.busyMs / 1000,
      bytesUp: c.totals.bytesSent,
      bytesDown: c.totals.bytesRecv,
      predictedBytesExact: predicted.bytesUp === c.totals.bytesSent && predicted.bytesDown === c.totals.bytesRecv,
      correct,
    };
  };
  return { measure };
}

function writeReport(): void {
  const today = (results.today as { layerWallSeconds: number } | undefined)?.layerWallSeconds;
  const ratios = today ? Object.fromEntries(Object.entries(results).map(([k, v]) => [k, today / (v as { layerWallSeconds: number }).layerWallSeconds])) : {};
  report(quick ? 'he-layer-quick' : tokens ? `he-layer-t${T}` : 'he-layer', {
    shape: { tokens: T, hidden: D, ffn: F, heads: H },
    uptimeAtEnd: uptime(),
    peakRssMiB: peak / 2 ** 20,
    speedupVsToday: ratios,
    configs: results,
  });
}

let peak = process.memoryUsage().rss;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const results: Record<string, unknown> = {};
for (const name of configs) {
  const n = name === 'today' ? 1 : Number(name.split('-')[1]);
  const cached = name.startsWith('cached');
  // "-before": plaintext blocks encoded and transformed by SEAL (not the kernel, mac-ntt.ts) and,
  // with workers, every worker transforming every input of [X]·W (no shared inputs): the code
  // before session 7, for a comparison in the same run.
  const before = name.endsWith('-before');
  // "today" is main's path: the products in SEAL. Every other configuration runs them in the
  // kernel (mac.ts; worker threads have it on by default).
  macConfig.enabled = name !== 'today';
  macConfig.ntt = !before;
  const setup: Setup = {};
  let pools: [HePool, HePool] | null = null;
  let prepareSeconds = 0;
  let cacheReport: WeightCacheReport | null = null;
  process.stderr.write(`he layer bench: ${name} (${uptime()})\n`);
  const load0 = os.loadavg();
  if (n > 1) {
    pools = [new HePool(n), new HePool(n)];
    pools[1].shareInputs = !before;
    await Promise.all(pools.map((x) => x.setKernelNtt(!before)));
    if (cached) await pools[1].setWeightBudget(n * MAX_CACHE_BYTES_PER_THREAD);
    setup.pools = { c: await pools[0].open('client', 32, cs.exportKeys()), s: await pools[1].open('server', 32, { pk: ss.exportPublicKey() }) };
  } else if (cached) {
    setup.cache = new HeWeightCache(MAX_CACHE_BYTES_PER_THREAD);
  }
  if (cached) {
    const t0 = performance.now();
    for (const p of products) {
      if (p.kind !== 'plain') continue;
      await hePrepareWeights(ctx, weights.get(p.name)!, p.n, p.k, p.m, pools ? { pool: pools[1] } : { cache: setup.cache! });
    }
    prepareSeconds = (performance.now() - t0) / 1000;
    cacheReport = pools ? await pools[1].weightReport() : setup.cache!.report();
  }
  const made = products.map((p) => makeOne(p, setup));
  // The server's workers make encryptions of zero in their idle time (zeros.ts), from an empty
  // stock at the first product: only idle time the products leave fills it.
  if (pools && zeroStock > 0) await pools[1].setZeroStock(zeroStock);
  const rows = [];
  for (const [i, p] of products.entries()) {
    process.stderr.write(`  ${p.name}\n`);
    rows.push(await made[i].measure());
  }
  const total = rows.reduce((s, r) => s + r.wallSeconds, 0);
  const zeros = pools ? await pools[1].zeroReport() : null;
  if (cached) cacheReport = pools ? await pools[1].weightReport() : setup.cache!.report(); // with the products' hits
  results[name] = {
    threads: n,
    cachedWeights: cached,
    layerWallSeconds: total,
    products: rows,
    // The cache holds what its SEAL heaps can (MAX_CACHE_BYTES_PER_THREAD per thread, weights.ts):
    // with one thread that is about 3 GiB of the layer's 5.1 GiB of weight blocks, the rest is
    // prepared per product ("weightBlocks" is the layer's total).
    ...(cached ? { prepare: { seconds: prepareSeconds, cacheMiB: cacheReport!.bytes / 2 ** 20, budgetMiB: cacheReport!.budgetBytes / 2 ** 20, blocks: cacheReport!.blocks, weightBlocks, hits: cacheReport!.hits, misses: cacheReport!.misses } } : {}),
    ...(zeros ? { zerosMadeAhead: zeros } : {}),
    loadavgBefore: load0,
    loadavgAfter: os.loadavg(),
  };
  process.stderr.write(`  layer: ${total.toFixed(1)} s wall\n`);
  if (pools) {
    await setup.pools!.c.close();
    await setup.pools!.s.close();
    await Promise.all(pools.map((x) => x.close()));
  }
  setup.cache?.clear();
  writeReport(); // after every configuration: a long run keeps what it measured
}
clearInterval(timer);
writeReport();
cs.delete();
ss.delete();
ctx.delete();
