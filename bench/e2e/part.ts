// One part of bench/e2e, run in its own process (so that its peak RSS is its own):
//   node bench/e2e/part.ts PART OPTIONS_JSON OUT_JSON
// Parts: calibrate (thresholds from the reference interpreter so that BERT-base CipherPrune keeps
// the published counts), predict (predicted bytes and rounds of all 12 layers), secure-dense and
// secure-pruned (a real two-party run of the first layers; the pruned run fits its thresholds to
// its own scores as it goes: inRunThresholds).
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DimEnv, type InputValues } from '../../src/ir/dim-env.ts';
import os from 'node:os';
import { calibrateThresholds, importanceOps, KEEP_NONE, layerThresholds, writeThreshold } from '../../src/interp/thresholds.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { opRow } from '../../src/ir/ops/table.ts';
import { closeProcessPool, DEFAULT_ZERO_STOCK, heConfig } from '../../src/crypto/he/index.ts';
import { fromReal, realValues } from '../../src/ir/twins.ts';
import type { IrOp } from '../../src/ir/ir.ts';
import type { ExecValue } from '../../src/ir/ops/types.ts';
import { ringOf, type RingArray } from '../../src/crypto/ring.ts';
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
  /** HE worker threads of the secure runs (both parties share them: one process). */
  threads?: number;
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
    gapsUlp: cal.gaps.map((g) => ({ keep: Number.isFinite(g.keep) ? Math.round(g.keep * 4096) : null, hi: Number.isFinite(g.hi) ? Math.round(g.hi * 4096) : null })),
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

/**
 * Thresholds fitted during the measured run itself (one pass; before: one secure run per layer,
 * of growing depth). The benchmark holds both parties, so when layer l's importance scores are in
 * on both sides it opens them (adds the two shares: the protocol never does this), chooses θ_l and
 * θ_hi_l between two of them so that the layer keeps the schedule's counts, and writes them into
 * the server's `theta` input before the comparison reads them (the server's trace holds the server
 * until then; src/interp/thresholds.ts does the same in the interpreter). Thresholds are server
 * inputs: their values change which tokens are kept, not the work, so the run costs what a run
 * given these thresholds in advance costs. Secure scores differ from the reference's by a few
 * ULPs (fixed-point truncation on sums of thousands of probabilities), and at random init the
 * scores near a threshold are only about 80 ULP apart, so the reference's thresholds would keep
 * other counts in the secure run (docs/cipherprune.md).
 */
function inRunThresholds(sp: IrProgram, kept: number[], hi: number[]) {
  const ids = importanceOps(sp);
  const layerOf = new Map(ids.map((id, l) => [id, l]));
  const inputIds = new Set(sp.inputs.filter((i) => i.name === 'theta' || i.name === 'theta_hi').map((i) => i.id));
  const serverValues: ExecValue[] = []; // the threshold inputs and their reads only (sparse)
  // θ[l] is read (index), secret-shared by the server (share) and broadcast before the comparison
  // consumes it, and the share may run before the layer's scores exist: the server's share of
  // those values gets enc(θ_l) − enc(KEEP_NONE) added (the shares then sum to θ_l; the client's
  // share, a uniformly random value, and every message stay as they are).
  const derived = new Map<number, { name: string; l: number }>(); // share/broadcast op id -> threshold
  const shared = new Map<string, ExecValue[]>(); // `${name}:${l}` -> the server's shares of it
  const track = (op: IrOp, v: ExecValue) => {
    const a = op.args[0];
    if (op.op === 'index' && inputIds.has(a)) {
      serverValues[op.id] = v;
      derived.set(op.id, { name: sp.ops[a].attrs.name as string, l: (op.attrs.indices as number[])[0] });
    } else if ((op.op === 'share' || op.op === 'broadcast') && derived.has(a)) {
      const t = derived.get(a)!;
      derived.set(op.id, t);
      const key = `${t.name}:${t.l}`;
      shared.set(key, [...(shared.get(key) ?? []), v]);
    }
  };
  const shift = (name: string, l: number, v: number) => {
    const seen = new Set<unknown>();
    for (const x of shared.get(`${name}:${l}`) ?? []) {
      if (!x.data || seen.has(x.data)) continue;
      seen.add(x.data);
      const ring = ringOf((x.enc as { ell: number }).ell), data = x.data as RingArray;
      const d = ring.sub(fromReal([v], x.enc, 'fixed') as RingArray, fromReal([KEEP_NONE], x.enc, 'fixed') as RingArray)[0];
      const delta = ring.alloc(data.length);
      delta.fill(d as never);
      data.set(ring.add(data, delta) as never);
    }
  };
  const shares = new Map<number, { client?: ExecValue; server?: ExecValue; release?: (e?: unknown) => void }>();
  const theta: number[] = [], thetaHi: number[] = [], gapsUlp: { keep: number | null; hi: number | null }[] = [];
  const ulp = (g: number) => (Number.isFinite(g) ? Math.round(g * 4096) : null);
  const calibrate = (l: number, c: ExecValue, sv: ExecValue) => {
    const ell = (c.enc as { ell: number }).ell;
    const scores = realValues({ shape: c.shape, enc: c.enc, data: ringOf(ell).add(c.data as RingArray, sv.data as RingArray) }, 'fixed');
    const t = layerThresholds(scores, 'first', { keep: kept[l], hi: hi[l] });
    [theta[l], thetaHi[l]] = [t.theta, t.thetaHi];
    gapsUlp[l] = { keep: ulp(t.gaps.keep), hi: ulp(t.gaps.hi) };
    // The shares first (a share may be the read's own array: the server's share of its own value
    // can be the value), then the reads and the input, written exactly.
    shift('theta', l, t.theta);
    shift('theta_hi', l, t.thetaHi);
    writeThreshold(sp, serverValues, 'theta', l, t.theta);
    writeThreshold(sp, serverValues, 'theta_hi', l, t.thetaHi);
    process.stderr.write(`  l=${l}: thresholds from the run's scores: keep ${kept[l]}, accurate ${hi[l]} (gaps ${gapsUlp[l].keep} and ${gapsUlp[l].hi} ULP)\n`);
  };
  const arrive = (party: 'client' | 'server', op: IrOp, v: ExecValue): void | Promise<void> => {
    if (party === 'server') {
      if (inputIds.has(op.id)) serverValues[op.id] = v;
      else track(op, v);
    }
    const l = layerOf.get(op.id);
    if (l === undefined) return;
    const e = shares.get(l) ?? {};
    shares.set(l, e);
    e[party] = v;
    if (e.client && e.server) {
      shares.delete(l);
      try {
        calibrate(l, e.client, e.server);
      } catch (err) {
        e.release?.(err); // the held server fails too (no party left waiting)
        throw err;
      }
      e.release?.();
      return;
    }
    // The server waits for the client's scores (the comparison after them reads θ_l).
    if (party === 'server') return new Promise<void>((ok, fail) => (e.release = (err) => (err === undefined ? ok() : fail(err))));
  };
  return {
    trace: { client: (op: IrOp, v: ExecValue) => arrive('client', op, v), server: (op: IrOp, v: ExecValue) => arrive('server', op, v) },
    result: () => ({ theta, thetaHi, gapsUlp }),
  };
}

