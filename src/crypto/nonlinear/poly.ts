// Polynomial approximations (docs/approximations.md) and their fixed-point Horner evaluation.
//
// Coefficients are near-minimax fits (iteratively reweighted least squares on 4001 points,
// /tmp-free: the values are fixed here and documented). Each polynomial is in a non-negative
// variable y ∈ [0, ymax], so the secure evaluation can use the short-operand product
// (arith.ts): y's bits are prepared once and serve every Horner step.
//
// Evaluation (Estrin's scheme, Estrin 1960, on pairs of coefficients): with v = y²,
//   P(y) = Σ_i (a_{2i} + a_{2i+1}·y)·v^i = w_0,   w_m = a_{2m} + a_{2m+1}·y,
//   w_i = a_{2i} + a_{2i+1}·y + v·w_{i+1}   (i = m−1..0, m = ⌊d/2⌋).
// The linear terms are public multiples of y (local); v is one product; each level is one
// product by v and one truncation. Secure rounds: 2 for v (w_m's truncation rides with v's) and
// 2 per level (1 when w_{i+1} is the constant a_d) — degree 5: 6 instead of Horner's 9.
// Fixed-point plan: y and v at scale s (v = y·y rounded to s bits); w_i at scale Fz[i] (Fz[0] = s, or s + extraBits:
// a more precise output for a caller that scales it up, as exp does), the
// sum S_i = v·w_{i+1} + B_i·y + A_i at scale Fz[i+1] + s with every |S_i| below 2^(ℓ−3) (the
// truncation's precondition): B_i = round(a_{2i+1}·2^Fz[i+1]), A_i = round(a_{2i}·2^(Fz[i+1]+s)).
// Truncations round to nearest (half the divisor added first). The twin runs the same steps with
// exact floors; the secure result differs by the one-bit
// truncation errors only (bounded per function in the tests).
import type { RingArray } from '../ring.ts';
import { addPublic, costOf, ringOf, type CostBuilder, type ProtoCtx } from './context.ts';
import { boundOperand, operandCounts, operandMulCost, operandSpec, type BitOperand } from './operand.ts';
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
  /** v = y² raw < 2^kv. */
  kv: number;
  /** Levels: w_0 … w_m, m = ⌊d/2⌋. */
  m: number;
  /** Whether w_m = a_{2m} + a_{2m+1}·y (d odd) is secret; for d even it is the constant A[m]. */
  oddTop: boolean;
  /** Scale of w_i (i = 0..m; Fz[0] = s + extraBits, the output); the final sum S_0 is at scale Fz[1] + s. */
  Fz: number[];
  /** A[i], B[i]: a_{2i}, a_{2i+1} at the scale of S_i (i < m); A[m], B[m]: w_m's (see above). */
  A: bigint[];
  B: bigint[];
}

const plans = new Map<string, HornerPlan>();

/** Bits of a raw value below max·2^s (with the truncations' slack). */
const bitsFor = (max: number, s: number): number => Math.ceil(Math.log2(Math.ceil(max * 2 ** s) + 3));

/**
 * Per-level scales: w_i keeps as many fractional bits as the bound on S_{i−1} allows
 * (|S_{i−1}|·2^(Fz[i]+s) < 2^(ℓ−3)), so small high-order coefficients keep their precision.
 */
