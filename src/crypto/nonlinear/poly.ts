// Polynomial approximations (docs/approximations.md) and their fixed-point Horner evaluation.
//
// Coefficients are near-minimax fits (iteratively reweighted least squares on 4001 points,
// /tmp-free: the values are fixed here and documented). Each polynomial is in a non-negative
// variable y ∈ [0, ymax], so the secure evaluation can use the short-operand product
// (arith.ts): y's bits are prepared once and serve every Horner step.
//
// Fixed-point plan: y at scale s (raw < 2^k), accumulator at scale F chosen so that every
// product z·y stays below 2^(ℓ−2) (the truncation's precondition):
//   z_{d−1} = trunc(A_d·y, s) + A_{d−1};  z_i = trunc(z_{i+1}·y, s) + A_i  (i = d−2..1);
//   result  = trunc(z_1·y + A_0·2^s + extra, F)          (scale s)
// with A_i = round(a_i·2^F). The twin runs the same steps with exact floors; the secure result
// differs by the one-bit truncation errors only (bounded per function in the tests).
import type { RingArray } from '../ring.ts';
import { addPublic, costOf, ringOf, type CostBuilder, type ProtoCtx } from './context.ts';
import { operandMulCost, type BitOperand } from './arith.ts';
import { trunc, truncCostSteps, truncCounts, truncSpec } from './trunc.ts';
import type { Chooser, ChooserCounts, ChooserSpec } from './ot-ops.ts';

export interface PolySpec {
  name: string;
  /** a_0 … a_d (monomial basis, in y). */
  coeffs: number[];
  /** Input range [0, ymax] of y (real). */
  ymax: number;
  /** Largest |extra| / 2^(F+s) added before the final truncation (real units). */
  extraMax?: number;
}

// GELU(x) ≈ 0.5·x + P(|x|) for |x| < T, ReLU beyond (BOLT's form; our fits).
export const GELU_HI: PolySpec = {
  name: 'gelu_hi', ymax: 3.6, extraMax: 1.8,
  coeffs: [0.000771415761127532, -0.01825775438807615, 0.4670354354604792, -0.08238606650441566, -0.04127991444016422, 0.01747488388743737, -0.0018276130719797332],
};
// e^{−q} on q ∈ [0, 2·ln2 + 0.003] (exp range reduction with a one-bit-error quotient).
export const EXP_HI: PolySpec = {
  name: 'exp_hi', ymax: 1.3892943611198905,
  coeffs: [0.9999568534600181, -0.9983736098968656, 0.49012375728927193, -0.14519172784864234, 0.02139387621493861],
};
// tanh(y) on [0, 3.2], ±1 beyond (sign restored outside).
export const TANH: PolySpec = {
  name: 'tanh', ymax: 3.2,
  coeffs: [-0.0031730438537995787, 1.067782147529709, -0.21842267115887504, -0.15578991029502298, 0.08019290429918843, -0.01039352600480604],
};
// 1/(1+u) and 1/sqrt(1+u) on u ∈ [0, 1] (normalised mantissas; fitted on [−0.001, 1.003]).
export const RECIP: PolySpec = {
  name: 'recip', ymax: 1.003,
  coeffs: [0.9999649761255964, -0.9969651590626951, 0.9586460414784911, -0.7847019174958803, 0.43365857089264137, -0.11063346557845025],
};
export const RSQRT: PolySpec = {
  name: 'rsqrt', ymax: 1.003,
  coeffs: [0.9999906451581286, -0.49919826486871377, 0.3642035473544672, -0.2571794538557433, 0.1314782898802141, -0.032196232157626445],
};

export const evalPoly = (c: number[], y: number): number => c.reduceRight((acc, a) => acc * y + a, 0);

export interface HornerPlan {
  spec: PolySpec;
  ell: number;
  s: number;
  /** y raw < 2^k. */
  k: number;
  /** Scale of the Horner value z_i (i = 0..d; Fz[0] = s, the output). */
  Fz: number[];
  /** A_i = round(a_i · 2^Fz[i]) for i ≥ 1; A_0 = round(a_0 · 2^(Fz[1] + s)). */
  A: bigint[];
}

const plans = new Map<string, HornerPlan>();

/**
 * Per-step scales: z_i is kept with as many fractional bits as the bound on z_i·y allows
 * (|z_i·y|·2^(Fz[i]+s) < 2^(ℓ−3)), so small high-order coefficients keep their precision.
 */
