// One part of bench/e2e, run in its own process (so that its peak RSS is its own):
//   node bench/e2e/part.ts PART OPTIONS_JSON OUT_JSON
// Parts: calibrate (thresholds from the reference interpreter so that BERT-base CipherPrune keeps
// the published counts), predict (predicted bytes and rounds of all 12 layers), secure-dense and
// secure-pruned (a real two-party run of the first layers; the pruned run fits its thresholds to
// its own scores as it goes: src/exec/fit-thresholds.ts).
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DimEnv, type InputValues } from '../../src/ir/dim-env.ts';
import os from 'node:os';
import { calibrateThresholds } from '../../src/interp/thresholds.ts';
import { fitThresholdsInRun, type InRunFit } from '../../src/exec/fit-thresholds.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { opRow } from '../../src/ir/ops/table.ts';
import { closeProcessPool, DEFAULT_ZERO_STOCK, heConfig } from '../../src/crypto/he/index.ts';
import type { IrOp } from '../../src/ir/ir.ts';
import type { ExecValue, OpCall } from '../../src/ir/ops/types.ts';
import { runThreaded } from './threads.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import { predictSchedule, type ProgramCost } from '../../src/opt/cost.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { NETWORKS, predictSeconds } from '../../src/transport/sim-channel.ts';
import { bertConfig, bertLikeInputs, compile, gpt2Config, hiCounts, keptCounts, LAYERS, SCHEDULE } from './model.ts';

export interface Options {
  layers: number;
  seq: number;
  seed: number;
  /** Vocabulary of the runs (calibration and secure runs: the embedding is a product with it). */
  runVocab: number;
  /** Vocabularies of the predictions (BERT-base, GPT-2 small). */
  bertVocab: number;
  gpt2Vocab: number;
  /** From the calibration part (predict; secure-pruned with --thresholds reference). */
  calibration?: Calibrated;
  /** HE worker threads of the secure runs (one thread: both parties share them; threads: per party). */
  threads?: number;
  /** Where the parties of the secure runs run: both on the main thread (default), or each on its own. */
  parties?: 'one-thread' | 'threads';
}

export interface Calibrated {
  theta: number[];
  thetaHi: number[];
  revealed: Record<string, number>;
}

const MB = (b: number): number => Math.round(b / 1e4) / 100;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const bert = (o: Options, layers: number, vocab: number, model: string) => compile('protocols/bert.cpl', model, bertConfig(layers, vocab, o.seq));

function dimsOf(p: IrProgram, revealed: Record<string, number>): DimEnv {
  const dims = new DimEnv();
  for (const r of p.runtimeDims) {
    if (!(r.symbol.name in revealed)) throw new Error(`no value for ${r.symbol.name}`);
    dims.values.set(r.symbol, revealed[r.symbol.name]);
  }
  return dims;
}

/** Totals, predicted network times, and the breakdown by layer and by op. */
function summary(p: IrProgram, c: ProgramCost) {
  const byLayer = new Map<string, { mb: number; rounds: number; bytes: number; routing: number }>();
  const byOp = new Map<string, { count: number; bytes: number; rounds: number }>();
  for (const o of c.ops) {
    const op = p.ops[o.id], layer = op.where.loops[0] ?? 'outside layers', bytes = o.bytesC2S + o.bytesS2C, rounds = Math.max(o.rounds.client, o.rounds.server);
    const L = byLayer.get(layer) ?? { mb: 0, rounds: 0, bytes: 0, routing: 0 };
    L.bytes += bytes;
    L.rounds += rounds;
    if (['compact', 'partition', 'unpartition'].includes(o.op)) L.routing += bytes;
    byLayer.set(layer, L);
    const B = byOp.get(o.op) ?? { count: 0, bytes: 0, rounds: 0 };
    B.count++;
    B.bytes += bytes;
    B.rounds += rounds;
    byOp.set(o.op, B);
  }
  return {
    bytesC2S: c.bytesC2S, bytesS2C: c.bytesS2C, totalGB: Math.round((c.bytesC2S + c.bytesS2C) / 1e7) / 100, rounds: c.rounds,
    lanSeconds: r3(predictSeconds(NETWORKS.lan, c.rounds, { toServer: c.bytesC2S, toClient: c.bytesS2C })),
    wanSeconds: r3(predictSeconds(NETWORKS.wan, c.rounds, { toServer: c.bytesC2S, toClient: c.bytesS2C })),
    byLayer: Object.fromEntries([...byLayer].map(([k, v]) => [k, { MB: MB(v.bytes), rounds: v.rounds, routingMB: MB(v.routing) }])),
    byOp: Object.fromEntries([...byOp].sort((a, b) => b[1].bytes - a[1].bytes).map(([k, v]) => [k, { count: v.count, MB: MB(v.bytes), rounds: v.rounds }])),
  };
}

