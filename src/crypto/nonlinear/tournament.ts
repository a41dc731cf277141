// argmax and top-k over the last axis by a tournament tree (CrypTFlow2 §5 "Maxpool", as rowmax.ts:
// ⌈log2 n⌉ levels of pairwise max(a, b) = b + [a − b ≥ 0]·(a − b), batched over the level).
//
// argmax carries each candidate's index through the same multiplexer: the selection bits of a
// level serve two products (value and index), so the index costs only its exchange bytes. Ties
// go to the left operand, so the winner is the first maximum (numpy's convention). Indices are
// computed in Z_2^ℓ and returned as secret integers (Z_2^32): reduced locally when ℓ ≥ 32, else
// zero-extended (one COT per row).
//
// top-k (a mask of the k largest entries of each row, ties to the lower index): k tournaments.
// After each one the winner's flag comes down the tree — flag(left) = flag(parent) ∧ c,
// flag(right) = flag(parent) ⊕ flag(left) (one AND per match below the root) — and the winner is
// pushed below every other value by subtracting 2^(ℓ−2) (B2A of the flag, then a local shift).
// That needs |x| < 2^(ℓ−3) raw so no difference wraps, which the twin checks. The flags of
// different rounds are disjoint, so the mask is their XOR (local).
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { checkRange, encName, fmt, type RangeProbe } from '../ranges.ts';
import { costOf, isServer, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { geConsts, geConstsCostSteps } from './compare.ts';
import { prepareSelector, prepareSelectorCost, selectorMulCost } from './boolean.ts';
import { andBits, andBitsCost, b2a, b2aCost, randomFree } from './ot-ops.ts';
import { extend, extendCostSteps, reduceRing } from './trunc.ts';
import { rowmaxTwin } from './rowmax.ts';

export interface TournamentParams {
  ell: number;
  /** Row length (the last axis). */
  cols: number;
  /** Fixed-point scale (messages in real units). */
  s?: number;
}

export interface TopkParams extends TournamentParams {
  k: number;
}

/** Secret integers are shares in Z_2^32. */
const INT_ELL = 32;

function rowsOf(n: number, cols: number): number {
  if (!Number.isInteger(cols) || cols < 1 || n % cols !== 0) throw new RangeError(`tournament: ${n} elements do not split into rows of ${cols}`);
  return n / cols;
}

/** Split each row of width w into its pairs' left and right elements. */
function pairsOf(ring: ReturnType<typeof ringOf>, v: RingArray, rows: number, w: number): [RingArray, RingArray] {
  const pairs = Math.floor(w / 2), a = ring.alloc(rows * pairs), b = ring.alloc(rows * pairs);
  for (let r = 0; r < rows; r++) for (let j = 0; j < pairs; j++) {
    (a as Uint32Array)[r * pairs + j] = (v as Uint32Array)[r * w + 2 * j];
    (b as Uint32Array)[r * pairs + j] = (v as Uint32Array)[r * w + 2 * j + 1];
  }
  return [a, b];
}

/** The next level: the pairs' winners, then the odd element that had no partner. */
function nextLevel(ring: ReturnType<typeof ringOf>, win: RingArray, prev: RingArray, rows: number, w: number): RingArray {
  const pairs = Math.floor(w / 2), nw = Math.ceil(w / 2), out = ring.alloc(rows * nw);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < pairs; j++) (out as Uint32Array)[r * nw + j] = (win as Uint32Array)[r * pairs + j];
    if (w % 2) (out as Uint32Array)[r * nw + nw - 1] = (prev as Uint32Array)[r * w + w - 1];
  }
  return out;
}