export function hornerPlan(spec: PolySpec, ell: number, s: number, extraBits = 0): HornerPlan {
  const key = `${spec.name}/${ell}/${s}/${extraBits}`;
  const hit = plans.get(key);
  if (hit) return hit;
  const c = spec.coeffs, d = c.length - 1, m = Math.floor(d / 2), oddTop = d % 2 === 1, ex = spec.extraMax ?? 0;
  const a = (j: number) => (j <= d ? c[j] : 0);
  // P[i] = max |S_i| (+ extra for i = 0), W = max |w_m| over a grid of [0, ymax·1.001].
  const P = new Array<number>(m).fill(0);
  let W = 0;
  for (let g = 0; g <= 4000; g++) {
    const y = (spec.ymax * 1.001 * g) / 4000;
    let w = a(2 * m) + a(2 * m + 1) * y;
    W = Math.max(W, Math.abs(w));
    for (let i = m - 1; i >= 0; i--) {
      w = a(2 * i) + a(2 * i + 1) * y + y * y * w;
      P[i] = Math.max(P[i], Math.abs(w) + (i === 0 ? ex : 0));
    }
  }
  // |S|·2^(F+s) < 2^(ℓ−2), with 5 % to spare for the truncations' errors.
  const room = (bound: number) => Math.ceil(ell - 2 - s - Math.log2(bound * 1.05 + 2 ** -30)) - 1;
  const Fz = new Array<number>(m + 1).fill(s);
  Fz[0] = s + extraBits;
  for (let i = 1; i <= m; i++) Fz[i] = Math.min(ell - 3, room(P[i - 1]));
  if (oddTop) Fz[m] = Math.min(Fz[m], room(W));
  for (let i = m - 1; i >= 1; i--) Fz[i] = Math.min(Fz[i], Fz[i + 1] + s - 1);
  const k = bitsFor(spec.ymax, s), kv = bitsFor(spec.ymax ** 2, s);
  if (Math.min(...Fz.slice(1)) < s || (m > 0 && Fz[1] + s - Fz[0] < 1) || 2 * k > ell - 2 || kv > ell - 2) throw new RangeError(`${spec.name}: fix<${ell},${s}> leaves too few accumulator bits; use a wider ring`);
  const r = (x: number, sc: number) => BigInt(Math.round(x * 2 ** sc));
  // Every truncation rounds to nearest: half its divisor is folded into the constant term.
  const half = (t: number) => 1n << BigInt(t - 1);
  const A = Array.from({ length: m + 1 }, (_, i) =>
    i < m ? r(a(2 * i), Fz[i + 1] + s) + half(Fz[i + 1] + s - Fz[i]) : oddTop ? r(a(2 * m), Fz[m] + s) + half(s) : r(a(2 * m), Fz[m]));
  const B = Array.from({ length: m + 1 }, (_, i) => (i < m ? r(a(2 * i + 1), Fz[i + 1]) : oddTop ? r(a(2 * m + 1), Fz[m]) : 0n));
  const plan = { spec, ell, s, k, kv, m, oddTop, Fz, A, B };
  plans.set(key, plan);
  return plan;
}

/** Truncation of S_i that yields w_i (i = m−1..0). */
const shiftAt = (plan: HornerPlan, i: number): number => plan.Fz[i + 1] + plan.s - plan.Fz[i];
/** Products by v (levels whose w_{i+1} is secret). */
const vUses = (plan: HornerPlan): number => plan.m - (plan.oddTop ? 0 : 1);
/** Elements of the first truncation: v, and w_m when it is secret. */
const firstTruncN = (n: number, plan: HornerPlan): number => (plan.oddTop ? 2 * n : n);

/**
 * The OTs of an evaluation after y's operand, prepared ahead: v's operand (random bits, bound
 * when v is known), the first truncation (v and w_m), then one truncation per level.
 */
export function hornerTruncSpecs(ctx: ProtoCtx, n: number, plan: HornerPlan, to = plan.ell): ChooserSpec[] {
  const { ell, kv, m } = plan;
  return [
    ...(vUses(plan) > 0 ? [operandSpec(ctx, ell, n, kv, vUses(plan))] : []),
    truncSpec(ctx, firstTruncN(n, plan), plan.s),
    ...Array.from({ length: m }, (_, k) => truncSpec(ctx, n, shiftAt(plan, m - 1 - k), k === m - 1 ? to - ell : 0)),
  ];
}
export const hornerTruncCounts = (n: number, plan: HornerPlan): ChooserCounts[] => [
  ...(vUses(plan) > 0 ? [operandCounts(n, plan.ell, plan.kv)] : []),
  truncCounts(firstTruncN(n, plan)),
  ...Array.from({ length: plan.m }, () => truncCounts(n)),
];
/** How many choosers hornerTruncSpecs prepares. */
export const hornerSpecCount = (plan: HornerPlan): number => (vUses(plan) > 0 ? 1 : 0) + 1 + plan.m;

/** S_i's local part B_i·y + A_i (+ extra). */
function linearPart(ctx: ProtoCtx | null, plan: HornerPlan, y: RingArray, i: number, extra?: RingArray): RingArray {
  const ring = ringOf(plan.ell);
  let t = ring.mulScalar(y, plan.B[i]);
  t = ctx ? addPublic(ctx, ring, t, plan.A[i]) : ring.addScalar(t, plan.A[i]);
  return extra ? ring.add(t, extra) : t;
}

