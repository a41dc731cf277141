// Thresholds away from the scores. The secure run compares its importance scores with θ; they
// differ from the float model's by the fixed-point reference's truncations (up to 0.027 at layer 1
// of the bundled classifier) plus the secure run's own (faithful truncation, floor or floor − 1:
// up to 161 ULP = 0.039 more on 20 validation sentences, measured by `npm run bench -- accuracy
// --split validation --scores`). A token whose score lies that close to θ can be kept by one and dropped by the
// other, and the kept count (which is revealed) and possibly the label then differ. So after the
// search each threshold moves, within a window around its learned value, to a point far from
// every held-out score it is compared with. Without a stated error (the older rule) that is the
// middle of the widest gap in a ±5 % window, wide enough at 0.1, a best effort. With one
// (ScoreErrorBound: the margin rule, docs/tuning.md "The margin rule") the threshold must keep at
// least safety × (secure error + fixed-point error) from every held-out score: the nearest such
// point within a wider window is taken, and a candidate where some threshold has none is refused.
// The hard masks on the held-out sentences do not change when θ stays in its gap; moving to
// another gap is then checked like any candidate.
import type { LoadedBert } from '../model/load.ts';
import { softCipherPrune, type SoftThresholds } from './soft-prune.ts';
import { constant } from '../autodiff/var.ts';
import { onGrid, type Encoded, type Thresholds2 } from './tune.ts';

export interface Margins {
  /** Per layer, the distance from θ_l and θ_hi_l to the nearest held-out score they separate. */
  theta: number[];
  theta_hi: number[];
  /** With a ScoreErrorBound: the distance each layer's thresholds had to keep, and the thresholds
   * that could not (empty: the rule holds). */
  required?: number[];
  refused?: string[];
}

/**
 * The error a threshold's margin must cover, per layer, in score units: `secure`, the largest
 * |secure − fixed-point| importance score difference measured on held-out sentences (bench/accuracy
 * --scores), and `fixed`, the largest |fixed-point − float| (the fixed-point check,
 * fixed-check.ts). The margin rule asks for safety · (secure + fixed) between each threshold and
 * every held-out float score it is compared with; `window`: how far (a fraction of |θ|) the
 * threshold may move to find such a point.
 */
export interface ScoreErrorBound {
  secure: number[];
  fixed: number[];
  safety: number;
  window: number;
}

/** The distance the thresholds of layer l must keep from the held-out scores. */
export const requiredMargin = (e: ScoreErrorBound, l: number): number => e.safety * ((e.secure[l] ?? e.secure.at(-1)!) + (e.fixed[l] ?? e.fixed.at(-1)!));

const fixed = (v: number) => constant(Float64Array.of(v), []);

/** Scores layer `l` compares with θ_l (tokens present at l) and with θ_hi_l (tokens kept at l),
 * [CLS] (always kept) left out. */
function layerScores(m: LoadedBert, data: Encoded, th: Thresholds2, l: number): { theta: number[]; hi: number[] } {
  const soft: SoftThresholds = { theta: th.theta.map(fixed), thetaHi: th.theta_hi.map(fixed) };
  const n = m.config.seq_len;
  const theta: number[] = [], hi: number[] = [];
  for (let b = 0; b < data.ids.length; b += 64) {
    const r = softCipherPrune(m.weights, m.config, data.ids.slice(b, b + 64), data.padding.slice(b, b + 64), soft, { T: 0, lowDegree: true });
    const s = r.scores[l].data, present = l > 0 ? r.kept[l - 1].data : undefined, kept = r.kept[l].data;
    for (let i = 0; i < s.length; i++) {
      if (i % n === 0 || (present && !present[i])) continue;
      theta.push(s[i]);
      if (kept[i]) hi.push(s[i]);
    }
  }
  return { theta, hi };
}

/** One step of the thresholds' grid (act = fix<32, 12>; tune.ts onGrid). */
const GRID = 2 ** -12;

/** Where a threshold may move: either way, or only up (θ and θ_hi only grow: never more kept or
 * accurate tokens, so never more cost — used under a cost target, where a move down can cross
 * it; CipherPrune §4.4). */
export type MoveSide = 'both' | 'up';