async function secure(o: Options, pruned: boolean) {
  const p = bert(o, o.layers, o.runVocab, pruned ? 'bert_cipherprune' : 'bert_dense');
  const schedule = buildSchedule(p);
  const inputs: InputValues = bertLikeInputs(p, o.seed, o.runVocab);
  const kept = keptCounts(SCHEDULE, o.seq).slice(0, o.layers), hi = hiCounts(kept);
  const fromReference = pruned && o.calibration ? o.calibration : null;
  const inRun = pruned && !fromReference ? inRunThresholds(schedule.program, kept, hi) : null;
  if (pruned) {
    inputs.theta = fromReference ? fromReference.theta.slice(0, o.layers) : new Array(o.layers).fill(KEEP_NONE);
    inputs.theta_hi = fromReference ? fromReference.thetaHi.slice(0, o.layers) : new Array(o.layers).fill(KEEP_NONE);
  }
  heConfig.threads = o.threads ?? 1;
  heConfig.zeroStock = heConfig.threads > 1 ? DEFAULT_ZERO_STOCK : 0; // made in the workers' idle time (zeros.ts)
  const byOp = new Map<string, { count: number; seconds: number }>();
  let last = performance.now();
  const t0 = performance.now();
  const progress = layerProgress(t0);
  const pair = MemoryChannel.pair();
  const run = await runBoth(p, inputs, pair, {
    schedule,
    trace: {
      client: (op, v) => {
        const t = performance.now(), e = byOp.get(op.op) ?? { count: 0, seconds: 0 };
        e.count++;
        e.seconds += (t - last) / 1000;
        byOp.set(op.op, e);
        last = t;
        progress(op);
        return inRun?.trace.client(op, v);
      },
      ...(inRun ? { server: inRun.trace.server } : {}),
    },
  });
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
  // The schedule's counts: layer l keeps k@l=l tokens, kh@l=l of them accurate.
  const expected = Object.fromEntries(kept.flatMap((k, l) => [[`k@l=${l}`, k], [`kh@l=${l}`, hi[l]]]));
  const net = (n: (typeof NETWORKS)[keyof typeof NETWORKS]) => r3(predictSeconds(n, measured.rounds, { toServer: measured.bytesC2S, toClient: measured.bytesS2C }));
  return {
    model: p.model, layers: o.layers, vocab: o.runVocab, seq: o.seq, heThreads: heConfig.threads,
    wallSeconds: r3(seconds), loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 10) / 10), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    measured: { ...measured, totalGB: Math.round((measured.bytesC2S + measured.bytesS2C) / 1e7) / 100 },
    predicted: { bytesC2S: predicted.bytesC2S, bytesS2C: predicted.bytesS2C, rounds: predicted.rounds },
    predictionMatches: predicted.bytesC2S === measured.bytesC2S && predicted.bytesS2C === measured.bytesS2C && predicted.rounds === measured.rounds,
    revealed: run.client.revealed,
    ...(pruned
      ? {
          thresholdsFrom: inRun ? 'fitted in the run to its own scores (one pass)' : 'the reference interpreter (calibrate)',
          ...(inRun ? { thresholds: inRun.result() } : {}),
          expectedRevealed: expected,
          revealedAsExpected: Object.entries(expected).every(([k, v]) => run.client.revealed[k] === v),
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
const result = await parts[part]();
writeFileSync(out, JSON.stringify({ part, options: { ...o, calibration: undefined }, seconds: r3((performance.now() - t0) / 1000), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), result }, null, 2));