export function hornerPlan(spec: PolySpec, ell: number, s: number): HornerPlan {
  const key = `${spec.name}/${ell}/${s}`;
  const hit = plans.get(key);
  if (hit) return hit;
  const c = spec.coeffs, d = c.length - 1, ex = spec.extraMax ?? 0;
  const yRaw = Math.ceil(spec.ymax * 2 ** s) + 2;
  const k = Math.ceil(Math.log2(yRaw + 1));
  // P[i] = max |z_{i+1}(y)·y| (+ extra for i = 0) over a grid of [0, ymax·1.001].
  const P = new Array<number>(d).fill(0);
  for (let g = 0; g <= 4000; g++) {
    const y = (spec.ymax * 1.001 * g) / 4000;
    let z = c[d];
    for (let i = d - 1; i >= 0; i--) {
      P[i] = Math.max(P[i], Math.abs(z * y) + (i === 0 ? ex : 0));
      z = z * y + c[i];
    }
  }
  const Fz = new Array<number>(d + 1).fill(s);
  for (let i = 1; i <= d; i++) Fz[i] = Math.min(ell - 3, Math.floor(ell - 2 - s - Math.log2(P[i - 1] * 1.05 + 2 ** -30)) - 1);
  for (let i = d - 1; i >= 1; i--) Fz[i] = Math.min(Fz[i], Fz[i + 1] + s - 1);
  if (Math.min(...Fz.slice(1)) < s) throw new RangeError(`${spec.name}: fix<${ell},${s}> leaves too few accumulator bits; use a wider ring`);
  const A = c.map((a, i) => BigInt(Math.round(a * 2 ** (i === 0 ? Fz[1] + s : Fz[i]))));
  const plan = { spec, ell, s, k, Fz, A };
  plans.set(key, plan);
  return plan;
}

/** Truncation after the product z_{i+1}·y that yields z_i (i = d−1..0). */
const shiftAt = (plan: HornerPlan, i: number): number => plan.Fz[i + 1] + plan.s - plan.Fz[i];

/** The truncations of a Horner evaluation, prepared ahead (steps d − 1 down to 0). */
export const hornerTruncSpecs = (ctx: ProtoCtx, n: number, plan: HornerPlan): ChooserSpec[] =>
  Array.from({ length: plan.A.length - 1 }, (_, k) => truncSpec(ctx, n, shiftAt(plan, plan.A.length - 2 - k)));
export const hornerTruncCounts = (n: number, plan: HornerPlan): ChooserCounts[] => Array.from({ length: plan.A.length - 1 }, () => truncCounts(n));

/**
 * Secure Horner evaluation of plan.spec at y (raw, scale s, in [0, 2^k)), with `op` prepared on
 * y (k-bit short form, at least d − 1 uses). `extra` (shares at scale Fz[1] + s) is added before
 * the final truncation. `truncs`: the truncations' OTs prepared ahead (`hornerTruncSpecs`).
 * Returns shares at scale s.
 */
export async function hornerSecure(ctx: ProtoCtx, plan: HornerPlan, y: RingArray, op: BitOperand, extra?: RingArray, truncs?: Chooser[]): Promise<RingArray> {
  const { ell, A } = plan, ring = ringOf(ell), d = A.length - 1;
  const ch = (i: number) => truncs?.[d - 1 - i];
  const step = async (prod: RingArray, i: number) => {
    let w = addPublic(ctx, ring, prod, A[i]);
    if (i === 0 && extra) w = ring.add(w, extra);
    if (i === 0) return trunc(ctx, w, { ell, t: shiftAt(plan, 0) }, ch(0));
    return addPublic(ctx, ring, await trunc(ctx, prod, { ell, t: shiftAt(plan, i) }, ch(i)), A[i]);
  };
  let z = await step(ring.mulScalar(y, A[d]), d - 1);
  for (let i = d - 2; i >= 0; i--) z = await step(await op.mul(ctx, z, 1), i);
  return z;
}

/**
 * Cost of hornerSecure (the operand's preparation is the caller's). `pooled`: the operand was
 * prepared ahead on random bits and the truncations' OTs too.
 */
export function hornerCostSteps(b: CostBuilder, n: number, plan: HornerPlan, pooled = false): void {
  const { ell, k, A } = plan, d = A.length - 1;
  truncCostSteps(b, n, { ell, t: shiftAt(plan, d - 1) }, pooled);
  for (let i = d - 2; i >= 0; i--) {
    operandMulCost(b, n, ell, k, 1, 'both', pooled && i === d - 2);
    truncCostSteps(b, n, { ell, t: shiftAt(plan, i) }, pooled);
  }
}

export const hornerUses = (plan: HornerPlan): number => Math.max(1, plan.A.length - 2);

/** Twin: the same steps on opened values with exact floor truncations. */
export function hornerTwin(plan: HornerPlan, y: RingArray, extra?: RingArray): RingArray {
  const { ell, A } = plan, ring = ringOf(ell), d = A.length - 1;
  const step = (prod: RingArray, i: number) => {
    if (i === 0) {
      let w = ring.addScalar(prod, BigInt.asUintN(64, A[0]));
      if (extra) w = ring.add(w, extra);
      return ring.shr(w, shiftAt(plan, 0));
    }
    return ring.addScalar(ring.shr(prod, shiftAt(plan, i)), BigInt.asUintN(64, A[i]));
  };
  let z = step(ring.mulScalar(y, BigInt.asUintN(64, A[d])), d - 1);
  for (let i = d - 2; i >= 0; i--) z = step(ring.mul(z, y), i);
  return z;
}

export { costOf };
