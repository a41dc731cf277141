// Crypto-aware threshold search (CipherPrune §4.4): per-layer pruning thresholds θ_l and degree
// thresholds β_l (θ_hi) for a BERT classifier, found by gradient descent on
//   task loss + λ · Σ_l (c_l · k_l + c'_l · kh_l) / dense cost
// with soft masks sigmoid((score − θ)/T) (Learned Token Pruning, Kim et al., KDD 2022), where
// c_l, c'_l are the cost model's per-token slopes (tune-cost.ts) and the low-degree forms are in
// the loop (low-degree.ts). One search per λ of a sweep; each result is made hard (T = 0) and
// checked on held-out sentences; the cheapest that stays within the accuracy budget wins (or,
// given a cost target, the one with the most labels as dense among those that reach it).
import { Adam } from '../autodiff/adam.ts';
import { crossEntropy, softmax } from '../autodiff/nn.ts';
import { add, map, mul, scale, sum } from '../autodiff/ops.ts';
import { param, withGrad, type Var, constant } from '../autodiff/var.ts';
import type { IrProgram } from '../ir/ir.ts';
import type { LoadedBert } from '../model/load.ts';
import { modelIds } from '../model/text-inputs.ts';
import { encodeBert } from '../text/tokenizer.ts';
import type { Example } from './data.ts';
import { argmax } from './evaluate.ts';
import { Rng } from './rng.ts';
import { softCipherPrune, type SoftThresholds } from './soft-prune.ts';
import { fixedPointCheck, type FixedCheck } from './fixed-check.ts';
import { withMargins, type Margins, type ScoreErrorBound } from './margins.ts';
import { fitLinearCost, type CostPoint, type LinearCost, type PrunedCost } from './tune-cost.ts';

export interface TuneOptions {
  /** Largest accuracy drop allowed against dense on the held-out sentences, in points (0.5). */
  maxDrop: number;
  /** Smallest share of held-out sentences whose label must equal dense's (0 … 1; 0 = no such
   * bound). On a few hundred sentences the accuracy difference alone is noise of about a point
   * (a few sentences flip each way); bounding the flips bounds the drop on new sentences too. */
  minAgreement: number;
  /** A cost target instead of the least cost: 0 (default) chooses the cheapest candidate within
   * the accuracy bounds; c > 0 keeps the candidates whose predicted cost is at most dense / c
   * on the held-out sentences and chooses the most faithful of them (most labels as dense, then
   * the cheapest). */
  minCut: number;
  seed: number;
  /** Task loss against the dense model's predicted class probabilities on the search sentences
   * (knowledge distillation, Hinton et al. 2015) instead of the labels: the accuracy budget is
   * a drop against dense, and what it measures on new sentences is how many labels differ from
   * dense's; the labels alone reward a pruned model for flipping a sentence dense gets wrong. */
  distill: boolean;
  /** Cost weights λ tried (each a separate search from the same start). */
  lambdas: number[];
  /** Gradient steps per search, sentences per step, Adam's learning rate (in score units). */
  steps: number;
  batch: number;
  lr: number;
  /** Mask temperature as a fraction of each layer's typical score. */
  temperature: number;
  /** Each θ moves within ± window · θ to the widest gap of the held-out scores (margins.ts);
   * a distance of `margin` (score units) counts as wide enough. */
  window: number;
  margin: number;
  /** The margin rule (margins.ts, docs/tuning.md): each threshold keeps safety · (secure error +
   * fixed-point error) from every held-out score, or the candidate is refused; the fixed-point
   * check must then find the same counts as float on every held-out sentence and a score error
   * within the stated fixed-point bound. Without it, the best-effort move above. */
  scoreError?: ScoreErrorBound;
  /** Held-out sentences checked in fixed point (fixed-check.ts; all by default). */
  fixedSentences?: number;
  progress?: (done: number, total: number, what: string) => void;
}

export const defaultTuneOptions: TuneOptions = { maxDrop: 0.5, minAgreement: 0, minCut: 0, seed: 1, distill: false, lambdas: [0.5, 1, 2, 4, 8], steps: 30, batch: 16, lr: 0.1, temperature: 0.1, window: 0.05, margin: 0.1 };

export interface Thresholds2 {
  theta: number[];
  theta_hi: number[];
}

/** A variant measured with hard masks on a set of sentences. */
export interface Measured {
  accuracy: number;
  /** Mean tokens kept (k_l) and accurate (kh_l) per layer. */
  meanKept: number[];
  meanHigh: number[];
  /** Mean predicted cost per sentence (bytes, rounds, seconds on the network). */
  cost: CostPoint;
  predictions: number[];
}

