// CipherPrune thresholds that make a model keep chosen numbers of tokens on given inputs, found
// with the reference interpreter (fixed-point mode) in one pass: when layer l's importance
// scores appear (they depend only on the thresholds of the layers before it), its two thresholds
// are chosen and written into the threshold inputs, and whatever was already computed from them
// (thresholdDeps) is computed again. Each threshold is the midpoint
// between two consecutive sorted scores, so a secure run, whose scores differ from the reference
// by a few ULPs, keeps the same tokens when the gap is wide (the result reports each gap). Used
// by the end-to-end tests and bench/e2e (whose secure run fits its own: src/exec/fit-thresholds.ts).
import type { IrProgram } from '../ir/ir.ts';
import type { InputValues } from '../ir/dim-env.ts';
import { interpret, type InterpretResult } from './interpret.ts';
import { fromReal, realValues } from '../ir/twins.ts';
import type { Tensor } from '../ir/tensor.ts';
import { opRow } from '../ir/ops/table.ts';

/** Tokens kept by layer l and, among them, the ones that get the accurate polynomials (both
 * counts include the pinned token). */
export interface LayerCounts {
  keep: number;
  hi: number;
}

/** Which token is always kept and always accurate: BERT's [CLS] (first), GPT-2's last. */
export type Pinned = 'first' | 'last';

export interface Calibration {
  /** The inputs with `theta` and `theta_hi` set. */
  inputs: InputValues;
  theta: number[];
  thetaHi: number[];
  /** Per layer, the gap (in units of the scores) between the scores each threshold separates. */
  gaps: { keep: number; hi: number }[];
  /** The reference run with the final thresholds. */
  reference: InterpretResult;
}

/** Above every score the model can produce: keeps only the pinned token (cheap later layers). */
export const KEEP_NONE = 1000;

/** The SSA ids of each layer's importance scores (`prune.importance`), by loop iteration. */
export function importanceOps(p: IrProgram): number[] {
  const ids: number[] = [];
  for (const op of p.ops) {
    if (op.op !== 'colsum' || !op.where.stack.includes('prune.importance')) continue;
    const l = Number(/^l=(\d+)$/.exec(op.where.loops[0] ?? '')?.[1]);
    if (Number.isInteger(l)) ids[l] = op.id;
  }
  return ids;
}

/**
 * A threshold such that exactly `count` tokens are above it or pinned (index `pinned`, −1 for
 * none), and the gap between the two scores it separates.
 */
export function cut(scores: ArrayLike<number>, pinned: number, count: number): { theta: number; gap: number } {
  const free = Array.from(scores).filter((_, i) => i !== pinned).sort((a, b) => b - a);
  const m = count - (pinned >= 0 ? 1 : 0);
  if (m < 0 || m > free.length) throw new RangeError(`cannot keep ${count} of ${scores.length} tokens`);
  if (free.length === 0) return { theta: 0, gap: Infinity };
  if (m === 0) return { theta: free[0] + 1, gap: Infinity };
  if (m === free.length) return { theta: free[m - 1] - 1, gap: Infinity };
  if (free[m - 1] === free[m]) throw new RangeError(`cannot keep exactly ${count} of ${scores.length} tokens: scores tie at the cut (${free[m]})`);
  return { theta: (free[m - 1] + free[m]) / 2, gap: free[m - 1] - free[m] };
}

/** The count in [lo, hi] whose threshold has the widest gap (most robust to rounding). */
export function widestCount(scores: ArrayLike<number>, pinned: number, lo: number, hi: number): number {
  let best = -1, gap = 0;
  for (let c = lo; c <= hi; c++) {
    const free = Array.from(scores).filter((_, i) => i !== pinned).sort((a, b) => b - a), m = c - (pinned >= 0 ? 1 : 0);
    if (m > 0 && m < free.length && free[m - 1] === free[m]) continue; // a tie: not a cut
    const g = cut(scores, pinned, c).gap;
    if (g > gap) [best, gap] = [c, g];
  }
  if (best < 0) throw new RangeError(`no count in ${lo}..${hi} separates the scores (they tie)`);
  return best;
}

/** Index of the pinned token among n. */
const pinIndex = (pinned: Pinned, n: number): number => (pinned === 'first' ? 0 : n - 1);

/**
 * One layer's two thresholds from its importance scores: `theta` keeps `want.keep` tokens, and
 * `thetaHi` gives `want.hi` of the kept ones the accurate polynomials; and the gap each separates.
 */
export function layerThresholds(scores: ArrayLike<number>, pinned: Pinned, want: LayerCounts): { theta: number; thetaHi: number; gaps: { keep: number; hi: number } } {
  const keep = cut(scores, pinIndex(pinned, scores.length), want.keep);
  const kept = Float64Array.from(Array.from(scores).filter((s, i) => s > keep.theta || i === pinIndex(pinned, scores.length)));
  const hi = cut(kept, pinIndex(pinned, kept.length), want.hi);
  return { theta: keep.theta, thetaHi: hi.theta, gaps: { keep: keep.gap, hi: hi.gap } };
}

