// Products on additive shares, and division by a public constant.
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
import { convertWidth } from '../fixed.ts';
import type { Ring, RingArray } from '../ring.ts';
import { bitAt, bitsOf, costOf, isServer, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { bitProductCounts, bitProductSpec, choosersFlight, productsCost, startChoosers, type Chooser, type ChooserCounts, type ChooserSpec } from './ot-ops.ts';
import { checkRange, fmt, realOf, truncSpec as truncRange, type RangeProbe } from '../ranges.ts';

import { bitsRing, extend, extendCostSteps, extendTwin, reduceRing, trunc, truncCostSteps, truncCounts, truncSpec } from './trunc.ts';

// ---------------------------------------------------------------------------------------------
// products

/** Correlations corr[(i·k + j)·L + l] = w_j · Y[i·L + l]. */
function weighted(ring: Ring, Y: RingArray, m: number, L: number, weights: bigint[]): RingArray {
  const k = weights.length, out = ring.alloc(m * k * L);
  if (out instanceof Uint32Array) {
    const y = Y as Uint32Array, w = weights.map((v) => Number(BigInt.asUintN(32, v)));
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) for (let l = 0; l < L; l++) out[(i * k + j) * L + l] = Math.imul(w[j], y[i * L + l]);
  } else {
    const y = Y as BigUint64Array, w = weights.map((v) => BigInt.asUintN(64, v));
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) for (let l = 0; l < L; l++) out[(i * k + j) * L + l] = w[j] * y[i * L + l];
  }
  return ring.reduce(out);
}

/** Sum over the k bit positions: (m·k × L) → (m × L). */
function sumBits(ring: Ring, a: RingArray, m: number, k: number, L: number): RingArray {
  const out = ring.alloc(m * L);
  if (out instanceof Uint32Array) {
    const x = a as Uint32Array;
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) for (let l = 0; l < L; l++) out[i * L + l] += x[(i * k + j) * L + l];
  } else {
    const x = a as BigUint64Array;
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) for (let l = 0; l < L; l++) out[i * L + l] += x[(i * k + j) * L + l];
  }
  return ring.reduce(out);
}

const pow2 = (j: number): bigint => 1n << BigInt(j);

/**
 * A secret (or private) value X whose share bits are OT choices, prepared once for `uses`
 * products with other values (each product: one exchange). Short form (k < ℓ − 1, X in [0, 2^k)):
 * k + 1 bits per share; full form: ℓ bits.
 */
export class BitOperand {
  readonly ring: Ring;
  readonly m: number;
  readonly k: number;
  readonly chooser: Chooser;
  /** This party's share read as an integer: the signed (k+1)-bit value, or the ring element. */
  readonly mine: RingArray;
  /** Top bit of this party's (k+1)-bit share (short form) — enters the peer-direction weights. */
  readonly top: Bits | null;
  private readonly serverBits: boolean;
  private readonly clientBits: boolean;

  constructor(ring: Ring, m: number, k: number, chooser: Chooser, mine: RingArray, top: Bits | null, serverBits: boolean, clientBits: boolean) {
    this.ring = ring;
    this.m = m;
    this.k = k;
    this.chooser = chooser;
    this.mine = mine;
    this.top = top;
    this.serverBits = serverBits;
    this.clientBits = clientBits;
  }

  get bitsPer(): number {
    return this.top ? this.k + 1 : this.ring.ell;
  }

  /**
   * Shares of X_i · Y[i·L + l] (m × L). `Y` is this party's share of the other operand (or its
   * private value, or zeros when it holds none), L values per X element.
   */
  async mul(ctx: ProtoCtx, Y: RingArray, L: number, yPeerHas = true): Promise<RingArray> {
    const ring = this.ring, m = this.m, kb = this.bitsPer;
    const server = isServer(ctx);
    const peerHasBits = server ? this.clientBits : this.serverBits;
    // Weights for the peer's choice bits, applied to my share of Y.
    let corr: RingArray = ring.alloc(0);
    if (peerHasBits) {
      if (this.top) {
        // bits 0..k−1: 2^j; bit k: 2^k·(2·m_me − 1) — my top bit folds in the m0·m1 term.
        const base = weighted(ring, Y, m, L, [...Array.from({ length: this.k }, (_, j) => pow2(j)), 0n]);
        const w = this.top;
        const kk = this.k;
        if (base instanceof Uint32Array) {
          const y = Y as Uint32Array, c = Number(BigInt.asUintN(32, pow2(kk)));
          for (let i = 0; i < m; i++) for (let l = 0; l < L; l++) base[(i * kb + kk) * L + l] = Math.imul(w[i] ? c : -c, y[i * L + l]);
        } else {
          const y = Y as BigUint64Array, c = pow2(kk);
          for (let i = 0; i < m; i++) for (let l = 0; l < L; l++) base[(i * kb + kk) * L + l] = (w[i] ? c : -c) * y[i * L + l];
        }
        corr = ring.reduce(base);
      } else corr = weighted(ring, Y, m, L, Array.from({ length: kb }, (_, j) => pow2(j)));
    }
    void yPeerHas;
    // COT i carries bit i mod kb of X: its correction needs ℓ − (i mod kb) bits (ot-ops.ts).
    const { asSender, asReceiver } = await this.chooser.products(ctx, L, corr, kb);
    let out = ring.alloc(m * L);
    const haveBits = server ? this.serverBits : this.clientBits;
    if (haveBits) {
      // Local term: my X share (as integer) times my Y share.
      const mineL = ring.alloc(m * L);
      if (mineL instanceof Uint32Array) for (let i = 0; i < m; i++) for (let l = 0; l < L; l++) mineL[i * L + l] = (this.mine as Uint32Array)[i];
      else for (let i = 0; i < m; i++) for (let l = 0; l < L; l++) mineL[i * L + l] = (this.mine as BigUint64Array)[i];
      out = ring.mul(mineL, Y);
      out = ring.add(out, sumBits(ring, asReceiver, m, kb, L));
    }
    if (peerHasBits) out = ring.add(out, sumBits(ring, asSender, m, kb, L));
    return out;
  }
}

