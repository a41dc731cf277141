// One part of bench/e2e, run in its own process (so that its peak RSS is its own):
//   node bench/e2e/part.ts PART OPTIONS_JSON OUT_JSON
// Parts: calibrate (thresholds from the reference interpreter so that BERT-base CipherPrune keeps
// the published counts), calibrate-secure (the same from the secure path's scores, for the
// measured run), predict (predicted bytes and rounds of all 12 layers), secure-dense and
// secure-pruned (a real two-party run of the first layers).
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DimEnv, type InputValues } from '../../src/ir/dim-env.ts';
import os from 'node:os';
import { calibrateThresholds, cut, importanceOps, KEEP_NONE } from '../../src/interp/thresholds.ts';
import { realValues } from '../../src/ir/twins.ts';
import type { IrOp } from '../../src/ir/ir.ts';
import type { ExecValue } from '../../src/ir/ops/types.ts';
import { ringOf, type RingArray } from '../../src/crypto/ring.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import { predictCost, type ProgramCost } from '../../src/opt/cost.ts';
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
  /** From the calibration part (secure-pruned, predict). */
  calibration?: Calibrated;
}

export interface Calibrated {
  theta: number[];
  thetaHi: number[];
  revealed: Record<string, number>;
  /** Thresholds from the secure path's own scores (calibrate-secure), used by secure-pruned. */
  secure?: { theta: number[]; thetaHi: number[] };
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
      dense: summary(dense, predictCost(dense, new DimEnv())),
      cipherprune: { revealed: cal.revealed, ...summary(pruned, predictCost(pruned, dimsOf(pruned, cal.revealed))) },
    },
    gpt2: {
      config: gpt2Config(LAYERS, o.gpt2Vocab, o.seq),
      keptSchedule: kept,
      dense: summary(g2d, predictCost(g2d, new DimEnv())),
      pruningOnly: { note: 'kh = k: every kept token accurate, so partition and unpartition are the identity (no messages)', ...summary(g2p, predictCost(g2p, dimsOf(g2p, gptDims(false)))) },
      pruningAndReduction: { note: 'kh = ceil(k / 2)', ...summary(g2p, predictCost(g2p, dimsOf(g2p, gptDims(true)))) },
    },
  };
}

/**
 * Thresholds from the secure run's own importance scores, so that the measured secure run keeps
 * the schedule's counts: the secure scores differ from the reference's (fixed-point truncation
 * on sums of thousands of probabilities, docs/cipherprune.md), and with random-init weights the
 * scores near a threshold are only ≈ 80 ULP apart. Layer by layer, a secure run of l + 1 layers
 * (later thresholds keep one token, so they are cheap) whose layer-l scores the benchmark opens
 * by adding both parties' shares (it holds both; the protocol never does this).
 */
async function calibrateSecure(o: Options) {
  const kept = keptCounts(SCHEDULE, o.seq), hi = hiCounts(kept);
  const theta: number[] = [], thetaHi: number[] = [], gapsUlp: { keep: number | null; hi: number | null }[] = [];
  for (let l = 0; l < o.layers; l++) {
    const p = bert(o, l + 1, o.runVocab, 'bert_cipherprune');
    const inputs = bertLikeInputs(p, o.seed, o.runVocab);
    inputs.theta = [...theta, KEEP_NONE];
    inputs.theta_hi = [...thetaHi, KEEP_NONE];
    const id = importanceOps(p)[l], shares: ExecValue[] = [];
    const keepShare = (op: IrOp, v: ExecValue) => void (op.id === id && shares.push(v));
    await runBoth(p, inputs, MemoryChannel.pair(), { trace: { client: keepShare, server: keepShare } });
    const ell = (shares[0].enc as { ell: number }).ell;
    const scores = realValues({ shape: shares[0].shape, enc: shares[0].enc, data: ringOf(ell).add(shares[0].data as RingArray, shares[1].data as RingArray) }, 'fixed');
    const k = cut(scores, 0, kept[l]);
    const h = cut(scores.filter((v, i) => v > k.theta || i === 0), 0, hi[l]);
    theta.push(k.theta);
    thetaHi.push(h.theta);
    gapsUlp.push({ keep: Number.isFinite(k.gap) ? Math.round(k.gap * 4096) : null, hi: Number.isFinite(h.gap) ? Math.round(h.gap * 4096) : null });
  }
  return { theta, thetaHi, gapsUlp };
}

async function secure(o: Options, pruned: boolean) {
  const p = bert(o, o.layers, o.runVocab, pruned ? 'bert_cipherprune' : 'bert_dense');
  const inputs: InputValues = bertLikeInputs(p, o.seed, o.runVocab);
  if (pruned) {
    const t = o.calibration!.secure ?? o.calibration!;
    inputs.theta = t.theta.slice(0, o.layers);
    inputs.theta_hi = t.thetaHi.slice(0, o.layers);
  }
  const byOp = new Map<string, { count: number; seconds: number }>();
  let last = performance.now();
  const t0 = performance.now();
  const pair = MemoryChannel.pair();
  const run = await runBoth(p, inputs, pair, {
    trace: {
      client: (op) => {
        const t = performance.now(), e = byOp.get(op.op) ?? { count: 0, seconds: 0 };
        e.count++;
        e.seconds += (t - last) / 1000;
        byOp.set(op.op, e);
        last = t;
      },
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const predicted = predictCost(p, run.client.dims);
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
  const expected = pruned ? Object.fromEntries(Object.entries(o.calibration!.revealed).filter(([k]) => Number(/l=(\d+)/.exec(k)![1]) < o.layers)) : {};
  return {
    model: p.model, layers: o.layers, vocab: o.runVocab, seq: o.seq,
    wallSeconds: r3(seconds), loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 10) / 10), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    measured: { ...measured, totalGB: Math.round((measured.bytesC2S + measured.bytesS2C) / 1e7) / 100 },
    predicted: { bytesC2S: predicted.bytesC2S, bytesS2C: predicted.bytesS2C, rounds: predicted.rounds },
    predictionMatches: predicted.bytesC2S === measured.bytesC2S && predicted.bytesS2C === measured.bytesS2C && predicted.rounds === measured.rounds,
    revealed: run.client.revealed,
    ...(pruned ? { thresholdsFrom: o.calibration!.secure ? 'the secure path (calibrate-secure)' : 'the reference interpreter (calibrate)', expectedRevealed: expected, revealedAsExpected: JSON.stringify(run.client.revealed) === JSON.stringify(expected) } : {}),
    lanSeconds: r3(predictSeconds(NETWORKS.lan, measured.rounds, { toServer: measured.bytesC2S, toClient: measured.bytesS2C })),
    perOp: breakdown,
  };
}

const [part, optsJson, out] = process.argv.slice(2);
const o = JSON.parse(optsJson) as Options;
const t0 = performance.now();
const parts: Record<string, () => unknown> = {
  calibrate: () => calibrate(o),
  'calibrate-secure': () => calibrateSecure(o),
  predict: () => predict(o),
  'secure-dense': () => secure(o, false),
  'secure-pruned': () => secure(o, true),
};
if (!parts[part]) throw new Error(`unknown part ${part}`);
const result = await parts[part]();
writeFileSync(out, JSON.stringify({ part, options: { ...o, calibration: undefined }, seconds: r3((performance.now() - t0) / 1000), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), result }, null, 2));
