// Oblivious compaction benchmark: our `compact` (permute-and-share shuffle, docs/cipherprune.md)
// beside the public CipherPrune code's sequential bubble sweep of oblivious swaps (sweep.ts),
// both over the real OT engine (IKNP) with both parties in this process on one MemoryChannel.
// Rows of d = 768 fix<32,12> values, half of them pruned (a random mask), n ∈ {32, 128, 512}.
// Bytes each way and rounds are measured at the channel and checked against the exact cost
// models; the sweep runs at n ≤ --sweep-max (default 32) and its larger sizes come from its
// cost model, with time extrapolated from its measured time per swap. Predicted LAN / WAN times
// (rounds × one-way latency + bytes / bandwidth) are given for both.
//
// Our partition (the same rows, the kept half first) is measured likewise: the reference code's
// sweep is itself a stable two-group split, so its figures are also partition's baseline.
//
//   npm run bench -- prune [--quick] [--reps 3] [--sweep-max 32] [--sizes 32,128,512] [--no-partition]
// Our times are medians of --reps runs after one untimed warm-up run (one run at n = 512).
import { performance } from 'node:perf_hooks';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { NETWORKS, predictSeconds } from '../../src/transport/sim-channel.ts';
import { OtEngine } from '../../src/crypto/ot/engine.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { ringOf } from '../../src/crypto/ring.ts';
import type { Cost, ProtoCtx } from '../../src/crypto/nonlinear/context.ts';
import { randomPermutation, route, routeCost, routeTwin, type RouteParams } from '../../src/crypto/shuffle/index.ts';
import { median, report } from '../lib.ts';
import { sweep, sweepCost, sweepSwaps } from './sweep.ts';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const quick = process.argv.includes('--quick');
const reps = Number(arg('--reps', quick ? '1' : '3'));
const sweepMax = Number(arg('--sweep-max', '32'));
const skipPartition = process.argv.includes('--no-partition');
const sizes = arg('--sizes', quick ? '32,128' : '32,128,512').split(',').map(Number);
const d = 768, ell = 32;
const ring = ringOf(ell);

async function session(): Promise<{ server: ProtoCtx; client: ProtoCtx; cc: MemoryChannel; sc: MemoryChannel; setupSeconds: number }> {
  const [cc, sc] = MemoryChannel.pair();
  const oc = new OtEngine(cc, { inlineRefills: true }), os = new OtEngine(sc, { inlineRefills: true });
  const t0 = performance.now();
  await Promise.all([oc.setup(), os.setup()]);
  const setupSeconds = (performance.now() - t0) / 1000;
  return { server: { party: 'server', ch: sc, ot: os, prg: new Prg() }, client: { party: 'client', ch: cc, ot: oc, prg: new Prg() }, cc, sc, setupSeconds };
}

interface Measured {
  bytesC2S: number;
  bytesS2C: number;
  rounds: number;
  seconds: number;
}

/** Run `fn` on both parties of a fresh session (equal clocks), measuring what crosses the channel. */
async function measure(fn: (ctx: ProtoCtx) => Promise<Uint32Array>): Promise<Measured & { out: Uint32Array }> {
  const s = await session();
  const c0 = { ...s.cc.totals }, s0 = { ...s.sc.totals };
  const t0 = performance.now();
  const [a, b] = await Promise.all([fn(s.server), fn(s.client)]);
  const seconds = (performance.now() - t0) / 1000;
  const out = ring.add(a, b) as Uint32Array;
  const m = { bytesC2S: s.cc.totals.bytesSent - c0.bytesSent, bytesS2C: s.sc.totals.bytesSent - s0.bytesSent, rounds: Math.max(s.cc.totals.rounds, s.sc.totals.rounds) - c0.rounds, seconds, out };
  s.cc.close();
  return m;
}

const net = (rounds: number, c2s: number, s2c: number) => ({
  lanSeconds: round3(predictSeconds(NETWORKS.lan, rounds, { toServer: c2s, toClient: s2c })),
  wanSeconds: round3(predictSeconds(NETWORKS.wan, rounds, { toServer: c2s, toClient: s2c })),
});
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const MB = (b: number): number => Math.round(b / 1e4) / 100;
const matches = (c: Cost, m: Measured): boolean => c.bytesClientToServer === m.bytesC2S && c.bytesServerToClient === m.bytesS2C && c.rounds === m.rounds;

function inputs(n: number, seed: number) {
  const prg = Prg.fromInt(seed);
  const x = ring.random(n * d, prg) as Uint32Array, r = ring.random(n * d, prg) as Uint32Array;
  // Half pruned: a random mask with exactly n/2 ones.
  const keep = new Uint8Array(n);
  for (const i of randomPermutation(prg, n).subarray(0, n / 2)) keep[i] = 1;
  const km = prg.bytes(n).map((v) => v & 1);
  return { x, share: { server: ring.sub(x, r) as Uint32Array, client: r }, keep, keepShare: { server: keep.map((v, i) => v ^ km[i]), client: km } };
}