/** Predicted cost of the schedule a run executes (merged: src/opt/schedule.ts). */
const predicted = (p: IrProgram, dims: DimEnv): ProgramCost => predictSchedule(buildSchedule(p), dims);

function calibrate(o: Options) {
  const p = bert(o, LAYERS, o.runVocab, 'bert_cipherprune');
  const inputs = bertLikeInputs(p, o.seed, o.runVocab);
  const kept = keptCounts(SCHEDULE, o.seq), hi = hiCounts(kept);
  const t0 = performance.now();
  const cal = calibrateThresholds(p, inputs, 'first', (l) => ({ keep: kept[l], hi: hi[l] }));
  return {
    seconds: r3((performance.now() - t0) / 1000),
    theta: cal.theta, thetaHi: cal.thetaHi, revealed: cal.reference.revealed,
    followsSchedule: kept.every((k, l) => cal.reference.revealed[`k@l=${l}`] === k),
    // Gap between the two scores each threshold separates (null: no score on one side).
    gapsUlp: cal.gaps.map((g) => ({ keep: ulp(g.keep), hi: ulp(g.hi) })),
  };
}

function predict(o: Options) {
  const cal = o.calibration!;
  const dense = bert(o, LAYERS, o.bertVocab, 'bert_dense');
  const pruned = bert(o, LAYERS, o.bertVocab, 'bert_cipherprune');
  const kept = keptCounts(SCHEDULE, o.seq), hi = hiCounts(kept);
  const gpt = (model: string) => compile('protocols/gpt2.cpl', model, gpt2Config(LAYERS, o.gpt2Vocab, o.seq));
  const g2d = gpt('gpt2_dense'), g2p = gpt('gpt2_cipherprune');
  const gptDims = (withHi: boolean) => Object.fromEntries(kept.flatMap((k, l) => [[`k@l=${l}`, k], [`kh@l=${l}`, withHi ? hi[l] : k]]));
  return {
    bert: {
      config: bertConfig(LAYERS, o.bertVocab, o.seq),
      dense: summary(dense, predicted(dense, new DimEnv())),
      cipherprune: { revealed: cal.revealed, ...summary(pruned, predicted(pruned, dimsOf(pruned, cal.revealed))) },
    },
    gpt2: {
      config: gpt2Config(LAYERS, o.gpt2Vocab, o.seq),
      keptSchedule: kept,
      dense: summary(g2d, predicted(g2d, new DimEnv())),
      pruningOnly: { note: 'kh = k: every kept token accurate, so partition and unpartition are the identity (no messages)', ...summary(g2p, predicted(g2p, dimsOf(g2p, gptDims(false)))) },
      pruningAndReduction: { note: 'kh = ceil(k / 2)', ...summary(g2p, predicted(g2p, dimsOf(g2p, gptDims(true)))) },
    },
  };
}

/** The schedule's counts as revealed names: layer l keeps k@l=l tokens, kh@l=l of them accurate. */
const expectedCounts = (kept: number[], hi: number[]): Record<string, number> => Object.fromEntries(kept.flatMap((k, l) => [[`k@l=${l}`, k], [`kh@l=${l}`, hi[l]]]));

/** The fitted thresholds, with the gap each sits in in ULP of the scores (2^-12; null: no score on one side). */
const thresholdsOf = (r: ReturnType<InRunFit['result']>) => ({ theta: r.theta, thetaHi: r.thetaHi, gapsUlp: r.gaps.map((g) => ({ keep: ulp(g.keep), hi: ulp(g.hi) })) });
const ulp = (g: number): number | null => (Number.isFinite(g) ? Math.round(g * 4096) : null);