/** How X's bits are prepared: 'both' (a secret), or only one party's bits (a private value). */
export type BitsOwner = 'both' | Party;

/** How a party's share (or private value) X becomes choice bits: its bits, its integer reading, its top bit. */
function operandBits(ctx: ProtoCtx, ell: number, m: number, X: RingArray | null, k: number | null, owner: BitsOwner) {
  const ring = ringOf(ell), server = isServer(ctx);
  if (k !== null && (k < 1 || k > ell - 2)) throw new RangeError(`short operand of ${k} bits in Z_2^${ell}: want 1..${ell - 2}`);
  const kb = k === null ? ell : k + 1;
  const serverBits = owner === 'both' || owner === 'server', clientBits = owner === 'both' || owner === 'client';
  const haveBits = server ? serverBits : clientBits, peerBits = server ? clientBits : serverBits;
  let choices: Bits = new Uint8Array(0), mine: RingArray = ring.alloc(0), top: Bits | null = null;
  if (haveBits) {
    if (!X || X.length !== m) throw new RangeError(`prepareOperand: expected ${m} values`);
    if (k === null) {
      choices = bitsOf(X, ell);
      mine = X;
    } else {
      choices = bitsOf(X, k + 1);
      top = bitAt(X, k);
      // signed (k+1)-bit reading: low bits − 2^(k+1)·top
      mine = ring.sub(ring.reduce(convertWidth(convertWidth(X, ring, ringOf(k + 1), false), ringOf(k + 1), ring, false)), ring.shl(bitsRing(ring, top), k + 1));
    }
  } else if (k !== null) top = new Uint8Array(m);
  return { ring, kb, serverBits, clientBits, haveBits, peerBits, choices, mine, top };
}

/**
 * Prepare X (this party's share, or its private value) for `uses` products. `k`: X known in
 * [0, 2^k) (short form), or null (full ℓ bits). For a private X, the other party passes null.
 */
export async function prepareOperand(ctx: ProtoCtx, ell: number, m: number, X: RingArray | null, k: number | null, uses: number, owner: BitsOwner = 'both'): Promise<BitOperand> {
  return (await prepareOperandWith(ctx, ell, m, X, k, uses, owner, [])).op;
}

/** prepareOperand, with `extra` choosers prepared in the same flight (e.g. the product's truncation). */
export async function prepareOperandWith(ctx: ProtoCtx, ell: number, m: number, X: RingArray | null, k: number | null, uses: number, owner: BitsOwner, extra: ChooserSpec[]): Promise<{ op: BitOperand; extra: Chooser[] }> {
  const o = operandBits(ctx, ell, m, X, k, owner);
  const [chooser, ...rest] = await (await startChoosers(ctx, [{ ell, choices: o.choices, peerCount: o.peerBits ? m * o.kb : 0, width: uses }, ...extra]))();
  return { op: new BitOperand(o.ring, m, k ?? ell, chooser, o.mine, k === null ? null : o.top, o.serverBits, o.clientBits), extra: rest };
}

/** An operand's OTs prepared ahead, before X is known (an `extra` chooser of an earlier flight). */
export function operandSpec(ctx: ProtoCtx, ell: number, m: number, k: number | null, uses: number, owner: BitsOwner = 'both'): ChooserSpec {
  const kb = k === null ? ell : k + 1, server = isServer(ctx);
  const mineHas = owner === 'both' || owner === ctx.party, peerHas = owner === 'both' || owner === (server ? 'client' : 'server');
  return { ell, choices: { random: mineHas ? m * kb : 0 }, peerCount: peerHas ? m * kb : 0, width: uses };
}

export const operandCounts = (m: number, ell: number, k: number | null, owner: BitsOwner = 'both'): ChooserCounts => {
  const kb = k === null ? ell : k + 1;
  return { server: owner !== 'client' ? m * kb : 0, client: owner !== 'server' ? m * kb : 0 };
};

/** The operand X on a chooser prepared ahead (`operandSpec`). */
export function boundOperand(ctx: ProtoCtx, ell: number, m: number, X: RingArray | null, k: number | null, chooser: Chooser, owner: BitsOwner = 'both'): BitOperand {
  const o = operandBits(ctx, ell, m, X, k, owner);
  return new BitOperand(o.ring, m, k ?? ell, chooser.bind(o.choices), o.mine, k === null ? null : o.top, o.serverBits, o.clientBits);
}

export function prepareOperandCost(b: CostBuilder, m: number, ell: number, k: number | null, owner: BitsOwner = 'both', extra: ChooserCounts[] = []): void {
  const f = choosersFlight(b, [operandCounts(m, ell, k, owner), ...extra]);
  b.exchange(f.c2s, f.s2c);
}

/** `first`: the first product of an operand prepared ahead (its e bits go along). */
export function operandMulCost(b: CostBuilder, m: number, ell: number, k: number | null, L: number, owner: BitsOwner = 'both', first = false): void {
  const kb = k === null ? ell : k + 1;
  productsCost(b, ell, owner !== 'client' ? m * kb : 0, owner !== 'server' ? m * kb : 0, L, first, kb);
}

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
  operandMulCost(b, m, p.ell, null, L);
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
  operandMulCost(b, m, p.ell, k, L, p.owner);
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
  operandMulCost(b, n, p.ell, null, 1, 'server');
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
