// Boolean protocols: AND / OR / NOT on XOR shares, multiplexer, B2A + count.
//
// Multiplexer (CrypTFlow2, Rathee et al. CCS 2020, Appendix A.1 "Multiplexer"): c·v with
// c = c0 ⊕ c1 and v = v0 + v1: each party P, as OT sender, offers (1 − 2c_P)·v_P to the peer's
// choice c_Q, so the peer gets c_Q·(1 − 2c_P)·v_P and P keeps c_P·v_P; the sum is (c_P ⊕ c_Q)·v_P.
// One COT per element per direction (Chooser pads: `uses` products can share the same bits).
// AND: one chooser per direction on the first operand's shares (ot-ops.ts, `Chooser`).
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { costOf, isServer, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { andBits, andBitsCost, b2a, b2aCost, choosersFlight, startChoosers, makeChooser, makeChooserCost, productsCost, randomFree, type Chooser, type ChooserCounts, type ChooserSpec } from './ot-ops.ts';
import { equalBits, equalBitsCost } from './compare.ts';

/**
 * and_ss: a ∧ b on XOR shares. a's shares are both parties' OT choices (one chooser each way,
 * prepared in one flight); the cross terms a_P·b_Q are its products with b's shares (one
 * exchange): 2 rounds.
 */
export async function andSS(ctx: ProtoCtx, a: Bits, b: Bits): Promise<Bits> {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`and_ss: operands have ${n} and ${b.length} elements`);
  if (n === 0) return new Uint8Array(0);
  const [ch] = await (await startChoosers(ctx, [{ ell: 1, choices: a, peerCount: n, width: 1 }]))();
  const bb = ringOf(1).alloc(n) as Uint32Array;
  for (let i = 0; i < n; i++) bb[i] = b[i];
  const { asSender, asReceiver } = await ch.products(ctx, 1, bb);
  const s = asSender as Uint32Array, r = asReceiver as Uint32Array;
  return a.map((v, i) => (v & b[i]) ^ s[i] ^ r[i]);
}

export const andCost = (n: number, _p?: unknown, ot?: OtCostModel): Cost =>
  costOf((b) => {
    if (n === 0) return;
    const f = choosersFlight(b, [{ server: n, client: n, chosen: true }]);
    b.exchange(f.c2s, f.s2c);
    productsCost(b, 1, n, n, 1, randomFree(b.ot));
  }, ot);

/** or_ss: a ∨ b = ¬(¬a ∧ ¬b). */
export async function orSS(ctx: ProtoCtx, a: Bits, b: Bits): Promise<Bits> {
  return notB(ctx, await andSS(ctx, notB(ctx, a), notB(ctx, b)));
}

export const orCost = andCost;

/** not: local, the server flips its share. */
export function notB(ctx: ProtoCtx, a: Bits): Bits {
  return isServer(ctx) ? a.map((v) => v ^ 1) : a.slice();
}

export const andTwin = (a: Bits, b: Bits): Bits => a.map((v, i) => v & b[i]);
export const orTwin = (a: Bits, b: Bits): Bits => a.map((v, i) => v | b[i]);
export const notTwin = (a: Bits): Bits => a.map((v) => v ^ 1);

/**
 * Secret bits prepared as OT choices for `uses` multiplexer products c·v (each: one exchange).
 */
export class BitSelector {
  readonly n: number;
  readonly ell: number;
  private readonly c: Bits;
  private readonly chooser: Chooser;

  constructor(n: number, ell: number, c: Bits, chooser: Chooser) {
    this.n = n;
    this.ell = ell;
    this.c = c;
    this.chooser = chooser;
  }