/** A client trace that fails the run as soon as a revealed count differs from the schedule's. */
function countCheck(sp: IrProgram, expected: Record<string, number>) {
  const names = new Map(sp.runtimeDims.map((r) => [r.op, r.symbol.name]));
  return (op: IrOp, v: ExecValue) => {
    const name = names.get(op.id);
    if (name === undefined || !(name in expected) || !v.data) return;
    const got = Number((v.data as ArrayLike<number | bigint>)[0]);
    if (got !== expected[name]) throw new Error(`the run revealed ${name} = ${got}, the schedule wants ${expected[name]}: its thresholds do not give the schedule's counts`);
  };
}

async function secure(o: Options, pruned: boolean) {
  const model = pruned ? 'bert_cipherprune' : 'bert_dense';
  const p = bert(o, o.layers, o.runVocab, model);
  const schedule = buildSchedule(p);
  const threaded = o.parties === 'threads';
  // Threads: the main thread makes the client's inputs only (the server's thread makes its own).
  const inputs: InputValues = bertLikeInputs(p, o.seed, o.runVocab, threaded ? 'client' : undefined);
  const kept = keptCounts(SCHEDULE, o.seq).slice(0, o.layers), hi = hiCounts(kept);
  const fromReference = pruned && o.calibration ? o.calibration : null;
  // Thresholds fitted in the run to its own scores (src/exec/fit-thresholds.ts), by default.
  const inRun = pruned && !fromReference ? fitThresholdsInRun(schedule.program, 'first', (l) => ({ keep: kept[l], hi: hi[l] }), (line) => process.stderr.write(`  ${line}\n`)) : null;
  const thresholds = !pruned ? null : fromReference ? { theta: fromReference.theta.slice(0, o.layers), theta_hi: fromReference.thetaHi.slice(0, o.layers) } : inRun!.inputs;
  const expected = expectedCounts(kept, hi);
  // The fitted run must keep the schedule's counts (the reference's thresholds may not: see above).
  const check = inRun ? countCheck(schedule.program, expected) : null;
  heConfig.threads = o.threads ?? 1;
  heConfig.zeroStock = heConfig.threads > 1 ? DEFAULT_ZERO_STOCK : 0; // made in the workers' idle time (zeros.ts)
  const byOp = new Map<string, { count: number; seconds: number }>();
  let last = performance.now();
  let t0 = performance.now();
  let progress = layerProgress(t0);
  const clientTrace = (op: IrOp, v: ExecValue, call: OpCall) => {
    const t = performance.now(), e = byOp.get(op.op) ?? { count: 0, seconds: 0 };
    e.count++;
    e.seconds += (t - last) / 1000;
    byOp.set(op.op, e);
    last = t;
    progress(op);
    check?.(op, v);
    return inRun?.trace.client(op, v, call);
  };
  const run = threaded
    ? await runThreaded(p, schedule, inputs, { model, layers: o.layers, seq: o.seq, seed: o.seed, runVocab: o.runVocab, threads: heConfig.threads, thresholds, fit: inRun !== null }, {
        trace: clientTrace,
        serverShare: inRun?.serverShare,
        onStart: (start) => ([t0, last, progress] = [start, start, layerProgress(start)]),
      })
    : await runBoth(p, { ...inputs, ...(thresholds ?? {}) }, MemoryChannel.pair(), { schedule, trace: { client: clientTrace, ...(inRun ? { server: inRun.trace.server } : {}) } });
  const seconds = (performance.now() - t0) / 1000;
  await closeProcessPool();
  // The schedule the run ran (merged), not the unmerged one of predictCost (same bytes per op, fewer rounds).
  const predicted = predictSchedule(schedule, run.client.dims);
  const measured = { bytesC2S: run.totals.client.bytesSent, bytesS2C: run.totals.server.bytesSent, rounds: Math.max(run.totals.client.rounds, run.totals.server.rounds) };
  // Per-op bytes and rounds from the channel's scopes (client side: sent = c2s, received = s2c).
  const ops = new Map<string, { bytes: number; rounds: number }>();
  for (const [label, c] of run.client.byScope) {
    const name = label.split(' ')[1], e = ops.get(name) ?? { bytes: 0, rounds: 0 };
    e.bytes += c.bytesSent + c.bytesRecv;
    e.rounds += c.rounds;
    ops.set(name, e);
  }
  const breakdown = Object.fromEntries([...byOp].sort((a, b) => b[1].seconds - a[1].seconds).map(([k, v]) => [k, { count: v.count, seconds: r3(v.seconds), MB: MB(ops.get(k)?.bytes ?? 0), rounds: ops.get(k)?.rounds ?? 0 }]));
  const net = (n: (typeof NETWORKS)[keyof typeof NETWORKS]) => r3(predictSeconds(n, measured.rounds, { toServer: measured.bytesC2S, toClient: measured.bytesS2C }));
  return {
    model: p.model, layers: o.layers, vocab: o.runVocab, seq: o.seq, heThreads: heConfig.threads,
    parties: threaded ? 'threads: the server on a worker thread with its own HE pool of heThreads workers, the client on the main thread with its own, over a MessagePort' : 'one thread: both parties on the main thread over a MemoryChannel, sharing one HE pool of heThreads workers',
    wallSeconds: r3(seconds), loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 10) / 10), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    measured: { ...measured, totalGB: Math.round((measured.bytesC2S + measured.bytesS2C) / 1e7) / 100 },
    predicted: { bytesC2S: predicted.bytesC2S, bytesS2C: predicted.bytesS2C, rounds: predicted.rounds },
    predictionMatches: predicted.bytesC2S === measured.bytesC2S && predicted.bytesS2C === measured.bytesS2C && predicted.rounds === measured.rounds,
    revealed: run.client.revealed,
    ...(pruned
      ? {
          thresholdsFrom: inRun ? 'fitted in the run to its own scores (one pass)' : 'the reference interpreter (calibrate)',
          ...(inRun ? { thresholds: thresholdsOf(inRun.result()) } : {}),
          expectedRevealed: expected,
          revealedAsExpected: Object.entries(expected).every(([k, v]) => run.client.revealed[k] === v),
          countsMustMatch: inRun !== null,
        }
      : {}),
    // Transfer only (rounds x latency + bytes / bandwidth), on top of the compute in wallSeconds.
    lanSeconds: net(NETWORKS.lan),
    wanSeconds: net(NETWORKS.wan),
    perOp: breakdown,
  };
}

