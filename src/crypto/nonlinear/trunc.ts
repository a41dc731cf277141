// Arithmetic protocols on additive shares: truncation and ring extension / reduction.
//
// Truncation (default: one-bit error): the known-MSB trick of Huang et al. ("Cheetah", USENIX
// Security 2022, §4.2 / SIRNN §3.4 "TR with known MSB"). With a public offset B = 2^(ℓ−2), y = x + B
// has MSB 0 whenever |x| < 2^(ℓ−2), so the wrap of y0 + y1 over 2^ℓ is w = msb(y0) ∨ msb(y1)
// and floor(y / 2^t) = (y0 ≫ t) + (y1 ≫ t) − w·2^(ℓ−t) + c, c ∈ {0, 1} the carry of the low t
// bits. w costs one arithmetic COT over Z_2^t (the term m0·m1); dropping c gives a result in
// {floor(x/2^t) − 1, floor(x/2^t)}. `exact: true` adds c: a t-bit millionaires' and B2A, the wrap
// product in B2A's exchange (trunc-exact.ts; docs/nonlinear.md, "Exact truncation").
// Extension (SIRNN, Rathee et al. S&P 2021, §3.3 zero/signed extension) uses the same wrap bit.
import type { OtCostModel } from '../ot/cost.ts';
import { convertWidth } from '../fixed.ts';
import type { Ring, RingArray } from '../ring.ts';
import { bitAt, costOf, isServer, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { bitProduct, bitProductCounts, bitProductCost, bitProductSpec, type Chooser, type ChooserSpec } from './ot-ops.ts';
import { exactParts, exactPartsCost } from './trunc-exact.ts';
export { carry, carryCostSteps } from './trunc-exact.ts';


// ---------------------------------------------------------------------------------------------
// truncation

export interface TruncParams {
  ell: number;
  /** Bits to drop, 1 ≤ t ≤ ℓ − 2. */
  t: number;
  /** Exact floor (adds a t-bit millionaires' and a B2A, trunc-exact.ts); default: the session's mode
   * (ProtoCtx.exact, CostBuilder.exact), else error ∈ {−1, 0}. */
  exact?: boolean;
  /**
   * Output ring Z_2^to (to ≥ ℓ, default ℓ): the result sign-extended in the same COT, whose
   * product is then over Z_2^(to − ℓ + t) (SIRNN §3.3; as `truncExtend` in pwl.ts). With `exact`
   * the carry's B2A is over Z_2^to.
   */
  to?: number;
}

/** Whether a truncation floors exactly: its own `exact`, else the session's mode (exact mode). */
const exactIn = (ctx: ProtoCtx | CostBuilder, p: { exact?: boolean }): boolean => p.exact ?? ctx.exact === true;

/** Width of the truncation's bit product: t, plus the extension's to − ℓ. */
const productBits = (p: TruncParams): number => p.t + (p.to ?? p.ell) - p.ell;

function checkTrunc(p: TruncParams): void {
  if (!Number.isInteger(p.t) || p.t < 1 || p.t > p.ell - 2) throw new RangeError(`truncation by ${p.t} bits in Z_2^${p.ell}: want 1..${p.ell - 2}`);
  if (p.to !== undefined && (p.to < p.ell || p.to > 64 || productBits(p) > 64)) throw new RangeError(`truncation of Z_2^${p.ell} into Z_2^${p.to}: want a ring of ℓ..64 bits`);
}

/**
 * The correlated OT of a truncation of n values by t bits, prepared ahead (in an earlier flight,
 * on random choice bits): with it the truncation is one exchange instead of two flights.
 */
export const truncSpec = (ctx: ProtoCtx, n: number, t: number, widen = 0): ChooserSpec => bitProductSpec(ctx, n, t + widen);
export const truncCounts = bitProductCounts;

/**
 * floor(x / 2^t) (arithmetic), or one less (default, not exact). Requires |x| < 2^(ℓ−2).
 * `ch`: its correlated OT prepared ahead (`truncSpec`).
 */
export async function trunc(ctx: ProtoCtx, x: RingArray, p: TruncParams, ch?: Chooser): Promise<RingArray> {
  checkTrunc(p);
  const { ell, t } = p, ring = ringOf(ell), rt = ringOf(p.to ?? ell), small = ringOf(productBits(p)), n = x.length, server = isServer(ctx);
  const B = 1n << BigInt(ell - 2);
  const y = server ? ring.addScalar(x, B) : x;
  const m = bitAt(y, ell - 1);
  // m0·m1 over Z_2^t (Z_2^(to − ℓ + t) when widening): the server sends, the client chooses with m1.
  const ex = exactIn(ctx, p) && n > 0 ? await exactParts(ctx, y, ell, [t], rt, { m, ring: small, ch }) : null;
  const mm = ex?.mm ?? (await bitProduct(ctx, small, m, ch));
  const top = rt.shl(convertWidth(small.sub(mm, bitsRing(small, m)), small, rt, false), ell - t); // (m0m1 − m_P)·2^(ℓ−t)
  let out = rt.add(convertWidth(ring.shrLogical(y, t), ring, rt, false), top);
  if (server) out = rt.addScalar(out, BigInt.asUintN(64, -(B >> BigInt(t))));
  if (ex) out = rt.add(out, ex.carries[0]);
  return out;
}

/**
 * floor(x / 2^t) (or one less) for several shifts t at once, all results in Z_2^ℓ: the wrap bit
 * w = msb(y0) ∨ msb(y1) is the same for every shift, so one bit product over Z_2^(max t) serves
 * them all (reduced mod 2^t for each). Requires |x| < 2^(ℓ−2). `ch`: `truncSpec(ctx, n, max t)`.
 * `exact`: every result the exact floor (one millionaires' run for all the shifts' carries).
 */
export async function truncMany(ctx: ProtoCtx, x: RingArray, ell: number, shifts: number[], ch?: Chooser, exact = ctx.exact === true): Promise<RingArray[]> {
  const T = Math.max(...shifts);
  for (const t of shifts) checkTrunc({ ell, t });
  const ring = ringOf(ell), server = isServer(ctx), B = 1n << BigInt(ell - 2);
  const y = server ? ring.addScalar(x, B) : x, m = bitAt(y, ell - 1);
  const ex = exact && x.length > 0 ? await exactParts(ctx, y, ell, shifts, ring, { m, ring: ringOf(T), ch }) : null;
  const mm = ex?.mm ?? (await bitProduct(ctx, ringOf(T), m, ch));
  return shifts.map((t, j) => {
    const small = ringOf(t), top = ring.shl(convertWidth(small.sub(reduceRing(mm, T, t), bitsRing(small, m)), small, ring, false), ell - t);
    const out = ring.add(ring.shrLogical(y, t), top);
    const o = server ? ring.addScalar(out, BigInt.asUintN(64, -(B >> BigInt(t)))) : out;
    return ex ? ring.add(o, ex.carries[j]) : o;
  });
}

/** Cost steps of `truncMany` (`pooled`: its correlated OT was prepared ahead, `truncSpec(ctx, n, max t)`). */
export function truncManyCostSteps(b: CostBuilder, n: number, ell: number, shifts: number[], pooled = false, exact = b.exact): void {
  const T = Math.max(...shifts);
  if (exact && n > 0) exactPartsCost(b, n, shifts, ell, T, pooled);
  else bitProductCost(b, n, T, pooled);
}

/** Bits (0/1) as elements of a ring. */
export function bitsRing(r: Ring, b: Bits): RingArray {
  const out = r.alloc(b.length);
  if (out instanceof Uint32Array) out.set(b);
  else for (let i = 0; i < b.length; i++) out[i] = BigInt(b[i]);
  return out;
}

/** `pooled`: the truncation's OT was prepared ahead (`truncSpec`). */
export function truncCostSteps(b: CostBuilder, n: number, p: TruncParams, pooled = false): void {
  if (exactIn(b, p) && n > 0) exactPartsCost(b, n, [p.t], p.to ?? p.ell, productBits(p), pooled);
  else bitProductCost(b, n, productBits(p), pooled);
}

export const truncCost = (n: number, p: TruncParams, ot?: OtCostModel): Cost => costOf((b) => truncCostSteps(b, n, p), ot);

/** Twin: floor(x / 2^t) (the secure result is this, or one less unless `exact`). Checks |x| < 2^(ℓ−2). */
export function truncTwin(x: RingArray, p: TruncParams): RingArray {
  checkTrunc(p);
  const ring = ringOf(p.ell);
  // |x| < 2^(ℓ−2) ⟺ x + 2^(ℓ−2) − 1 (mod 2^ℓ) ≤ 2^(ℓ−1) − 2, compared exactly (no float rounding at ℓ = 64).
  const u = ring.addScalar(x, (1n << BigInt(p.ell - 2)) - 1n), top = (1n << BigInt(p.ell - 1)) - 2n;
  for (let i = 0; i < u.length; i++) {
    if (BigInt(u[i]) > top) throw new RangeError(`truncation in Z_2^${p.ell}: element ${i} (${ring.toSigned(x.subarray(i, i + 1) as RingArray)[0]}) outside |x| < 2^${p.ell - 2}`);
  }
  const r = ring.shr(x, p.t);
  return p.to === undefined ? r : convertWidth(r, ringOf(p.ell), ringOf(p.to), true);
}

// ---------------------------------------------------------------------------------------------
// ring extension and reduction

export interface ExtendParams {
  from: number;
  to: number;
  /** Signed: requires |x| < 2^(from−2). Unsigned: requires 0 ≤ x < 2^(from−1). */
  signed: boolean;
}

/** Sign- or zero-extend shares from Z_2^from to Z_2^to (to > from): one arithmetic COT (`ch`: prepared ahead). */
export async function extend(ctx: ProtoCtx, x: RingArray, p: ExtendParams, ch?: Chooser): Promise<RingArray> {
  const { from, to } = p;
  if (!(to > from)) throw new RangeError(`extend: target width ${to} must exceed ${from}`);
  const rf = ringOf(from), rt = ringOf(to), rd = ringOf(to - from), server = isServer(ctx);
  const B = p.signed ? 1n << BigInt(from - 2) : 0n;
  const y = server && p.signed ? rf.addScalar(x, B) : x;
  const m = bitAt(y, from - 1);
  const mm = await bitProduct(ctx, rd, m, ch);
  // y = y0 + y1 − 2^from·(m0 + m1 − m0·m1)
  const corr = rt.shl(convertWidth(rd.sub(mm, bitsRing(rd, m)), rd, rt, false), from);
  let out = rt.add(convertWidth(y, rf, rt, false), corr);
  if (server && p.signed) out = rt.addScalar(out, -B);
  return out;
}

export function extendCostSteps(b: CostBuilder, n: number, p: ExtendParams, pooled = false): void {
  bitProductCost(b, n, p.to - p.from, pooled);
}

export const extendCost = (n: number, p: ExtendParams, ot?: OtCostModel): Cost => costOf((b) => extendCostSteps(b, n, p), ot);

export function extendTwin(x: RingArray, p: ExtendParams): RingArray {
  return convertWidth(x, ringOf(p.from), ringOf(p.to), p.signed);
}

/** Reduction to a narrower ring: local (keep the low bits). Same function as its twin. */
export function reduceRing(x: RingArray, from: number, to: number): RingArray {
  return convertWidth(x, ringOf(from), ringOf(to), false);
}
