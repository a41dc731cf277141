// HE matrix products: coefficient packing with the optimizer's blocking vs a simple baseline
// (one input ciphertext per row of X: nw = 1, dw = k, mw = floor(N/k)), same protocol and security.
//   npm run bench -- he                 BERT 128×768·768×768 and 128×768·768×3072 (about 2 min)
//   npm run bench -- he --quick         a small shape (smoke run)
//   npm run bench -- he --baseline-rows 8   rows of X used for the baseline run (scaled to n)
//   npm run bench -- he --memory        100 products, cached weights, threads: RSS growth (memory.ts)
//   npm run bench -- he --layer         one BERT-base layer: today vs threads vs cached weights (layer.ts)
//   npm run bench -- he --heads         attention products at few tokens: head groups vs per head (heads.ts)
// Both parties run in this process over a MemoryChannel; "server"/"client" seconds are each
// party's own compute time (waiting excluded). Peak RSS is the whole process (both parties).
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import {
  HeContext, heSetupClient, heSetupServer, heMatmulClient, heMatmulServer, heMatmulCost, makeBlocking, POLY_DEGREE,
} from '../../src/crypto/he/index.ts';
import type { HeStats, Blocking, HeClientSession, HeServerSession } from '../../src/crypto/he/index.ts';
import { ringMatmulAdd } from '../../src/crypto/he/plain.ts';
import { report } from '../lib.ts';

const args = process.argv.slice(2);
if (args.includes('--memory')) {
  await import('./memory.ts'); // 100 products with cached weights and threads: RSS growth (memory.ts)
  process.exit(0);
}
if (args.includes('--heads')) {
  await import('./heads.ts'); // Q·Kᵀ and P·V at few tokens, head groups and joint uploads vs per head (heads.ts)
  process.exit(0);
}
if (args.includes('--layer')) {
  await import('./layer.ts'); // one BERT-base layer's products, threads and cached weights (layer.ts)
  process.exit(0);
}
const quick = args.includes('--quick');
const bi = args.indexOf('--baseline-rows');
const baselineRows = bi >= 0 ? Number(args[bi + 1]) : 8;
const shapes: [number, number, number][] = quick ? [[16, 96, 64]] : [[128, 768, 768], [128, 768, 3072]];

const ctx = await HeContext.create({ ell: 32 });
const ring = ctx.ring;

// One-time session setup (counted separately).
const [c0, s0] = MemoryChannel.pair();
const t0 = performance.now();
const [cs, ss] = await Promise.all([heSetupClient(c0, ctx), heSetupServer(s0, ctx)]);
const setup = { seconds: (performance.now() - t0) / 1000, bytesUp: c0.totals.bytesSent, bytesDown: c0.totals.bytesRecv };

async function run(client: HeClientSession, server: HeServerSession, n: number, k: number, m: number, blocking?: Blocking) {
  const X = ring.random(n * k, Prg.fromInt(n + k));
  const W = ring.random(k * m, Prg.fromInt(m));
  const [Xc, Xs] = ring.share(X, Prg.fromInt(7));
  const [c, s] = MemoryChannel.pair();
  const cst: HeStats = { busyMs: 0 };
  const sst: HeStats = { busyMs: 0 };
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const t = performance.now();
  const [Yc, Ys] = await Promise.all([
    heMatmulClient(c, client, Xc, n, k, m, { blocking, stats: cst }),
    heMatmulServer(s, server, Xs, W, n, k, m, { blocking, stats: sst }),
  ]);
  const wall = (performance.now() - t) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  // Open and compare with the plaintext product (exact mod 2^32).
  const want = ring.alloc(n * m);
  ringMatmulAdd(ring, want, X, W, 1, n, k, m, false);
  const got = ring.add(Yc, Ys) as RingArray;
  let ok = true;
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) ok = false;
  const predicted = heMatmulCost(n, k, m, ctx.params, blocking);
  return {
    serverSeconds: sst.busyMs / 1000,
    clientSeconds: cst.busyMs / 1000,
    wallSeconds: wall,
    bytesUp: c.totals.bytesSent,
    bytesDown: c.totals.bytesRecv,
    rounds: c.totals.rounds,
    peakRssMiB: peak / 2 ** 20,
    correct: ok,
    costPredictionExact: predicted.bytesUp === c.totals.bytesSent && predicted.bytesDown === c.totals.bytesRecv,
    blocking: predicted.blocking,
    inCts: predicted.inCts,
    outCts: predicted.outCts,
    products: predicted.products,
    noise: sst.noise,
  };
}

const results: unknown[] = [];
for (const [n, k, m] of shapes) {
  const label = `${n}x${k}·${k}x${m}`;
  process.stderr.write(`he bench: ${label} (optimizer blocking)\n`);
  const opt = await run(cs, ss, n, k, m);
  // Baseline: one ciphertext per row of X, measured on `rows` rows and scaled linearly to n
  // (with nw = 1 every count, byte and second is proportional to the number of rows).
  const rows = Math.min(n, baselineRows);
  const dw = Math.min(k, POLY_DEGREE);
  const bb = makeBlocking(rows, k, m, 1, dw, Math.min(m, Math.floor(POLY_DEGREE / dw)));
  process.stderr.write(`he bench: ${label} baseline (one ciphertext per row, ${rows} rows, scaled)\n`);
  const base = await run(cs, ss, rows, k, m, bb);
  const scale = n / rows;
  const baseline = {
    measuredRows: rows,
    scale,
    serverSeconds: base.serverSeconds * scale,
    clientSeconds: base.clientSeconds * scale,
    bytesUp: base.bytesUp * scale,
    bytesDown: base.bytesDown * scale,
    peakRssMiB: base.peakRssMiB,
    correct: base.correct,
    blocking: base.blocking,
  };
  results.push({
    shape: label,
    packed: opt,
    baseline,
    ratio: {
      serverTime: baseline.serverSeconds / opt.serverSeconds,
      clientTime: baseline.clientSeconds / opt.clientSeconds,
      bytesUp: baseline.bytesUp / opt.bytesUp,
      bytesDown: baseline.bytesDown / opt.bytesDown,
    },
  });
}

report('he', {
  params: { N: POLY_DEGREE, coeffModulusBits: [60, 60, 60, 20], ell: 32, kappa: ctx.params.kappa },
  setup,
  products: results,
});
cs.delete();
ss.delete();
ctx.delete();
