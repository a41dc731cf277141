// Arithmetic protocols on additive shares: truncation and ring extension / reduction.
//
// Truncation (default: one-bit error): the known-MSB trick of Huang et al. ("Cheetah", USENIX
// Security 2022, §4.2 / SIRNN §3.4 "TR with known MSB"). With a public offset B = 2^(ℓ−2), y = x + B
// has MSB 0 whenever |x| < 2^(ℓ−2), so the wrap of y0 + y1 over 2^ℓ is w = msb(y0) ∨ msb(y1)
// and floor(y / 2^t) = (y0 ≫ t) + (y1 ≫ t) − w·2^(ℓ−t) + c, c ∈ {0, 1} the carry of the low t
// bits. w costs one arithmetic COT over Z_2^t (the term m0·m1); dropping c gives a result in
// {floor(x/2^t) − 1, floor(x/2^t)}. `exact: true` computes c with a t-bit millionaires' and B2A.
// Extension (SIRNN, Rathee et al. S&P 2021, §3.3 zero/signed extension) uses the same wrap bit.
import type { OtCostModel } from '../ot/cost.ts';
import { convertWidth } from '../fixed.ts';
import type { Ring, RingArray } from '../ring.ts';
import { bitAt, costOf, isServer, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { millionaires, millionairesCost } from './compare.ts';
import { b2a, b2aCost, bitProduct, bitProductCounts, bitProductCost, bitProductSpec, type Chooser, type ChooserSpec } from './ot-ops.ts';


// ---------------------------------------------------------------------------------------------
// truncation

export interface TruncParams {
  ell: number;
  /** Bits to drop, 1 ≤ t ≤ ℓ − 2. */
  t: number;
  /** Exact floor (adds a t-bit millionaires' and a B2A); default: the session's mode (ProtoCtx.exact,
   * CostBuilder.exact), else error ∈ {−1, 0}. */
  exact?: boolean;
  /**
   * Output ring Z_2^to (to ≥ ℓ, default ℓ): the result sign-extended in the same COT, whose
   * product is then over Z_2^(to − ℓ + t) (SIRNN §3.3; as `truncExtend` in pwl.ts); exact: the carry is added in Z_2^to.
   */
  to?: number;
}

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
  const { ell, t } = p, ring = ringOf(ell), rt = ringOf(p.to ?? ell), small = ringOf(productBits(p)), server = isServer(ctx);
  const B = 1n << BigInt(ell - 2);
  const y = server ? ring.addScalar(x, B) : x;
  const m = bitAt(y, ell - 1);
  // m0·m1 over Z_2^t (Z_2^(to − ℓ + t) when widening): the server sends, the client chooses with m1.
  const mm = await bitProduct(ctx, small, m, ch);
  const top = rt.shl(convertWidth(small.sub(mm, bitsRing(small, m)), small, rt, false), ell - t); // (m0m1 − m_P)·2^(ℓ−t)
  let out = rt.add(convertWidth(ring.shrLogical(y, t), ring, rt, false), top);
  if (server) out = rt.addScalar(out, BigInt.asUintN(64, -(B >> BigInt(t))));
  if (exactIn(ctx, p)) out = rt.add(out, await carry(ctx, y, ell, t, p.to ?? ell));
  return out;
}

/** Whether a truncation floors exactly: its own `exact`, else the session's mode. */
const exactIn = (ctx: ProtoCtx | CostBuilder, p: { exact?: boolean }): boolean => p.exact ?? ctx.exact === true;

/**
 * The carry c = [y0 mod 2^t + y1 mod 2^t ≥ 2^t] the faithful truncation drops, as shares in
 * Z_2^outEll: a t-bit millionaires' (y0's low bits against ¬y1's) and a B2A.
 */