/** One tournament. Returns the selection bits of every level (widths in order) and the winners. */
async function tournament(ctx: ProtoCtx, x: RingArray, p: TournamentParams, withIndex: boolean) {
  const ring = ringOf(p.ell), rows = rowsOf(x.length, p.cols), server = isServer(ctx);
  let cur = x, idx = ring.alloc(x.length), w = p.cols;
  if (withIndex && server) for (let i = 0; i < x.length; i++) (idx as Uint32Array)[i] = i % p.cols;
  const levels: { w: number; c: Bits }[] = [];
  while (w > 1) {
    const [a, b] = pairsOf(ring, cur, rows, w), d = ring.sub(a, b);
    const c = await geConsts(ctx, d, { ell: p.ell, consts: [0] });
    const sel = await prepareSelector(ctx, p.ell, c, withIndex ? 2 : 1);
    levels.push({ w, c });
    if (withIndex) {
      const [ia, ib] = pairsOf(ring, idx, rows, w);
      const [m, mi] = await sel.mul(ctx, [d, ring.sub(ia, ib)]);
      idx = nextLevel(ring, ring.add(ib, mi), idx, rows, w);
      cur = nextLevel(ring, ring.add(b, m), cur, rows, w);
    } else {
      const [m] = await sel.mul(ctx, [d]);
      cur = nextLevel(ring, ring.add(b, m), cur, rows, w);
    }
    w = Math.ceil(w / 2);
  }
  return { levels, max: cur, idx };
}

function tournamentCostSteps(b: CostBuilder, rows: number, p: TournamentParams, withIndex: boolean): void {
  for (let w = p.cols; w > 1; w = Math.ceil(w / 2)) {
    const m = rows * Math.floor(w / 2);
    geConstsCostSteps(b, m, { ell: p.ell, consts: [0] });
    prepareSelectorCost(b, m, p.ell);
    selectorMulCost(b, m, p.ell, withIndex ? 2 : 1, randomFree(b.ot));
  }
}

// ---- argmax ----

/** Shares (Z_2^32) of the index of each row's first maximum. */
export async function argmax(ctx: ProtoCtx, x: RingArray, p: TournamentParams): Promise<RingArray> {
  const { idx } = await tournament(ctx, x, p, true);
  if (p.ell >= INT_ELL) return reduceRing(idx, p.ell, INT_ELL);
  return extend(ctx, idx, { from: p.ell, to: INT_ELL, signed: false });
}

export function argmaxCostSteps(b: CostBuilder, n: number, p: TournamentParams): void {
  const rows = rowsOf(n, p.cols);
  tournamentCostSteps(b, rows, p, true);
  if (p.ell < INT_ELL) extendCostSteps(b, rows, { from: p.ell, to: INT_ELL, signed: false });
}

export const argmaxCost = (n: number, p: TournamentParams, ot?: OtCostModel): Cost => costOf((b) => argmaxCostSteps(b, n, p), ot);

/** Twin: the index of each row's first maximum (Z_2^32); checks rowmax's spread bound. */
export function argmaxTwin(x: RingArray, p: TournamentParams, probe?: RangeProbe): RingArray {
  rowmaxTwin(x, p, probe);
  const v = ringOf(p.ell).toSigned(x), rows = rowsOf(x.length, p.cols), out: number[] = [];
  for (let r = 0; r < rows; r++) out.push(firstMax(v, r * p.cols, p.cols, null));
  return ringOf(INT_ELL).fromSigned(out);
}

function firstMax(v: Float64Array, off: number, cols: number, taken: Uint8Array | null): number {
  let best = -1;
  for (let j = 0; j < cols; j++) if (!taken?.[off + j] && (best < 0 || v[off + j] > v[off + best])) best = j;
  return best;
}

// ---- top-k ----