export interface Candidate {
  lambda: number;
  thresholds: Thresholds2;
  validation: Measured;
  /** Within the accuracy budget (and the agreement bound). */
  ok: boolean;
  /** Share of held-out labels equal to dense's. */
  agreement: number;
  /** For the candidates tried in order of cost: the thresholds moved away from the held-out
   * scores, measured again in float and in fixed point; `accepted` if both keep the budget and
   * fixed point gives the float model's labels. */
  placed?: { thresholds: Thresholds2; margins: Margins; validation: Measured; fixed?: FixedCheck; accepted: boolean; refused?: string };
}

export interface TuneResult {
  thresholds: Thresholds2;
  lambda: number | null;
  metric: 'bytes' | 'seconds';
  linear: LinearCost;
  candidates: Candidate[];
  /** On the held-out sentences: dense, pruned only (every kept token accurate), pruned + reduced. */
  dense: Measured;
  pruned: Measured;
  reduced: Measured;
  /** The fixed-point check of the chosen thresholds (when the pruned program was given). */
  fixed?: FixedCheck;
  margins?: Margins;
}

export interface Encoded {
  ids: number[][];
  padding: number[][];
  labels: number[];
}

export const encodeAll = (m: LoadedBert, rows: readonly Example[]): Encoded => {
  const enc = rows.map((r) => encodeBert(m.tokenizer, r.text, m.config.seq_len));
  return { ids: enc.map((e) => modelIds(m.program, m.tokenizer, e.ids)), padding: enc.map((e) => e.padding), labels: rows.map((r) => r.label) };
};

const fixed = (v: number) => constant(Float64Array.of(v), []);
const NONE = -Infinity;

/** Hard-mask evaluation (T = 0): accuracy, counts and mean predicted cost. */
export function measure(m: LoadedBert, data: Encoded, th: Thresholds2, cost: PrunedCost, lowDegree = true): Measured {
  const L = m.config.num_hidden_layers;
  const soft: SoftThresholds = { theta: th.theta.map(fixed), thetaHi: th.theta_hi.map(fixed) };
  const kept = new Array<number>(L).fill(0), high = new Array<number>(L).fill(0);
  const predictions: number[] = [];
  const total = { bytes: 0, layerBytes: 0, rounds: 0, seconds: 0 };
  const dense = th.theta.every((t) => t === NONE);
  for (let b = 0; b < data.ids.length; b += 64) {
    const r = softCipherPrune(m.weights, m.config, data.ids.slice(b, b + 64), data.padding.slice(b, b + 64), soft, { T: 0, lowDegree });
    const B = Math.min(64, data.ids.length - b), n = m.config.seq_len, C = m.config.num_labels;
    for (let i = 0; i < B; i++) {
      predictions.push(argmax(r.logits.data.subarray(i * C, (i + 1) * C)));
      const k = r.kept.map((a) => count(a.data, i * n, n));
      const kh = r.kept.map((a, l) => count(a.data, i * n, n, r.high[l].data));
      k.forEach((v, l) => ((kept[l] += v), (high[l] += kh[l])));
      const p = dense ? cost.dense : cost.at(k, kh);
      total.bytes += p.bytes;
      total.layerBytes += p.layerBytes;
      total.rounds += p.rounds;
      total.seconds += p.seconds ?? 0;
    }
  }
  const N = data.ids.length;
  return {
    accuracy: predictions.filter((p, i) => p === data.labels[i]).length / N,
    meanKept: kept.map((v) => v / N),
    meanHigh: high.map((v) => v / N),
    cost: { bytes: total.bytes / N, layerBytes: total.layerBytes / N, rounds: total.rounds / N, seconds: cost.dense.seconds === undefined ? undefined : total.seconds / N },
    predictions,
  };
}

function count(a: Float64Array, at: number, n: number, g?: Float64Array): number {
  let s = 0;
  for (let j = at; j < at + n; j++) s += g ? (a[j] && g[j] ? 1 : 0) : a[j] ? 1 : 0;
  return s;
}