export async function carry(ctx: ProtoCtx, y: RingArray, ell: number, t: number, outEll: number): Promise<RingArray> {
  const ring = ringOf(ell), server = isServer(ctx);
  const low = server ? y : ring.sub(ring.addScalar(ring.alloc(y.length), -1), y); // client: ¬y1, low t bits
  const c = (await millionaires(ctx, y.length, 1, t, server ? low : null, server ? null : low)).gt;
  return b2a(ctx, c, outEll);
}

export function carryCostSteps(b: CostBuilder, n: number, t: number, outEll: number): void {
  millionairesCost(b, n, 1, t);
  b2aCost(b, n, outEll);
}

/**
 * floor(x / 2^t) (or one less) for several shifts t at once, all results in Z_2^ℓ: the wrap bit
 * w = msb(y0) ∨ msb(y1) is the same for every shift, so one bit product over Z_2^(max t) serves
 * them all (reduced mod 2^t for each). Requires |x| < 2^(ℓ−2). `ch`: `truncSpec(ctx, n, max t)`.
 * Exact mode (ctx.exact): each shift's carry added, one after the other.
 */
export async function truncMany(ctx: ProtoCtx, x: RingArray, ell: number, shifts: number[], ch?: Chooser): Promise<RingArray[]> {
  const T = Math.max(...shifts);
  for (const t of shifts) checkTrunc({ ell, t });
  const ring = ringOf(ell), server = isServer(ctx), B = 1n << BigInt(ell - 2), n = x.length;
  const y = server ? ring.addScalar(x, B) : x, m = bitAt(y, ell - 1);
  const mm = await bitProduct(ctx, ringOf(T), m, ch);
  const outs = shifts.map((t) => {
    const small = ringOf(t), top = ring.shl(convertWidth(small.sub(reduceRing(mm, T, t), bitsRing(small, m)), small, ring, false), ell - t);
    const out = ring.add(ring.shrLogical(y, t), top);
    return server ? ring.addScalar(out, BigInt.asUintN(64, -(B >> BigInt(t)))) : out;
  });
  if (ctx.exact) {
    // every shift's carry in one millionaires' run: element (k, i) compares y's low t_k bits,
    // zero-extended to T bits (one run's rounds instead of one per shift)
    const low = ring.alloc(n * shifts.length), mine = server ? y : ring.sub(ring.addScalar(ring.alloc(n), -1), y);
    shifts.forEach((t, k) => (low as Uint32Array).set(lowBits(mine, t) as Uint32Array, k * n));
    const c = await b2a(ctx, (await millionaires(ctx, low.length, 1, T, server ? low : null, server ? null : low)).gt, ell);
    shifts.forEach((_, k) => (outs[k] = ring.add(outs[k], c.subarray(k * n, (k + 1) * n) as RingArray)));
  }
  return outs;
}

/** The low t bits of each element. */
function lowBits(a: RingArray, t: number): RingArray {
  if (a instanceof Uint32Array) {
    const m = t >= 32 ? 0xffffffff : 2 ** t - 1;
    return a.map((v) => (v & m) >>> 0);
  }
  const m = (1n << BigInt(t)) - 1n;
  return a.map((v) => v & m);
}

/** Cost of `truncMany` (`pooled`: its OT prepared ahead). */
export function truncManyCostSteps(b: CostBuilder, n: number, ell: number, shifts: number[], pooled = false): void {
  bitProductCost(b, n, Math.max(...shifts), pooled);
  if (b.exact) carryCostSteps(b, n * shifts.length, Math.max(...shifts), ell);
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
  bitProductCost(b, n, productBits(p), pooled);
  if (exactIn(b, p)) carryCostSteps(b, n, p.t, p.to ?? p.ell);
}

export const truncCost = (n: number, p: TruncParams, ot?: OtCostModel): Cost => costOf((b) => truncCostSteps(b, n, p), ot);

/** Twin: floor(x / 2^t) (the secure result is this, or one less unless `exact`). */
export function truncTwin(x: RingArray, p: TruncParams): RingArray {
  const r = ringOf(p.ell).shr(x, p.t);
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
