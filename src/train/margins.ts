// Thresholds away from the scores. The secure run compares fixed-point importance scores with θ,
// which differ from the float model's by up to a few hundredths (measured: 0.024 at layer 0 of
// the bundled classifier); a token whose score lies that close to θ can be kept by one and
// dropped by the other, and the kept count (which is revealed) and possibly the label then
// differ. So after the search each threshold moves, within a window around its learned value, to
// the point farthest from every held-out score it is compared with: the middle of the widest gap
// between consecutive scores. The hard masks on the held-out sentences do not change when θ stays
// in its gap; moving to another gap is then checked like any candidate. Where the scores are
// dense (the bulk of layer 1's on the bundled classifier: gaps of 10⁻² and less) no gap is as
// wide as the fixed-point error, so agreement is likely, not certain: the fixed-point check
// (fixed-check.ts) measures it.
import type { LoadedBert } from '../model/load.ts';
import { softCipherPrune, type SoftThresholds } from './soft-prune.ts';
import { constant } from '../autodiff/var.ts';
import { onGrid, type Encoded, type Thresholds2 } from './tune.ts';

export interface Margins {
  /** Per layer, the distance from θ_l and θ_hi_l to the nearest held-out score they separate. */
  theta: number[];
  theta_hi: number[];
}

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
    const g = onGrid(Math.min(hi, Math.max(lo, want)), top);
    const at = side === 'up' ? Math.max(from, g) : g;
    const margin = Math.min(at - ends[i], ends[i + 1] - at);
    const m = Math.min(margin, enough), b = Math.min(best.margin, enough);
    if (m > b || (m === b && Math.abs(at - t) < Math.abs(best.at - t))) best = { at, margin };
  }
  return best;
}

/** Move each θ_l, then θ_hi_l, layer by layer, to the widest gap of the held-out scores (only
 * upwards with side 'up'). */
export function withMargins(m: LoadedBert, data: Encoded, th: Thresholds2, window: number, enough: number, side: MoveSide = 'both'): { thresholds: Thresholds2; margins: Margins } {
  const top = m.config.num_attention_heads * m.config.seq_len;
  const out: Thresholds2 = { theta: [...th.theta], theta_hi: [...th.theta_hi] };
  const margins: Margins = { theta: [], theta_hi: [] };
  for (let l = 0; l < out.theta.length; l++) {
    const g = widestGap(out.theta[l], layerScores(m, data, out, l).theta, window, top, enough, side);
    out.theta[l] = g.at;
    margins.theta.push(g.margin);
    const h = widestGap(out.theta_hi[l], layerScores(m, data, out, l).hi, window, top, enough, side);
    out.theta_hi[l] = h.at;
    margins.theta_hi.push(h.margin);
  }
  return { thresholds: out, margins };
}