/** Typical importance of a real token per layer (the median, dense): the scale of θ and T. */
function scoreScales(m: LoadedBert, data: Encoded): number[] {
  const none = Array.from({ length: m.config.num_hidden_layers }, () => fixed(NONE));
  const soft: SoftThresholds = { theta: none, thetaHi: none };
  const take = Math.min(64, data.ids.length);
  const r = softCipherPrune(m.weights, m.config, data.ids.slice(0, take), data.padding.slice(0, take), soft, { T: 0, lowDegree: false });
  return r.scores.map((s) => {
    const real = Array.from(s.data).filter((_, i) => data.padding[Math.floor(i / m.config.seq_len)][i % m.config.seq_len] === 0 && i % m.config.seq_len !== 0);
    real.sort((x, y) => x - y);
    return real[Math.floor(real.length / 2)] || 1;
  });
}

/** The dense model's class probabilities [N·C] (the targets of distillation). */
function denseProbabilities(m: LoadedBert, data: Encoded): Float64Array {
  const none = Array.from({ length: m.config.num_hidden_layers }, () => fixed(NONE));
  const out = new Float64Array(data.ids.length * m.config.num_labels);
  for (let b = 0; b < data.ids.length; b += 64) {
    const r = softCipherPrune(m.weights, m.config, data.ids.slice(b, b + 64), data.padding.slice(b, b + 64), { theta: none, thetaHi: none }, { T: 0, lowDegree: false });
    out.set(softmax(r.logits).data, b * m.config.num_labels);
  }
  return out;
}

/** Mean cross-entropy of logits [B, C] against target distributions q [B·C]: −(1/B) Σ q log p. */
export function softCrossEntropy(logits: Var, q: Float64Array): Var {
  const logp = map(softmax(logits), (x) => Math.log(Math.max(x, 1e-300)), (x) => 1 / Math.max(x, 1e-300));
  return scale(sum(mul(constant(q, logits.shape), logp)), -1 / logits.shape[0]);
}

/** One soft search at cost weight λ from θ = θ_hi = 0.25 · scale (deterministic for a seed);
 * `targets`: the dense model's probabilities of the search sentences, with o.distill. */
function search(m: LoadedBert, train: Encoded, lambda: number, scales: number[], lin: LinearCost, denseValue: number, o: TuneOptions, tick: () => void, targets?: Float64Array): Thresholds2 {
  const L = m.config.num_hidden_layers;
  const rng = new Rng(o.seed);
  // Parameters in units of each layer's score scale.
  const u = Array.from({ length: L }, () => param(Float64Array.of(0.25), []));
  const v = Array.from({ length: L }, () => param(Float64Array.of(0.25), []));
  const opt = new Adam([...u, ...v], { lr: o.lr });
  for (let step = 0; step < o.steps; step++) {
    const idx = Array.from({ length: Math.min(o.batch, train.ids.length) }, () => Math.floor(rng.next() * train.ids.length));
    withGrad(() => {
      const th: SoftThresholds = { theta: u.map((t, l) => scale(t, scales[l])), thetaHi: v.map((t, l) => scale(t, scales[l])) };
      const r = softCipherPrune(m.weights, m.config, idx.map((i) => train.ids[i]), idx.map((i) => train.padding[i]), th, { T: o.temperature * Math.min(...scales), lowDegree: true });
      let costTerm: Var = fixed(0);
      r.kept.forEach((a, l) => {
        costTerm = add(costTerm, scale(sum(a), lin.perKept[l]));
        costTerm = add(costTerm, scale(sum(mul(a, r.high[l])), lin.perHigh[l]));
      });
      const C = m.config.num_labels;
      const task = targets ? softCrossEntropy(r.logits, Float64Array.from(idx.flatMap((i) => Array.from(targets.subarray(i * C, (i + 1) * C))))) : crossEntropy(r.logits, idx.map((i) => train.labels[i]));
      return add(task, scale(costTerm, lambda / (idx.length * denseValue)));
    });
    opt.step();
    tick();
  }
  const top = m.config.num_attention_heads * m.config.seq_len;
  return { theta: u.map((t, l) => onGrid(t.data[0] * scales[l], top)), theta_hi: v.map((t, l) => onGrid(t.data[0] * scales[l], top)) };
}

/**
 * A threshold as the program receives it: on the grid of its encoding (act = fix<32, 12>, so the
 * float check sees the value the secure run compares with) and within [−1, h·n]: importance is
 * in [0, h·n], so h·n keeps only the always-kept token and −1 keeps every token.
 */
export const onGrid = (t: number, top: number): number => Math.round(Math.min(top, Math.max(-1, t)) * 4096) / 4096;

/** Why a fixed-point check refuses a candidate (undefined: it does not): accuracy over budget or
 * a label unlike float; under the margin rule also counts unlike float or a score error above
 * the stated fixed-point bound (the margins assumed it). */