/**
 * A progress line on stderr when the run's first HE product of a layer is done (wall time, RSS):
 * the products of layer l need layer l − 1's output, so unlike shares of inputs they are not hoisted.
 */
function layerProgress(t0: number) {
  const seen = new Set<string>();
  return (op: IrOp) => {
    const layer = op.where.loops[0] ?? '';
    if (seen.has(layer) || opRow(op.op).comm !== 'he') return;
    seen.add(layer);
    const rss = process.memoryUsage().rss / 2 ** 30;
    process.stderr.write(`  ${layer || 'outside layers'}: ${((performance.now() - t0) / 1000).toFixed(1)} s, RSS ${rss.toFixed(2)} GiB\n`);
  };
}

const [part, optsJson, out] = process.argv.slice(2);
const o = JSON.parse(optsJson) as Options;
const t0 = performance.now();
const parts: Record<string, () => unknown> = {
  calibrate: () => calibrate(o),
  predict: () => predict(o),
  'secure-dense': () => secure(o, false),
  'secure-pruned': () => secure(o, true),
};
if (!parts[part]) throw new Error(`unknown part ${part}`);
let result: unknown;
try {
  result = await parts[part]();
} catch (e) {
  process.stderr.write(`e2e ${part}: ${(e as Error).message}\n`);
  process.exit(1);
}
writeFileSync(out, JSON.stringify({ part, options: { ...o, calibration: undefined }, seconds: r3((performance.now() - t0) / 1000), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), result }, null, 2));
// A pruned run that did not keep the schedule's counts measured another model: fail (the JSON stays for a look).
const r = result as { revealedAsExpected?: boolean; countsMustMatch?: boolean };
if (r.countsMustMatch && !r.revealedAsExpected) {
  process.stderr.write(`e2e ${part}: the revealed counts differ from the schedule's (revealed ${JSON.stringify((result as { revealed: unknown }).revealed)})\n`);
  process.exit(1);
}
