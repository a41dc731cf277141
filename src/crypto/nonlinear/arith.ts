// Products on additive shares, and division by a public constant. The operand whose share bits
// are the OT choices (BitOperand, prepared once for several products) is in operand.ts.
//
// Products: the cross terms x_P·y_Q of the two parties' shares by correlated OT on the bits of
// x_P (Gilboa, "Two party RSA key generation", CRYPTO 1999; CrypTFlow2 / SIRNN §4.1 use the same
// COT-based multiplication). When one operand is known to lie in [0, 2^k) (SIRNN §4.1,
// multiplication with non-uniform bit widths) only k + 1 bits per share are needed: with sx_P the
// (k+1)-bit signed reading of x_P and m_P its top bit, x = sx_0 + sx_1 + 2^(k+1)·m_0·m_1, and the
// m_0·m_1 term folds into the correlation of the top bit — k + 1 COTs per direction instead of ℓ.
// A broadcast operand (one value per row or per column) is the choice side, so each COT carries a
// whole row or column of the other operand (long messages, VOLE-style).
import type { Party } from '../../transport/channel.ts';
import type { OtCostModel } from '../ot/cost.ts';
import type { Ring, RingArray } from '../ring.ts';
import { costOf, isServer, ringOf, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { bitProductCounts, bitProductSpec, choosersFlight, randomFree, startChoosers, type Chooser, type ChooserCounts, type ChooserSpec } from './ot-ops.ts';
import { checkRange, fmt, realOf, truncSpec as truncRange, type RangeProbe } from '../ranges.ts';
import { extend, extendCostSteps, extendTwin, reduceRing, trunc, truncCostSteps, truncCounts, truncSpec } from './trunc.ts';
import { BitOperand, prepareOperand, prepareOperandCost, prepareOperandWith, operandMulCost } from './operand.ts';

// ---- mul_ss / mul_sx with broadcasting ----

export interface Bcast {
  /** 'row': b has one value per row of a (rows = n / cols); 'col': b has one value per column. */
  kind: 'row' | 'col';
  cols: number;
}

export interface MulParams {
  ell: number;
  /** Fixed-point scale: the product is truncated by s bits (s = 0: no truncation). */
  s: number;
  bcast?: Bcast;
  /** Exact truncation (default: one-bit error). */
  exact?: boolean;
  /** Secret integers (Z_2^32, s = 0): the product must stay in [−2^31, 2^31). */
  int?: boolean;
}

/** Layout for a product a (n) × b: which operand supplies the choice bits, and how many. */
function layout(n: number, bLen: number, bc?: Bcast): { m: number; L: number } {
  if (!bc) {
    if (bLen !== n) throw new RangeError(`elementwise product: operands have ${n} and ${bLen} elements`);
    return { m: n, L: 1 };
  }
  if (n % bc.cols !== 0) throw new RangeError(`broadcast product: ${n} elements do not split into rows of ${bc.cols}`);
  const rows = n / bc.cols;
  if (bc.kind === 'row') {
    if (bLen !== rows) throw new RangeError(`row broadcast: b has ${bLen} elements, want ${rows}`);
    return { m: rows, L: bc.cols };
  }
  if (bLen !== bc.cols) throw new RangeError(`column broadcast: b has ${bLen} elements, want ${bc.cols}`);
  return { m: bc.cols, L: rows };
}

/** Arrange a (rows × cols) so that element (i, l) of the product layout is a's partner of b_i. */
function toLayout(ring: Ring, a: RingArray, bc?: Bcast): RingArray {
  if (!bc || bc.kind === 'row') return a;
  const cols = bc.cols, rows = a.length / cols, out = ring.alloc(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) (out as Uint32Array)[c * rows + r] = (a as Uint32Array)[r * cols + c];
  return out;
}

function fromLayout(ring: Ring, p: RingArray, bc?: Bcast): RingArray {
  if (!bc || bc.kind === 'row') return p;
  const cols = bc.cols, rows = p.length / cols, out = ring.alloc(p.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) (out as Uint32Array)[r * cols + c] = (p as Uint32Array)[c * rows + r];
  return out;
}

/** mul_ss: trunc(a · b, s) for secret a, b (b possibly broadcast). Truncation needs |a·b| < 2^(ℓ−2). */
/** The truncation after a product, its OT prepared with the operand (one flight fewer). */
const productTrunc = (ctx: ProtoCtx, n: number, p: MulParams): ChooserSpec[] => (p.s > 0 ? [truncSpec(ctx, n, p.s)] : []);
const productTruncCounts = (n: number, p: MulParams): ChooserCounts[] => (p.s > 0 ? [truncCounts(n)] : []);

export async function mulSS(ctx: ProtoCtx, a: RingArray, b: RingArray, p: MulParams): Promise<RingArray> {
  const ring = ringOf(p.ell), { m, L } = layout(a.length, b.length, p.bcast);
  const { op, extra } = await prepareOperandWith(ctx, p.ell, m, b, null, L === 1 ? 1 : L, 'both', productTrunc(ctx, a.length, p));
  const prod = fromLayout(ring, await op.mul(ctx, toLayout(ring, a, p.bcast), L), p.bcast);
  return p.s > 0 ? trunc(ctx, prod, { ell: p.ell, t: p.s, exact: p.exact }, extra[0]) : prod;
}

export function mulSSCostSteps(b: CostBuilder, n: number, p: MulParams): void {
  const { m, L } = layout(n, p.bcast ? (p.bcast.kind === 'row' ? n / p.bcast.cols : p.bcast.cols) : n, p.bcast);
  prepareOperandCost(b, m, p.ell, null, 'both', productTruncCounts(n, p));
  operandMulCost(b, m, p.ell, null, L, 'both', randomFree(b.ot));
  if (p.s > 0) truncCostSteps(b, n, { ell: p.ell, t: p.s, exact: p.exact }, true);
}

export const mulSSCost = (n: number, p: MulParams, ot?: OtCostModel): Cost => costOf((b) => mulSSCostSteps(b, n, p), ot);

/**
 * Twin of mul_ss / mul_sx: floor(a·b / 2^s) in Z_2^ℓ with b broadcast as in `p`. Checks the
 * secure truncation's precondition |a·b| < 2^(ℓ−2) (raw, before truncation), or for secret
 * integers that the product fits Z_2^32.
 */
export function mulTwin(a: RingArray, b: RingArray, p: MulParams, probe?: RangeProbe): RingArray {
  const ring = ringOf(p.ell);
  const bb = expand(ring, a.length, b, p.bcast);
  if (p.s > 0 || p.int) checkProducts(ring, a, bb, p, probe);
  const prod = ring.mul(a, bb);
  return p.s > 0 ? ring.shr(prod, p.s) : prod;
}

function checkProducts(ring: Ring, a: RingArray, b: RingArray, p: MulParams, probe?: RangeProbe): void {
  const sa = ring.toSigned(a), sb = ring.toSigned(b), prod = new Float64Array(a.length);
  for (let i = 0; i < prod.length; i++) prod[i] = sa[i] * sb[i];
  const detail = (i: number) => `element ${i}: ${fmt(sa[i] * 2 ** -p.s)} × ${fmt(sb[i] * 2 ** -p.s)}`;
  if (p.int) checkRange(prod, { what: 'the integer product', enc: 'int (Z_2^32 shares)', lo: -(2 ** 31), hi: 2 ** 31 }, probe, detail);
  else checkRange(realOf(prod, 2 * p.s), truncRange(p.ell, p.s, 2 * p.s, "the product before the secure truncation"), probe, detail);
}

/** b broadcast to a's n elements. */
export function expand(ring: Ring, n: number, b: RingArray, bc?: Bcast): RingArray {
  if (!bc) return b;
  const out = ring.alloc(n), cols = bc.cols;
  for (let i = 0; i < n; i++) (out as Uint32Array)[i] = (b as Uint32Array)[bc.kind === 'row' ? Math.floor(i / cols) : i % cols];
  return out;
}

export interface MulSXParams extends MulParams {
  /** The party that holds b in the clear. */
  owner: Party;
  /** b's bit width as a signed integer (|b| < 2^(privBits−1)); default ℓ (reveals nothing). */
  privBits?: number;
}

/** mul_sx: secret a times b held by `owner` (the other party passes b = null). */
export async function mulSX(ctx: ProtoCtx, a: RingArray, b: RingArray | null, p: MulSXParams): Promise<RingArray> {
  const ring = ringOf(p.ell), bLen = p.bcast ? (p.bcast.kind === 'row' ? a.length / p.bcast.cols : p.bcast.cols) : a.length;
  const { m, L } = layout(a.length, bLen, p.bcast);
  const mineOwner = ctx.party === p.owner;
  if (mineOwner && (!b || b.length !== bLen)) throw new RangeError(`mul_sx: the owner must pass ${bLen} values`);
  const pb = p.privBits ?? p.ell;
  let X: RingArray | null = null;
  if (mineOwner) {
    X = b!;
    if (pb < p.ell) {
      const v = ring.toSigned(b!), lim = 2 ** (pb - 1);
      for (let i = 0; i < v.length; i++) if (!(v[i] >= -lim && v[i] < lim)) throw new RangeError(`mul_sx: private value ${v[i]} (index ${i}) does not fit ${pb} signed bits`);
      X = ring.addScalar(b!, lim); // in [0, 2^pb): short form with k = pb
    }
  }
  const k = pb < p.ell ? pb : null;
  const { op, extra } = await prepareOperandWith(ctx, p.ell, m, X, k, L, p.owner, productTrunc(ctx, a.length, p));
  const A = toLayout(ring, a, p.bcast);
  // The owner's local term a_owner·X comes from BitOperand.mul (it multiplies `mine` by Y).
  let prod = fromLayout(ring, await op.mul(ctx, A, L), p.bcast);
  if (k !== null) prod = ring.sub(prod, ring.mulScalar(a, 2 ** (pb - 1))); // undo the offset: (b + 2^(pb−1))·a − 2^(pb−1)·a
  return p.s > 0 ? trunc(ctx, prod, { ell: p.ell, t: p.s, exact: p.exact }, extra[0]) : prod;
}

export function mulSXCostSteps(b: CostBuilder, n: number, p: MulSXParams): void {
  const bLen = p.bcast ? (p.bcast.kind === 'row' ? n / p.bcast.cols : p.bcast.cols) : n;
  const { m, L } = layout(n, bLen, p.bcast);
  const pb = p.privBits ?? p.ell, k = pb < p.ell ? pb : null;
  prepareOperandCost(b, m, p.ell, k, p.owner, productTruncCounts(n, p));
  operandMulCost(b, m, p.ell, k, L, p.owner, randomFree(b.ot));
  if (p.s > 0) truncCostSteps(b, n, { ell: p.ell, t: p.s, exact: p.exact }, true);
}

export const mulSXCost = (n: number, p: MulSXParams, ot?: OtCostModel): Cost => costOf((b) => mulSXCostSteps(b, n, p), ot);

/**
 * Product with a short operand: x known in [0, 2^k) (raw), times y; `uses` products with the
 * same x can share one preparation (Horner). Returns shares of x·y (no truncation).
 */
export async function mulShort(ctx: ProtoCtx, ell: number, x: RingArray, k: number, y: RingArray): Promise<RingArray> {
  const op = await prepareOperand(ctx, ell, x.length, x, k, 1);
  return op.mul(ctx, y, 1);
}

// ---- square ----

export interface SquareParams {
  ell: number;
  s: number;
  exact?: boolean;
}

/** x² = x0² + x1² + 2·x0·x1: one direction of COTs on the server's bits. */
export async function squareSS(ctx: ProtoCtx, x: RingArray, p: SquareParams): Promise<RingArray> {
  return (await squareSSWith(ctx, x, p, [])).sq;
}

/** squareSS, with `extra` choosers prepared in its first flight (for the steps after it). */
export async function squareSSWith(ctx: ProtoCtx, x: RingArray, p: SquareParams, extra: ChooserSpec[]): Promise<{ sq: RingArray; extra: Chooser[] }> {
  const ring = ringOf(p.ell), n = x.length;
  const { op, extra: pre } = await prepareOperandWith(ctx, p.ell, n, isServer(ctx) ? x : null, null, 1, 'server', extra);
  // Server's bits × 2·x1 from the client; the server's local term from mul() is x0·(its Y = x0).
  const Y = isServer(ctx) ? x : ring.add(x, x);
  let sq = await op.mul(ctx, Y, 1);
  if (!isServer(ctx)) sq = ring.add(sq, ring.mul(x, x));
  return { sq: p.s > 0 ? await trunc(ctx, sq, { ell: p.ell, t: p.s, exact: p.exact }) : sq, extra: pre };
}

export function squareCostSteps(b: CostBuilder, n: number, p: SquareParams, extra: ChooserCounts[] = []): void {
  prepareOperandCost(b, n, p.ell, null, 'server', extra);
  operandMulCost(b, n, p.ell, null, 1, 'server', randomFree(b.ot));
  if (p.s > 0) truncCostSteps(b, n, { ell: p.ell, t: p.s, exact: p.exact });
}

export const squareCost = (n: number, p: SquareParams, ot?: OtCostModel): Cost => costOf((b) => squareCostSteps(b, n, p), ot);

export function squareTwin(x: RingArray, p: SquareParams): RingArray {
  return mulTwin(x, x, { ell: p.ell, s: p.s });
}

// ---- division by a public constant ----

export interface DivParams {
  ell: number;
  s: number;
}

/**
 * Internal width and shift for x / c: K = round(2^(s+P) / c_raw), result floor(x·K / 2^P). With
 * |x| < 2^(ℓ−2) and K ≤ 2^(P+s)/c_raw the product stays below 2^(wide−5), so P can grow with c:
 * K keeps about wide − ℓ − 3 significant bits whatever the divisor (29 at ℓ = 32).
 */
export function divPlan(p: DivParams, cRaw: number): { wide: number; P: number; K: bigint } {
  if (!(cRaw >= 1)) throw new RangeError(`div_sp: the divisor must be ≥ 2^-${p.s} (raw ≥ 1), got raw ${cRaw}`);
  const wide = Math.min(64, p.ell + 32);
  const grow = Math.floor(Math.log2(cRaw / 2 ** p.s));
  const P = Math.max(1, wide - p.ell - 3 + grow);
  return { wide, P, K: BigInt(Math.round(2 ** (p.s + P) / cRaw)) };
}

/**
 * div_sp: x / c for a public c (raw fixed-point integers per element or one for all): sign-extend
 * to a wider ring (one COT), multiply by K = round(2^(s+P)/c), truncate by P, reduce. Requires
 * |x| < 2^(ℓ−2).
 */
export async function divPublic(ctx: ProtoCtx, x: RingArray, cRaw: number, p: DivParams): Promise<RingArray> {
  const { wide, P, K } = divPlan(p, cRaw), rw = ringOf(wide), n = x.length;
  // Both COTs prepared in one flight: the extension and the truncation are one exchange each.
  const [ext, tr] = await (await startChoosers(ctx, [bitProductSpec(ctx, n, wide - p.ell), truncSpec(ctx, n, P)]))();
  const xe = await extend(ctx, x, { from: p.ell, to: wide, signed: true }, ext);
  const y = rw.mulScalar(xe, K);
  return reduceRing(await trunc(ctx, y, { ell: wide, t: P }, tr), wide, p.ell);
}

export function divPublicCostSteps(b: CostBuilder, n: number, cRaw: number, p: DivParams): void {
  const { wide, P } = divPlan(p, cRaw);
  const f = choosersFlight(b, [bitProductCounts(n), truncCounts(n)]);
  b.exchange(f.c2s, f.s2c);
  extendCostSteps(b, n, { from: p.ell, to: wide, signed: true }, true);
  truncCostSteps(b, n, { ell: wide, t: P }, true);
}

export const divPublicCost = (n: number, cRaw: number, p: DivParams, ot?: OtCostModel): Cost => costOf((b) => divPublicCostSteps(b, n, cRaw, p), ot);

export function divPublicTwin(x: RingArray, cRaw: number, p: DivParams, probe?: RangeProbe): RingArray {
  const { wide, P, K } = divPlan(p, cRaw), rw = ringOf(wide);
  checkRange(realOf(ringOf(p.ell).toSigned(x), p.s), truncRange(p.ell, p.s, p.s, 'the dividend (extended to a wider ring first)'), probe);
  return reduceRing(rw.shr(rw.mulScalar(extendTwin(x, { from: p.ell, to: wide, signed: true }), K), P), wide, p.ell);
}