function checkFixed(f: FixedCheck, budget: number, bound?: ScoreErrorBound): string | undefined {
  if (f.accuracy < budget) return 'fixed-point accuracy over budget';
  if (f.sameLabel !== f.sentences) return 'fixed-point labels unlike float';
  if (!bound) return undefined;
  if (f.sameCounts !== f.sentences) return 'fixed-point counts unlike float';
  const over = f.maxScoreError.findIndex((e, l) => e > bound.safety * (bound.fixed[l] ?? bound.fixed.at(-1)!));
  return over >= 0 ? `fixed-point score error ${f.maxScoreError[over].toFixed(4)} above the bound at layer ${over + 1}` : undefined;
}

/**
 * The whole search: sweep λ, harden, check on `held`; then, cheapest first, move each candidate's
 * thresholds away from the held-out scores (margins.ts), measure again, and, given `pruned` (the
 * checkpoint's bert_cipherprune), check it in fixed point (fixed-check.ts); keep the first that
 * stays within the budget in both and whose fixed-point labels are the float model's.
 */
export function tuneThresholds(m: LoadedBert, train: Encoded, held: Encoded, cost: PrunedCost, o: TuneOptions, pruned?: IrProgram): TuneResult {
  const L = m.config.num_hidden_layers;
  const fixedN = Math.min(o.fixedSentences ?? Infinity, held.ids.length);
  const total = o.lambdas.length * o.steps;
  let done = 0;
  const tick = () => o.progress?.(++done, total, 'search');
  const lin = fitLinearCost(cost, L, m.config.seq_len, o.seed);
  const all: Thresholds2 = { theta: new Array<number>(L).fill(NONE), theta_hi: new Array<number>(L).fill(NONE) };
  const dense = measure(m, held, all, cost, false);
  const scales = scoreScales(m, train);
  const denseValue = cost.value(cost.dense);
  const budget = dense.accuracy - o.maxDrop / 100 - 1e-12;
  const agreement = (x: Measured) => x.predictions.filter((p, i) => p === dense.predictions[i]).length / x.predictions.length;
  const within = (x: Measured) => x.accuracy >= budget && agreement(x) >= o.minAgreement - 1e-12 && (!o.minCut || denseValue >= o.minCut * cost.value(x.cost));
  const targets = o.distill ? denseProbabilities(m, train) : undefined;
  const candidates: Candidate[] = o.lambdas.map((lambda) => {
    const thresholds = search(m, train, lambda, scales, lin, denseValue, o, tick, targets);
    const validation = measure(m, held, thresholds, cost);
    return { lambda, thresholds, validation, ok: within(validation), agreement: agreement(validation) };
  });
  let best: Candidate | undefined;
  const cheaper = (a: Candidate, b: Candidate) => cost.value(a.validation.cost) - cost.value(b.validation.cost);
  const order = o.minCut ? (a: Candidate, b: Candidate) => b.agreement - a.agreement || cheaper(a, b) : cheaper;
  for (const c of candidates.filter((x) => x.ok).sort(order)) {
    // Under a cost target a move down (more tokens) can cross it: then the thresholds only go up.
    const { thresholds, margins } = withMargins(m, held, c.thresholds, o.window, o.margin, o.minCut ? 'up' : 'both', o.scoreError);
    const validation = measure(m, held, thresholds, cost);
    const refused = margins.refused?.length ? `margin: ${margins.refused.join(', ')}` : !within(validation) ? 'budget after the move' : undefined;
    let checked = 0;
    const fixed = !refused && pruned ? fixedPointCheck(m, pruned, held, thresholds, fixedN, () => o.progress?.(++checked, fixedN, 'fixed-point check')) : undefined;
    const fixedRefused = fixed && checkFixed(fixed, budget, o.scoreError);
    const accepted = !refused && !fixedRefused;
    c.placed = { thresholds, margins, validation, fixed, accepted, refused: refused ?? fixedRefused };
    if (accepted) {
      best = c;
      break;
    }
  }
  const thresholds = best ? best.placed!.thresholds : all;
  return {
    thresholds,
    lambda: best ? best.lambda : null,
    metric: cost.metric,
    linear: lin,
    candidates,
    dense,
    pruned: measure(m, held, { theta: thresholds.theta, theta_hi: new Array<number>(L).fill(NONE) }, cost, false),
    reduced: best ? best.placed!.validation : dense,
    fixed: best?.placed?.fixed,
    margins: best?.placed?.margins,
  };
}