type OursRow = { n: number; rounds: number; totalMB: number; medianSeconds: number; lanSeconds: number; wanSeconds: number };
const ours: OursRow[] = [];
const partitions: OursRow[] = [];

/** Our routing op in `mode` on these rows: a warm-up run below n = 512, then --reps timed runs. */
async function ourRoute(mode: 'compact' | 'partition', n: number, inp: ReturnType<typeof inputs>) {
  const { x, share, keep, keepShare } = inp;
  const k = n / 2;
  const p: RouteParams = { mode, n, count: k, payload: { kind: 'ring', ell, width: d } };
  const want = routeTwin(p, x, keep);
  const runs: (Measured & { out: Uint32Array })[] = [];
  if (n <= 128) await measure((ctx) => route(ctx, p, share[ctx.party], keepShare[ctx.party])); // warm-up (JIT), untimed
  for (let r = 0; r < (n >= 512 ? 1 : reps); r++) runs.push(await measure((ctx) => route(ctx, p, share[ctx.party], keepShare[ctx.party])));
  const m = runs[0], cost = routeCost(p);
  const exact = runs.every((r) => r.out.every((v, i) => v === want[i]));
  const row = {
    n, kept: k, d, rounds: m.rounds, bytesC2S: m.bytesC2S, bytesS2C: m.bytesS2C, totalMB: MB(m.bytesC2S + m.bytesS2C),
    medianSeconds: round3(median(runs.map((r) => r.seconds))), seconds: runs.map((r) => round3(r.seconds)),
    predictedMatches: matches(cost, m), exact, ...net(m.rounds, m.bytesC2S, m.bytesS2C),
  };
  process.stderr.write(`${mode.padEnd(9)} n=${n}: ${row.rounds} rounds, ${row.totalMB} MB, ${row.medianSeconds} s (exact ${exact}, prediction ${row.predictedMatches ? 'matches' : 'DIFFERS'})\n`);
  return row;
}
const sweeps: { n: number; seconds: number; timeIs: string; lanSeconds: number; wanSeconds: number }[] = [];
let perSwap = NaN;
for (const n of sizes) {
  const inp = inputs(n, n), { share, keepShare } = inp;
  const k = n / 2;
  const want = routeTwin({ mode: 'compact', n, count: k, payload: { kind: 'ring', ell, width: d } }, inp.x, inp.keep);
  ours.push(await ourRoute('compact', n, inp));
  if (!skipPartition) partitions.push(await ourRoute('partition', n, inp));

  const m2 = n - k, swaps = sweepSwaps(n, m2), sc = sweepCost(n, d, m2);
  let measured: (Measured & { exact: boolean }) | null = null;
  if (n <= sweepMax) {
    const r = await measure((ctx) => sweep(ctx, share[ctx.party], keepShare[ctx.party], n, d, m2));
    measured = { ...r, exact: r.out.subarray(0, k * d).every((v, i) => v === want[i]) };
    perSwap = r.seconds / swaps;
    if (!matches(sc, r)) throw new Error(`sweep cost model differs from the measurement at n = ${n}`);
  }
  const srow = {
    n, kept: k, d, swaps, rounds: sc.rounds, bytesC2S: sc.bytesClientToServer, bytesS2C: sc.bytesServerToClient, totalMB: MB(sc.bytesClientToServer + sc.bytesServerToClient),
    seconds: round3(measured ? measured.seconds : perSwap * swaps), timeIs: measured ? 'measured' : 'extrapolated from the measured seconds per swap',
    measured: measured !== null, exact: measured?.exact ?? null, ...net(sc.rounds, sc.bytesClientToServer, sc.bytesServerToClient),
  };
  sweeps.push(srow);
  process.stderr.write(`sweep  n=${n}: ${swaps} swaps, ${srow.rounds} rounds, ${srow.totalMB} MB, ${srow.seconds} s (${srow.timeIs})\n`);
}

const at = (n: number) => ({ o: ours.find((r) => r.n === n), s: sweeps.find((r) => r.n === n) });
const t = at(128);
const targets = t.o && t.s ? {
  n: 128, kept: 64, d,
  rounds: { value: t.o.rounds, target: '≤ 30', met: t.o.rounds <= 30 },
  megabytesBothWays: { value: t.o.totalMB, target: '≤ 48', met: t.o.totalMB <= 48 },
  speedupOverSweep: { value: Math.round((t.s.seconds / t.o.medianSeconds) * 10) / 10, target: '≥ 10', met: t.s.seconds / t.o.medianSeconds >= 10, sweepTime: t.s.timeIs },
  lanSpeedup: Math.round((t.s.lanSeconds / t.o.lanSeconds) * 10) / 10,
  wanSpeedup: Math.round((t.s.wanSeconds / t.o.wanSeconds) * 10) / 10,
} : null;
report('prune', {
  setup: 'fix<32,12> rows (ring 32), d = 768, half pruned (random mask), real OT (IKNP), MemoryChannel, both parties in one process; OT base setup excluded (once per session)',
  reps, ours, partition: partitions, sweep: sweeps, secondsPerSweepSwap: round3(perSwap * 1000) / 1000, targets,
});
