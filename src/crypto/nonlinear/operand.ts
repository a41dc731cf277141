// The operand of a COT-based product: a secret (or private) value whose share bits are OT choices,
// prepared once (BitOperand) and used for several products, each one exchange. The cross terms
// x_P·y_Q of the two parties' shares come from correlated OT on the bits of x_P (Gilboa, "Two
// party RSA key generation", CRYPTO 1999; CrypTFlow2 / SIRNN §4.1); with x in [0, 2^k) only k + 1
// bits per share are needed (SIRNN §4.1, non-uniform bit widths). The products themselves are in
// arith.ts.
import type { Party } from '../../transport/channel.ts';
import { convertWidth } from '../fixed.ts';
import type { Ring, RingArray } from '../ring.ts';
import { bitAt, bitsOf, isServer, ringOf, type Bits, type CostBuilder, type ProtoCtx } from './context.ts';
import { choosersFlight, productsCost, startChoosers, type Chooser, type ChooserCounts, type ChooserSpec } from './ot-ops.ts';
import { bitsRing } from './trunc.ts';

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

/** Add the sums over the k bit positions, (m·k × L) → (m × L), to `out` (not reduced). */
function addBitSums(out: RingArray, a: RingArray, m: number, k: number, L: number): void {
  if (out instanceof Uint32Array) {
    const x = a as Uint32Array;
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) for (let l = 0, q = (i * k + j) * L; l < L; l++, q++) out[i * L + l] += x[q];
  } else {
    const x = a as BigUint64Array;
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) for (let l = 0, q = (i * k + j) * L; l < L; l++, q++) out[i * L + l] += x[q];
  }
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
    const out = ring.alloc(m * L);
    const haveBits = server ? this.serverBits : this.clientBits;
    if (haveBits) {
      // Local term: my X share (as integer) times my Y share, then the cross terms as receiver.
      if (out instanceof Uint32Array) {
        const x = this.mine as Uint32Array, y = Y as Uint32Array;
        for (let i = 0; i < m; i++) for (let l = 0, q = i * L; l < L; l++, q++) out[q] = Math.imul(x[i], y[q]);
      } else {
        const x = this.mine as BigUint64Array, y = Y as BigUint64Array;
        for (let i = 0; i < m; i++) for (let l = 0, q = i * L; l < L; l++, q++) out[q] = x[i] * y[q];
      }
      addBitSums(out, asReceiver, m, kb, L);
    }
    if (peerHasBits) addBitSums(out, asSender, m, kb, L);
    return ring.reduce(out);
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
  const f = choosersFlight(b, [{ ...operandCounts(m, ell, k, owner), chosen: true }, ...extra]);
  b.exchange(f.c2s, f.s2c);
}

/** `first`: the first product of an operand prepared ahead (its e bits go along). */
export function operandMulCost(b: CostBuilder, m: number, ell: number, k: number | null, L: number, owner: BitsOwner = 'both', first = false): void {
  const kb = k === null ? ell : k + 1;
  productsCost(b, ell, owner !== 'client' ? m * kb : 0, owner !== 'server' ? m * kb : 0, L, first, kb);
}