  /** Shares of c_i · v[i·L + l] for several vectors at once (each n·L). */
  async mul(ctx: ProtoCtx, vs: RingArray[], L = 1): Promise<RingArray[]> {
    const ring = ringOf(this.ell), n = this.n, T = vs.length;
    // corr[(i)·(T·L) + t·L + l] = (1 − 2c_me)·v_t[i·L + l]
    const corr = ring.alloc(n * T * L), mine = ring.alloc(n * T * L);
    const c = this.c;
    for (let t = 0; t < T; t++) {
      const v = vs[t];
      if (v.length !== n * L) throw new RangeError(`mux: value has ${v.length} elements, want ${n * L}`);
      if (corr instanceof Uint32Array) {
        const vv = v as Uint32Array, m = mine as Uint32Array;
        for (let i = 0; i < n; i++) for (let l = 0; l < L; l++) {
          const q = i * T * L + t * L + l, x = vv[i * L + l];
          corr[q] = c[i] ? -x : x;
          m[q] = c[i] ? x : 0;
        }
      } else {
        const vv = v as BigUint64Array, m = mine as BigUint64Array;
        for (let i = 0; i < n; i++) for (let l = 0; l < L; l++) {
          const q = i * T * L + t * L + l, x = vv[i * L + l];
          corr[q] = c[i] ? -x : x;
          m[q] = c[i] ? x : 0n;
        }
      }
    }
    ring.reduce(corr);
    const { asSender, asReceiver } = await this.chooser.products(ctx, T * L, corr);
    const all = ring.add(ring.add(mine, asSender), asReceiver);
    const out: RingArray[] = [];
    for (let t = 0; t < T; t++) {
      const o = ring.alloc(n * L);
      for (let i = 0; i < n; i++) for (let l = 0; l < L; l++) (o as Uint32Array)[i * L + l] = (all as Uint32Array)[i * T * L + t * L + l];
      out.push(o);
    }
    return out;
  }
}

/** Prepare bits c for `width` multiplexer slices (sum over calls of T·L). */
export async function prepareSelector(ctx: ProtoCtx, ell: number, c: Bits, width: number): Promise<BitSelector> {
  return new BitSelector(c.length, ell, c, await makeChooser(ctx, ell, c, c.length, width));
}

/**
 * A selector prepared before its bits exist: pass this spec as an `extra` chooser of the
 * comparison that computes them (compare.ts `geConstsWith`), then `boundSelector`.
 */
export const selectorSpec = (n: number, ell: number, width: number): ChooserSpec => ({ ell, choices: { random: n }, peerCount: n, width });
export const selectorCounts = (n: number): ChooserCounts => ({ server: n, client: n });

export function boundSelector(ell: number, c: Bits, chooser: Chooser): BitSelector {
  return new BitSelector(c.length, ell, c, chooser.bind(c));
}

export function prepareSelectorCost(b: CostBuilder, n: number, ell: number): void {
  makeChooserCost(b, ell, n, n);
}

/** Products of a selector; `first` for a selector made on random bits (its e bits go along). */
export function selectorMulCost(b: CostBuilder, n: number, ell: number, TL: number, first = false): void {
  productsCost(b, ell, n, n, TL, first);
}

export interface SelectParams {
  ell: number;
}

/** select_ss: c ? a : b = b + c·(a − b). */
export async function selectSS(ctx: ProtoCtx, c: Bits, a: RingArray, b: RingArray, p: SelectParams): Promise<RingArray> {
  const ring = ringOf(p.ell);
  const sel = await prepareSelector(ctx, p.ell, c, 1);
  const [d] = await sel.mul(ctx, [ring.sub(a, b)]);
  return ring.add(b, d);
}

export function selectCostSteps(b: CostBuilder, n: number, p: SelectParams): void {
  prepareSelectorCost(b, n, p.ell);
  selectorMulCost(b, n, p.ell, 1, randomFree(b.ot));
}

export const selectCost = (n: number, p: SelectParams, ot?: OtCostModel): Cost => costOf((b) => selectCostSteps(b, n, p), ot);

export function selectTwin(c: Bits, a: RingArray, b: RingArray, _p?: SelectParams): RingArray {
  const out = b.slice() as RingArray;
  for (let i = 0; i < c.length; i++) if (c[i]) (out as Uint32Array)[i] = (a as Uint32Array)[i];
  return out;
}

export interface CountParams {
  ell: number;
}

/** count: the number of true bits, as a secret integer in Z_2^ell (B2A, then a local sum). */
export async function countB(ctx: ProtoCtx, m: Bits, p: CountParams): Promise<RingArray> {
  const ring = ringOf(p.ell);
  return ring.sumLast(await b2a(ctx, m, p.ell), Math.max(1, m.length));
}

/** Several counts at once: one B2A over all the bits, then a local sum per part. */
export async function countSegments(ctx: ProtoCtx, m: Bits, p: CountParams, lengths: number[]): Promise<RingArray> {
  const ring = ringOf(p.ell), all = await b2a(ctx, m, p.ell), out = ring.alloc(lengths.length);
  let o = 0;
  lengths.forEach((n, i) => {
    if (n > 0) (out as Uint32Array)[i] = (ring.sumLast(all.subarray(o, o + n) as RingArray, n) as Uint32Array)[0];
    o += n;
  });
  return out;
}