function concat(ring: ReturnType<typeof ringOf>, a: RingArray, b: RingArray): RingArray {
  const out = ring.alloc(a.length + b.length);
  (out as Uint32Array).set(a as Uint32Array);
  (out as Uint32Array).set(b as Uint32Array, a.length);
  return out;
}

/**
 * Secure evaluation of plan.spec at y (raw, scale s, in [0, 2^k)), with `op` prepared on y (k-bit
 * short form, one use). `extra` (shares at scale Fz[1] + s) is added before the final
 * truncation. `pre`: the OTs prepared ahead (`hornerTruncSpecs`, with the same `to`). Returns
 * shares at scale Fz[0] (s + extraBits), in Z_2^to: the final truncation also extends (one COT, no extra round).
 */
export async function hornerSecure(ctx: ProtoCtx, plan: HornerPlan, y: RingArray, op: BitOperand, extra: RingArray | undefined, pre: Chooser[], to = plan.ell): Promise<RingArray> {
  const { ell, m, n } = { ...plan, n: y.length }, ring = ringOf(ell);
  if (pre.length !== hornerSpecCount(plan)) throw new Error(`internal: ${plan.spec.name} wants ${hornerSpecCount(plan)} prepared OTs, got ${pre.length}`);
  const [vCh, firstCh, ...truncs] = vUses(plan) > 0 ? pre : [undefined, ...pre];
  const yy = addPublic(ctx, ring, await op.mul(ctx, y, 1), 1n << BigInt(plan.s - 1));
  const first = await trunc(ctx, plan.oddTop ? concat(ring, yy, linearPart(ctx, plan, y, m)) : yy, { ell, t: plan.s }, firstCh);
  const v = first.slice(0, n) as RingArray;
  const opV = vCh ? boundOperand(ctx, ell, n, v, plan.kv, vCh) : null;
  let w: RingArray | null = plan.oddTop ? (first.slice(n) as RingArray) : null;
  for (let i = m - 1; i >= 0; i--) {
    const prod = w === null ? ring.mulScalar(v, plan.A[m]) : await opV!.mul(ctx, w, 1);
    w = await trunc(ctx, ring.add(prod, linearPart(ctx, plan, y, i, i === 0 ? extra : undefined)), { ell, t: shiftAt(plan, i), to: i === 0 ? to : ell }, truncs[m - 1 - i]);
  }
  return w!;
}

/** Cost of hornerSecure (y's operand and the prepared OTs are the caller's). */
export function hornerCostSteps(b: CostBuilder, n: number, plan: HornerPlan, to = plan.ell): void {
  const { ell, k, kv, m } = plan;
  operandMulCost(b, n, ell, k, 1, 'both', true);
  truncCostSteps(b, firstTruncN(n, plan), { ell, t: plan.s }, true);
  let firstV = true;
  for (let i = m - 1; i >= 0; i--) {
    if (plan.oddTop || i < m - 1) {
      operandMulCost(b, n, ell, kv, 1, 'both', firstV);
      firstV = false;
    }
    truncCostSteps(b, n, { ell, t: shiftAt(plan, i), to: i === 0 ? to : ell }, true);
  }
}

/** Uses of y's operand: the square only. */
export const hornerUses = (_plan: HornerPlan): number => 1;

/** Twin: the same steps on opened values with exact floor truncations. */
export function hornerTwin(plan: HornerPlan, y: RingArray, extra?: RingArray): RingArray {
  const { ell, m, s } = plan, ring = ringOf(ell);
  const v = ring.shr(ring.addScalar(ring.mul(y, y), 1n << BigInt(s - 1)), s);
  let w: RingArray | null = plan.oddTop ? ring.shr(linearPart(null, plan, y, m), s) : null;
  for (let i = m - 1; i >= 0; i--) {
    const prod = w === null ? ring.mulScalar(v, plan.A[m]) : ring.mul(v, w);
    w = ring.shr(ring.add(prod, linearPart(null, plan, y, i, i === 0 ? extra : undefined)), shiftAt(plan, i));
  }
  return w!;
}

export { costOf };