/** The winner's flag of every element, from the root down (rows × cols XOR shares). */
async function winnerFlags(ctx: ProtoCtx, levels: { w: number; c: Bits }[], rows: number): Promise<Bits> {
  const server = isServer(ctx);
  let f: Bits = new Uint8Array(0);
  for (let l = levels.length - 1; l >= 0; l--) {
    const { w, c } = levels[l], pairs = Math.floor(w / 2), nw = Math.ceil(w / 2);
    // At the root the parent's flag is the public 1, so flag(left) = c.
    const left = l === levels.length - 1 ? c : await andBits(ctx, takePairs(f, rows, nw, pairs), c, 1);
    const next = new Uint8Array(rows * w);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < pairs; j++) {
        const parent = l === levels.length - 1 ? (server ? 1 : 0) : f[r * nw + j];
        next[r * w + 2 * j] = left[r * pairs + j];
        next[r * w + 2 * j + 1] = parent ^ left[r * pairs + j];
      }
      if (w % 2) next[r * w + w - 1] = f[r * nw + nw - 1];
    }
    f = next;
  }
  return f;
}

const takePairs = (f: Bits, rows: number, nw: number, pairs: number): Bits => {
  const out = new Uint8Array(rows * pairs);
  for (let r = 0; r < rows; r++) for (let j = 0; j < pairs; j++) out[r * pairs + j] = f[r * nw + j];
  return out;
};

function winnerFlagsCostSteps(b: CostBuilder, rows: number, cols: number): void {
  const widths: number[] = [];
  for (let w = cols; w > 1; w = Math.ceil(w / 2)) widths.push(w);
  for (let l = widths.length - 2; l >= 0; l--) andBitsCost(b, rows * Math.floor(widths[l] / 2), 1);
}

function checkK(p: TopkParams): void {
  if (!Number.isInteger(p.k) || p.k < 1 || p.k > p.cols) throw new RangeError(`topk: k = ${p.k} must be in 1..${p.cols} (the row length)`);
}

/** XOR shares of the mask of each row's k largest entries (ties: the lower index first). */
export async function topk(ctx: ProtoCtx, x: RingArray, p: TopkParams): Promise<Bits> {
  checkK(p);
  const ring = ringOf(p.ell), rows = rowsOf(x.length, p.cols), mask = new Uint8Array(x.length);
  let cur = x;
  for (let r = 0; r < p.k; r++) {
    const flags = p.cols === 1 ? Uint8Array.from({ length: rows }, () => (isServer(ctx) ? 1 : 0)) : await winnerFlags(ctx, (await tournament(ctx, cur, p, false)).levels, rows);
    for (let i = 0; i < mask.length; i++) mask[i] ^= flags[i];
    if (r < p.k - 1) cur = ring.sub(cur, ring.shl(await b2a(ctx, flags, p.ell), p.ell - 2));
  }
  return mask;
}

export function topkCostSteps(b: CostBuilder, n: number, p: TopkParams): void {
  checkK(p);
  const rows = rowsOf(n, p.cols);
  for (let r = 0; r < p.k; r++) {
    tournamentCostSteps(b, rows, p, false);
    winnerFlagsCostSteps(b, rows, p.cols);
    if (r < p.k - 1) b2aCost(b, n, p.ell);
  }
}

export const topkCost = (n: number, p: TopkParams, ot?: OtCostModel): Cost => costOf((b) => topkCostSteps(b, n, p), ot);

/** Twin: the k largest entries of each row, ties to the lower index; checks |x| < 2^(ℓ−3) raw. */
export function topkTwin(x: RingArray, p: TopkParams, probe?: RangeProbe): Bits {
  checkK(p);
  const s = p.s ?? 0, v = ringOf(p.ell).toSigned(x), rows = rowsOf(x.length, p.cols), h = 2 ** (p.ell - 3 - s);
  checkRange(Float64Array.from(v, (t) => t * 2 ** -s), { what: 'a value ranked by topk', enc: s ? encName(p.ell, s) : encName(p.ell), lo: -h, hi: h, widen: { ell: p.ell, s } }, probe,
    (i) => `row ${Math.floor(i / p.cols)}, value ${fmt(v[i] * 2 ** -s)}`);
  const mask = new Uint8Array(x.length);
  for (let r = 0; r < rows; r++) for (let t = 0; t < p.k; t++) mask[r * p.cols + firstMax(v, r * p.cols, p.cols, mask)] = 1;
  return mask;
}