export const countCost = (n: number, p: CountParams, ot?: OtCostModel): Cost => costOf((b) => b2aCost(b, n, p.ell), ot);

export function countTwin(m: Bits, p: CountParams): RingArray {
  return ringOf(p.ell).fromSigned([m.reduce((s, v) => s + v, 0)]);
}

/** B2A as a table entry: bits → Z_2^ell. */
export { b2a };

// ---- all / any over the last axis ----
// all(b) = [b0 ⊕ b1 = 1…1] = [b0 = ¬b1] bitwise: an equality test of the server's share bits
// against the complement of the client's (compare.ts `equalBits`, CrypTFlow2 §3.1's leaves and
// AND tree), on chunks of up to 32 bits; rows longer than 32 bits AND their chunks' results in a
// tree. any(b) = ¬all(¬b).

export interface RowBitsParams {
  /** Row length (the last axis). */
  cols: number;
}

function chunking(n: number, cols: number): { rows: number; W: number; width: number } {
  if (!Number.isInteger(cols) || cols < 1 || n % cols !== 0) throw new RangeError(`all/any: ${n} bits do not split into rows of ${cols}`);
  const W = Math.ceil(cols / 32);
  return { rows: n / cols, W, width: W > 1 ? 32 : cols };
}

export async function allB(ctx: ProtoCtx, b: Bits, p: RowBitsParams): Promise<Bits> {
  const { rows, W, width } = chunking(b.length, p.cols), server = isServer(ctx);
  const words = ringOf(32).alloc(rows * W) as Uint32Array;
  for (let r = 0; r < rows; r++) for (let w = 0; w < W; w++) {
    let v = 0;
    for (let j = 0; j < width; j++) {
      const col = w * 32 + j;
      // Padding bits beyond the row are equal on both sides (1).
      const bit = col < p.cols ? (server ? b[r * p.cols + col] : b[r * p.cols + col] ^ 1) : 1;
      v |= bit << j;
    }
    words[r * W + w] = v >>> 0;
  }
  let eq = await (server ? equalBits(ctx, rows * W, width, words, null) : equalBits(ctx, rows * W, width, null, words));
  for (let q = W; q > 1; q = Math.ceil(q / 2)) {
    const pairs = Math.floor(q / 2), nq = Math.ceil(q / 2), lo = new Uint8Array(rows * pairs), hi = new Uint8Array(rows * pairs);
    for (let r = 0; r < rows; r++) for (let j = 0; j < pairs; j++) {
      lo[r * pairs + j] = eq[r * q + 2 * j];
      hi[r * pairs + j] = eq[r * q + 2 * j + 1];
    }
    const prod = await andBits(ctx, lo, hi, 1), next = new Uint8Array(rows * nq);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < pairs; j++) next[r * nq + j] = prod[r * pairs + j];
      if (q % 2) next[r * nq + nq - 1] = eq[r * q + q - 1];
    }
    eq = next;
  }
  return eq;
}

export const anyB = async (ctx: ProtoCtx, b: Bits, p: RowBitsParams): Promise<Bits> => notB(ctx, await allB(ctx, notB(ctx, b), p));

export function allCostSteps(b: CostBuilder, n: number, p: RowBitsParams): void {
  const { rows, W, width } = chunking(n, p.cols);
  equalBitsCost(b, rows * W, width);
  for (let q = W; q > 1; q = Math.ceil(q / 2)) andBitsCost(b, rows * Math.floor(q / 2), 1);
}

export const allCost = (n: number, p: RowBitsParams, ot?: OtCostModel): Cost => costOf((b) => allCostSteps(b, n, p), ot);

function rowsReduce(b: Bits, p: RowBitsParams, all: boolean): Bits {
  const { rows } = chunking(b.length, p.cols), out = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = all ? 1 : 0;
    for (let j = 0; j < p.cols; j++) acc = all ? acc & b[r * p.cols + j] : acc | b[r * p.cols + j];
    out[r] = acc;
  }
  return out;
}

export const allTwin = (b: Bits, p: RowBitsParams): Bits => rowsReduce(b, p, true);
export const anyTwin = (b: Bits, p: RowBitsParams): Bits => rowsReduce(b, p, false);
