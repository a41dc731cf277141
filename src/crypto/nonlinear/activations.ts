// Activations and elementwise selections for researchers' layers (the prelude's relu, abs, max,
// min, sigmoid, silu).
//
// Exact ones from one DReLU and one multiplexer (CrypTFlow2, Rathee et al. CCS 2020, §3.2 DReLU
// and Appendix A.1 multiplexer; the same steps as one level of the row-max tournament):
//   relu(x)   = c·x,             c = [x ≥ 0]
//   abs(x)    = 2·c·x − x
//   max(a, b) = b + c·(a − b),   c = [a − b ≥ 0]
//   min(a, b) = a − c·(a − b)
// The comparison reads the sign of the ring value (x) or of the ring difference (max, min: it must
// not wrap, |a − b| < 2^(ℓ−1) raw, which the twin checks).
//
// Sigmoid and SiLU are low-degree forms like gelu_lo (pwl.ts: one line per segment, chosen by a
// lookup; clamps on a coarse copy of x; tables in pwl-tables.ts):
//   sigmoid: 64 lines of width 1/4 on [−7.875, 8), 0 below, 1 above
//   silu:    128 lines of width 1/8 on [−7.875, 8), 0 below, x above (ReLU)
// Polynomials over such wide ranges (degree 7–8 on [0, 8]) lose their precision in a 32-bit ring
// (the monomial coefficients cancel), so lines it is.
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { checkRange, encName, valueSpec, type RangeProbe } from '../ranges.ts';
import { costOf, isServer, ringOf, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { checkDifference, geConsts, geConstsCostSteps, geConstsTwin } from './compare.ts';
import { prepareSelector, prepareSelectorCost, selectorMulCost } from './boolean.ts';
import { checkHeadroom, pwlBlend, pwlBlendCostSteps, pwlBlendTwin, type FnParams } from './gelu.ts';
import { SIGMOID_PWL, SILU_PWL } from './pwl-tables.ts';
import { randomFree } from './ot-ops.ts';

export interface SignParams {
  ell: number;
  /** Fixed-point scale (messages in real units; 0 for rings and integers). */
  s?: number;
}

/** Shares of c·v for secret bits c = [x ≥ 0]: one DReLU and one multiplexer. */
async function positivePart(ctx: ProtoCtx, x: RingArray, v: RingArray, ell: number): Promise<RingArray> {
  const c = await geConsts(ctx, x, { ell, consts: [0] });
  const sel = await prepareSelector(ctx, ell, c, 1);
  return (await sel.mul(ctx, [v]))[0];
}

function positivePartTwin(x: RingArray, v: RingArray, ell: number): RingArray {
  const c = geConstsTwin(x, { ell, consts: [0] }), out = ringOf(ell).alloc(x.length);
  for (let i = 0; i < x.length; i++) if (c[i]) (out as Uint32Array)[i] = (v as Uint32Array)[i];
  return out;
}

export function signCostSteps(b: CostBuilder, n: number, p: SignParams): void {
  geConstsCostSteps(b, n, { ell: p.ell, consts: [0] });
  prepareSelectorCost(b, n, p.ell);
  selectorMulCost(b, n, p.ell, 1, randomFree(b.ot));
}

/** The cost of relu, abs, max and min: one DReLU and one multiplexer per element. */
export const signCost = (n: number, p: SignParams, ot?: OtCostModel): Cost => costOf((b) => signCostSteps(b, n, p), ot);

export const relu = (ctx: ProtoCtx, x: RingArray, p: SignParams): Promise<RingArray> => positivePart(ctx, x, x, p.ell);
export const reluTwin = (x: RingArray, p: SignParams): RingArray => positivePartTwin(x, x, p.ell);

export async function absS(ctx: ProtoCtx, x: RingArray, p: SignParams): Promise<RingArray> {
  const ring = ringOf(p.ell);
  return ring.sub(await positivePart(ctx, x, ring.add(x, x), p.ell), x);
}

/** Twin of abs: |x|, which must fit the encoding (x ≠ −2^(ℓ−1) raw). */
export function absTwin(x: RingArray, p: SignParams, probe?: RangeProbe): RingArray {
  const ring = ringOf(p.ell), s = p.s ?? 0;
  const v = Float64Array.from(ring.toSigned(x), (t) => Math.abs(t) * 2 ** -s);
  checkRange(v, { ...valueSpec(p.ell, s, 'the absolute value'), enc: s ? encName(p.ell, s) : encName(p.ell) }, probe);
  return ring.sub(positivePartTwin(x, ring.add(x, x), p.ell), x);
}

export async function maxS(ctx: ProtoCtx, a: RingArray, b: RingArray, p: SignParams): Promise<RingArray> {
  const ring = ringOf(p.ell), d = ring.sub(a, b);
  return ring.add(b, await positivePart(ctx, d, d, p.ell));
}

export async function minS(ctx: ProtoCtx, a: RingArray, b: RingArray, p: SignParams): Promise<RingArray> {
  const ring = ringOf(p.ell), d = ring.sub(a, b);
  return ring.sub(a, await positivePart(ctx, d, d, p.ell));
}

/** Twins of max and min: exact while the difference does not wrap, which they check. */
export function maxTwin(a: RingArray, b: RingArray, p: SignParams, probe?: RangeProbe): RingArray {
  const ring = ringOf(p.ell);
  checkDifference(ring, a, b, p, 'the difference of the compared values', probe);
  const d = ring.sub(a, b);
  return ring.add(b, positivePartTwin(d, d, p.ell));
}

export function minTwin(a: RingArray, b: RingArray, p: SignParams, probe?: RangeProbe): RingArray {
  const ring = ringOf(p.ell);
  checkDifference(ring, a, b, p, 'the difference of the compared values', probe);
  const d = ring.sub(a, b);
  return ring.sub(a, positivePartTwin(d, d, p.ell));
}

// ---- sigmoid and SiLU ----

/** The constant 1 at scale s, as this party's share (the server holds it). */
const one = (ctx: ProtoCtx | null, n: number, p: FnParams): RingArray => {
  const ring = ringOf(p.ell);
  return !ctx || isServer(ctx) ? ring.addScalar(ring.alloc(n), 2 ** p.s) : ring.alloc(n);
};

export const sigmoid = (ctx: ProtoCtx, x: RingArray, p: FnParams): Promise<RingArray> => pwlBlend(ctx, x, SIGMOID_PWL, p, one(ctx, x.length, p));

export function sigmoidTwin(x: RingArray, p: FnParams, probe?: RangeProbe): RingArray {
  checkHeadroom('sigmoid', x, p, probe);
  return pwlBlendTwin(x, SIGMOID_PWL, p, one(null, x.length, p));
}

export const sigmoidCost = (n: number, p: FnParams, ot?: OtCostModel): Cost => costOf((b) => pwlBlendCostSteps(b, n, SIGMOID_PWL, p), ot);

export const silu = (ctx: ProtoCtx, x: RingArray, p: FnParams): Promise<RingArray> => pwlBlend(ctx, x, SILU_PWL, p, x);

export function siluTwin(x: RingArray, p: FnParams, probe?: RangeProbe): RingArray {
  checkHeadroom('silu', x, p, probe);
  return pwlBlendTwin(x, SILU_PWL, p, x);
}

export const siluCost = (n: number, p: FnParams, ot?: OtCostModel): Cost => costOf((b) => pwlBlendCostSteps(b, n, SILU_PWL, p), ot);

/** Float references. */
export const sigmoidRef = (x: number): number => 1 / (1 + Math.exp(-x));
export const siluRef = (x: number): number => x / (1 + Math.exp(-x));
