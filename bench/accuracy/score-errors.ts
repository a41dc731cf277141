// How far the secure run's importance scores (prune.importance, opened from both parties'
// traces: bench-only) are from the program's fixed-point reference's, and those from the float
// model's, per layer, over the tokens a threshold is compared with ([CLS], pinned, left out).
// A layer counts only on the sentences whose earlier layers revealed the same (k, kh) in both
// runs (else its rows differ). The secure error is in ULP of fix<32, 12> (both scores are on the
// grid); it is what src/train/margins.ts's secure margin must cover (docs/tuning.md).
import type { Thresholds } from '../../src/model/bert.ts';
import type { Comparison } from './compare.ts';

const ULP = 2 ** -12;

export interface LayerErrors {
  /** Scores compared, and sentences whose layer counted. */
  count: number;
  sentences: number;
  max: number;
  /** Signed extremes of the difference (secure − fixed, fixed − float): the truncations are biased. */
  lowest: number;
  highest: number;
  q999: number;
  q99: number;
  median: number;
}

export interface SecureLayerErrors extends LayerErrors {
  maxUlp: number;
  q999Ulp: number;
  q99Ulp: number;
  /** Mean of secure − fixed (ULP): the truncations' bias (faithful: floor or floor − 1). */
  meanUlp: number;
  /** Every secure − fixed in ULP, signed and sorted (to pool several processes' runs). */
  ulps: number[];
  /** Smallest distance of a fixed-point score from θ_l / θ_hi_l (the margin met on these sentences). */
  nearestTheta: number;
  nearestThetaHi: number;
}

/** The q-quantile of sorted xs (nearest rank). */
export const quantile = (sorted: readonly number[], q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : 0);

function stats(signed: number[], sentences: number): LayerErrors {
  const d = signed.map(Math.abs).sort((a, b) => a - b);
  return { count: d.length, sentences, max: d.at(-1) ?? 0, lowest: Math.min(0, ...signed), highest: Math.max(0, ...signed), q999: quantile(d, 0.999), q99: quantile(d, 0.99), median: quantile(d, 0.5) };
}

const sameBefore = (a: Comparison, ka: 'keptSecure' | 'keptFloat', b: Comparison, kb: 'keptSecure' | 'keptFloat', l: number): boolean => {
  const ha = ka === 'keptSecure' ? 'highSecure' : 'highFloat', hb = kb === 'keptSecure' ? 'highSecure' : 'highFloat';
  for (let i = 0; i < l; i++) if (a[ka][i] !== b[kb][i] || a[ha][i] !== b[hb][i]) return false;
  return true;
};

/** `secure[i]` and `fixed[i]`: compareBert with scores of sentence i, over a session and without. */
export function scoreErrors(secure: Comparison[], fixed: Comparison[], th: Thresholds): { secureVsFixed: SecureLayerErrors[]; fixedVsFloat: LayerErrors[] } {
  const L = th.theta.length;
  const secureVsFixed: SecureLayerErrors[] = [], fixedVsFloat: LayerErrors[] = [];
  for (let l = 0; l < L; l++) {
    const sf: number[] = [], ff: number[] = [];
    let ns = 0, nf = 0, nearestTheta = Infinity, nearestThetaHi = Infinity;
    secure.forEach((s, i) => {
      const f = fixed[i], fs = f.scoresSecure?.[l];
      if (!fs) return;
      if (s.scoresSecure?.[l] && sameBefore(s, 'keptSecure', f, 'keptSecure', l)) {
        ns++;
        for (let j = 1; j < fs.length; j++) sf.push(Math.round((s.scoresSecure[l][j] - fs[j]) / ULP));
      }
      if (f.scoresFloat?.[l] && sameBefore(f, 'keptSecure', f, 'keptFloat', l)) {
        nf++;
        for (let j = 1; j < fs.length; j++) ff.push(fs[j] - f.scoresFloat[l][j]);
      }
      for (let j = 1; j < fs.length; j++) {
        nearestTheta = Math.min(nearestTheta, Math.abs(fs[j] - th.theta[l]));
        if (fs[j] > th.theta[l]) nearestThetaHi = Math.min(nearestThetaHi, Math.abs(fs[j] - th.theta_hi[l]));
      }
    });
    const e = stats(sf, ns);
    const meanUlp = sf.reduce((a, b) => a + b, 0) / Math.max(1, sf.length);
    secureVsFixed.push({ ...e, lowest: e.lowest * ULP, highest: e.highest * ULP, max: e.max * ULP, q999: e.q999 * ULP, q99: e.q99 * ULP, median: e.median * ULP, maxUlp: e.max, q999Ulp: e.q999, q99Ulp: e.q99, meanUlp, ulps: sf.sort((a, b) => a - b), nearestTheta, nearestThetaHi });
    fixedVsFloat.push(stats(ff, nf));
  }
  return { secureVsFixed, fixedVsFloat };
}