/** The server inputs that hold the per-layer thresholds (`theta[l]`, `theta_hi[l]`). */
export const THRESHOLD_INPUTS = ['theta', 'theta_hi'];

/** Which thresholds an op's value depends on: the layers l of the `theta[l]` / `theta_hi[l]`
 * reads it is computed from, or 'all' when it depends on a whole threshold input. */
export type ThresholdDeps = Set<number> | 'all';

/**
 * Per op (by SSA id), the thresholds its value depends on, or undefined for none: the threshold
 * inputs (all), their `index` reads (that layer), and every op computed from those, through any
 * number of ops (a server-local max(θ_l, θ_hi_l), its share and broadcast, the comparison with the
 * scores, ...). Static: from the program's data flow.
 */
export function thresholdDeps(p: IrProgram, names: readonly string[] = THRESHOLD_INPUTS): (ThresholdDeps | undefined)[] {
  const deps: (ThresholdDeps | undefined)[] = [];
  const inputs = new Set(p.inputs.filter((i) => names.includes(i.name)).map((i) => i.id));
  for (const op of p.ops) {
    if (inputs.has(op.id)) {
      deps[op.id] = 'all';
      continue;
    }
    if (op.op === 'index' && inputs.has(op.args[0])) {
      deps[op.id] = new Set([(op.attrs.indices as number[])[0]]);
      continue;
    }
    let d: ThresholdDeps | undefined;
    for (const a of op.args) {
      const x = deps[a];
      if (!x) continue;
      if (x === 'all' || d === 'all') d = 'all';
      else d = new Set([...(d ?? []), ...x]);
    }
    deps[op.id] = d;
  }
  return deps;
}

/** Whether dependencies `d` include layer l's thresholds. */
export const dependsOn = (d: ThresholdDeps | undefined, l: number): boolean => d !== undefined && (d === 'all' || d.has(l));

/**
 * Write threshold l of input `name` (theta or theta_hi) into that input's value (`values` by op
 * id; sparse is fine). Values already computed from it must be computed again (thresholdDeps).
 */
export function writeThreshold(p: IrProgram, values: ArrayLike<Pick<Tensor, 'enc'> & { data: Tensor['data'] | null } | undefined>, name: string, l: number, v: number): void {
  const id = p.inputs.find((i) => i.name === name)!.id, input = values[id];
  if (!input?.data) throw new Error(`internal: threshold input ${name} has no value here`);
  (input.data as unknown as unknown[])[l] = (fromReal([v], input.enc, 'fixed') as unknown as unknown[])[0]; // a ring element (number or bigint)
}

export function calibrateThresholds(p: IrProgram, inputs: InputValues, pinned: Pinned, counts: (layer: number, scores: Float64Array) => LayerCounts): Calibration {
  const ops = importanceOps(p);
  const layers = ops.length;
  const deps = thresholdDeps(p);
  const theta = new Array<number>(layers).fill(KEEP_NONE), thetaHi = new Array<number>(layers).fill(KEEP_NONE);
  const gaps: Calibration['gaps'] = [];
  const reference = interpret(p, { ...inputs, theta: theta.slice(), theta_hi: thetaHi.slice() }, 'fixed', {
    onValue: (op, values, dims) => {
      const l = ops.indexOf(op.id);
      if (l < 0) return;
      const scores = realValues(values[op.id], 'fixed');
      const t = layerThresholds(scores, pinned, counts(l, scores));
      [theta[l], thetaHi[l]] = [t.theta, t.thetaHi];
      writeThreshold(p, values, 'theta', l, t.theta);
      writeThreshold(p, values, 'theta_hi', l, t.thetaHi);
      // Every value computed so far from θ_l or θ_hi_l (the reads `theta[l]` and whatever was
      // computed from them), again, in program order, by its twin.
      for (const o of p.ops.slice(0, op.id)) {
        if (o.op === 'input' || !dependsOn(deps[o.id], l) || !values[o.id]) continue;
        if (p.runtimeDims.some((r) => r.op === o.id)) throw new Error(`calibrating layer ${l}: %${o.id} ${o.op} (${o.where.file}:${o.where.line}) revealed a size computed from its thresholds before its scores exist`);
        values[o.id] = opRow(o.op).twin({ args: o.args.map((a) => values[a]), shape: dims.shape(o.type.shape), enc: o.type.enc, attrs: dims.attrs(o), mode: 'fixed', vis: o.type.vis });
      }
      gaps.push(t.gaps);
    },
  });
  return { inputs: { ...inputs, theta, theta_hi: thetaHi }, theta, thetaHi, gaps, reference };
}