/**
 * The point of [t − w, t + w] (with side 'up': [t, t + w]) farthest from every score
 * (w = window · |t|), on the threshold grid; with its distance to the nearest score. Distances of
 * at least `enough` count as equal, and among equals the point nearest t wins (a threshold with
 * no score near it stays put). Scores lie in [0, top].
 */
export function widestGap(t: number, scores: readonly number[], window: number, top: number, enough = Infinity, side: MoveSide = 'both'): { at: number; margin: number } {
  if (!Number.isFinite(t)) return { at: t, margin: Infinity };
  const s = [...scores].sort((a, b) => a - b);
  const w = window * Math.abs(t);
  // On the grid, and never below t when moving up only (rounding to the grid could go below).
  const from = side === 'up' ? Math.ceil(t * 4096) / 4096 : t - w;
  const ends = [-1, ...s, top + 1];
  let best = { at: t, margin: -1 };
  for (let i = 0; i + 1 < ends.length; i++) {
    const lo = Math.max(ends[i], from), hi = Math.min(ends[i + 1], t + w);
    if (lo > hi) continue;
    // The point of [lo, hi] nearest t among those at least `enough` from both ends, else the middle.
    const mid = (ends[i] + ends[i + 1]) / 2;
    const safe = [ends[i] + enough, ends[i + 1] - enough];
    const want = safe[0] <= safe[1] ? Math.min(safe[1], Math.max(safe[0], t)) : mid;
    let g = onGrid(Math.min(hi, Math.max(lo, want)), top);
    // Rounding to the grid must not leave the points `enough` from both ends when it need not.
    if (safe[0] <= safe[1] && g < safe[0] && g + GRID <= Math.min(hi, safe[1])) g += GRID;
    if (safe[0] <= safe[1] && g > safe[1] && g - GRID >= Math.max(lo, safe[0])) g -= GRID;
    const at = side === 'up' ? Math.max(from, g) : g;
    const margin = Math.min(at - ends[i], ends[i + 1] - at);
    const m = Math.min(margin, enough), b = Math.min(best.margin, enough);
    if (m > b || (m === b && Math.abs(at - t) < Math.abs(best.at - t))) best = { at, margin };
  }
  return best;
}

/** The margin rule for one threshold: the point of its window nearest t that is at least
 * `need` from every score (widestGap with enough = need), or, if there is none, the widest gap
 * and `ok` false. */
export function placeWithMargin(t: number, scores: readonly number[], need: number, window: number, top: number, side: MoveSide): { at: number; margin: number; ok: boolean } {
  const g = widestGap(t, scores, window, top, need, side);
  return { ...g, ok: g.margin >= need };
}

/** Move each θ_l, then θ_hi_l, layer by layer, to the widest gap of the held-out scores (only
 * upwards with side 'up'); with `bound`, by the margin rule (placeWithMargin) instead, listing
 * the thresholds that cannot keep the required distance. */
export function withMargins(m: LoadedBert, data: Encoded, th: Thresholds2, window: number, enough: number, side: MoveSide = 'both', bound?: ScoreErrorBound): { thresholds: Thresholds2; margins: Margins } {
  const top = m.config.num_attention_heads * m.config.seq_len;
  const out: Thresholds2 = { theta: [...th.theta], theta_hi: [...th.theta_hi] };
  const margins: Margins = { theta: [], theta_hi: [], ...(bound ? { required: [], refused: [] } : {}) };
  const place = (t: number, scores: number[], l: number, name: string) => {
    if (!bound) return widestGap(t, scores, window, top, enough, side);
    const need = requiredMargin(bound, l);
    const g = placeWithMargin(t, scores, need, bound.window, top, side);
    if (!g.ok) margins.refused!.push(`${name}_${l + 1}: ${g.margin.toFixed(4)} < ${need.toFixed(4)}`);
    return g;
  };
  for (let l = 0; l < out.theta.length; l++) {
    margins.required?.push(bound ? requiredMargin(bound, l) : 0);
    const g = place(out.theta[l], layerScores(m, data, out, l).theta, l, 'θ');
    out.theta[l] = g.at;
    margins.theta.push(g.margin);
    const h = place(out.theta_hi[l], layerScores(m, data, out, l).hi, l, 'θ_hi');
    out.theta_hi[l] = h.at;
    margins.theta_hi.push(h.margin);
  }
  return { thresholds: out, margins };
}
