// The cost the threshold search minimises: the schedule's predicted bytes (both directions) or,
// on a network profile, its predicted time (src/opt: predictSchedule, predictTime — the numbers
// `cipherprune inspect --kept` prints), as a function of the counts the pruned program reveals
// per layer (k_l kept, kh_l accurate). CipherPrune §4.4 weights each layer's kept fraction by
// what a token costs in the rest of that layer; here that weight is the slope of a least-squares
// linear fit of the cost model over the reachable counts, so expensive layers are pruned harder.
import { DimEnv } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import { predictSchedule } from '../opt/cost.ts';
import { makeCostParams } from '../ir/ops/table.ts';
import type { OtChoice } from '../crypto/ot/index.ts';
import { buildSchedule, type Schedule } from '../opt/schedule.ts';
import { predictTime } from '../opt/time.ts';
import type { NetworkProfile } from '../transport/sim-channel.ts';
import { Rng } from './rng.ts';

export interface CostPoint {
  bytes: number;
  /** Of which in the encoder layers (ops inside the program's layer loop): what pruning can cut. */
  layerBytes: number;
  rounds: number;
  /** Predicted seconds on the network profile (network only, no compute), when one is given. */
  seconds?: number;
}

export interface PrunedCost {
  /** Cost of the pruned program for per-layer counts (cached). */
  at(kept: readonly number[], high: readonly number[]): CostPoint;
  /** The dense program's cost. */
  dense: CostPoint;
  /** The quantity minimised: bytes, or seconds with a network. */
  metric: 'bytes' | 'seconds';
  value(p: CostPoint): number;
}

function pointOf(s: Schedule, dims: DimEnv, network?: NetworkProfile, ot?: OtChoice): CostPoint {
  const c = predictSchedule(s, dims, makeCostParams({ ot }));
  const inLoop = c.ops.filter((o) => s.program.ops[o.id].where.loops.length > 0);
  return { bytes: c.bytesC2S + c.bytesS2C, layerBytes: inLoop.reduce((a, o) => a + o.bytesC2S + o.bytesS2C, 0), rounds: c.rounds, seconds: network && predictTime(s, c, network).seconds };
}

/** Cost model of a pruned program (revealed sizes k@l=i, kh@l=i) beside its dense variant
 * (with the default OT backend, or `ot`). */
export function prunedCost(pruned: IrProgram, dense: IrProgram, network?: NetworkProfile, ot?: OtChoice): PrunedCost {
  const s = buildSchedule(pruned, { merge: true });
  const cache = new Map<string, CostPoint>();
  const syms = pruned.runtimeDims.map((r) => {
    const m = /^(k|kh)@l=(\d+)$/.exec(r.symbol.name);
    if (!m) throw new Error(`the pruned program reveals '${r.symbol.name}', not a per-layer kept count (k@l=i, kh@l=i)`);
    return { sym: r.symbol, kind: m[1], layer: Number(m[2]) };
  });
  const metric = network ? 'seconds' : 'bytes';
  return {
    metric,
    value: (p) => (metric === 'bytes' ? p.bytes : p.seconds!),
    dense: pointOf(buildSchedule(dense, { merge: true }), new DimEnv(), network, ot),
    at(kept, high) {
      const key = `${kept.join(',')}/${high.join(',')}`;
      let hit = cache.get(key);
      if (!hit) {
        const dims = new DimEnv();
        for (const y of syms) dims.values.set(y.sym, (y.kind === 'k' ? kept : high)[y.layer]);
        cache.set(key, (hit = pointOf(s, dims, network, ot)));
      }
      return hit;
    },
  };
}

export interface LinearCost {
  /** cost ≈ base + Σ_l perKept[l]·k_l + Σ_l perHigh[l]·kh_l (in the metric's unit). */
  base: number;
  perKept: number[];
  perHigh: number[];
}

/**
 * Least-squares fit of the cost over random reachable counts (n ≥ k_0 ≥ k_1 ≥ … ≥ 1, 1 ≤ kh_l
 * ≤ k_l), seeded. perKept[l] is what one more token kept after layer l costs (the rest of layer l
 * and the next layer's attention), perHigh[l] what one more accurate token costs.
 */
export function fitLinearCost(cost: PrunedCost, layers: number, n: number, seed: number, samples = 48): LinearCost {
  const rng = new Rng(seed ^ 0x5eed);
  const X: number[][] = [], y: number[] = [];
  const pick = (hi: number) => 1 + Math.floor(rng.next() * hi);
  for (let s = 0; s < samples; s++) {
    const kept: number[] = [], high: number[] = [];
    let prev = n;
    for (let l = 0; l < layers; l++) {
      prev = s === 0 ? n : s === 1 ? 1 : pick(prev);
      kept.push(prev);
      high.push(s === 0 ? prev : s === 1 ? 1 : pick(prev));
    }
    X.push([1, ...kept, ...high]);
    y.push(cost.value(cost.at(kept, high)));
  }
  const beta = leastSquares(X, y);
  return { base: beta[0], perKept: beta.slice(1, 1 + layers), perHigh: beta.slice(1 + layers) };
}

/** Solve min ‖Xβ − y‖ by the normal equations (small, well-conditioned systems). */
export function leastSquares(X: number[][], y: number[]): number[] {
  const p = X[0].length;
  const A = Array.from({ length: p }, (_, i) => Array.from({ length: p + 1 }, (_, j) => X.reduce((s, r, k) => s + r[i] * (j < p ? r[j] : y[k]), 0)));
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    [A[c], A[piv]] = [A[piv], A[c]];
    for (let r = 0; r < p; r++) {
      if (r === c || A[c][c] === 0) continue;
      const f = A[r][c] / A[c][c];
      for (let j = c; j <= p; j++) A[r][j] -= f * A[c][j];
    }
  }
  return A.map((row, i) => (row[i] === 0 ? 0 : row[p] / row[i]));
}
