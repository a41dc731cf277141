// Row maximum by a tournament (CrypTFlow2 §5 "Maxpool", widened): each level splits a row into
// groups of k candidates and keeps each group's maximum, until one is left.
//
// k = 2 is the binary tree: max(a, b) = b + [a − b ≥ 0]·(a − b), one DReLU and one multiplexer.
// k > 2 compares all k(k−1)/2 pairs of a group in one comparison, then finds the first maximum
// by the winner bits w_i = ∧_{j≠i} c_ij (c_ij = [x_i ≥ x_j] for i < j, its negation for i > j:
// exactly one w_i is set, the first maximum) with a tree of ANDs (⌈log2(k−1)⌉ exchanges), and
// selects max = x_{k−1} + Σ_{i<k−1} w_i·(x_i − x_{k−1}) (one exchange). A level costs the
// comparison's rounds plus ⌈log2(k−1)⌉ + 1 instead of ⌈log2 k⌉ binary levels' (each the
// comparison's rounds plus one), for k/2 − 1/2 times as many comparisons per element. Every
// AND's and the multiplexer's correlated OTs are prepared in the comparison's first flight.
// A short last group is padded with copies of its first element (the maximum is unchanged); a
// single element left over passes to the next level as it is.
// Exact (no truncation) as long as the differences do not overflow.
import { cotUnitBytes, type OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { costOf, isServer, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { geConstsCostSteps, geConstsWith } from './compare.ts';
import { boundSelector, selectorCounts, selectorMulCost, selectorSpec } from './boolean.ts';
import { productsCost, type ChooserCounts, type ChooserSpec } from './ot-ops.ts';
import { checkRange, encName, fmt, type RangeProbe } from '../ranges.ts';

/**
 * Candidates per group (docs/schedule.md, "Wider row-max tournaments"): rounds against bytes and
 * compute. With IKNP a comparison's bytes outweigh the rounds a wider group saves; with a silent
 * backend (Ferret, ≈ 40 B per comparison) groups of 4 keep the predicted WAN time of groups of 8
 * (BERT-base CipherPrune 139 s either way; 1,384 vs 1,332 rounds) at 2.3× less CPU per element
 * (server 16.9 vs 38.3 µs, wall 22.7 vs 55.4 µs with each party on its own thread, idle).
 */
export const ROWMAX = { arity: 2, silentArity: 4 };

const arityFor = (ot: OtCostModel): number => (cotUnitBytes(ot).batch ? ROWMAX.silentArity : ROWMAX.arity);

export interface RowmaxParams {
  ell: number;
  /** Row length (the last axis); the input has rows·cols elements. */
  cols: number;
  /** Fixed-point scale (messages in real units). */
  s?: number;
}

function checkShape(n: number, cols: number): number {
  if (!Number.isInteger(cols) || cols < 1 || n % cols !== 0) throw new RangeError(`rowmax: ${n} elements do not split into rows of ${cols}`);
  return n / cols;
}

interface Level {
  /** Row width before the level, group size, groups compared per row, and 1 when the row's last
   * element has no group and passes to the next level as it is. */
  w: number;
  k: number;
  G: number;
  odd: number;
  /** Compared pairs (i < j) of a group. */
  pairs: [number, number][];
  /** ANDs per candidate at each level of the AND tree (k − 1 inputs per candidate). */
  ands: number[];
}

function levelsOf(cols: number, arity: number): Level[] {
  const out: Level[] = [];
  for (let w = cols; w > 1; ) {
    const k = Math.min(arity, w), odd = w % k === 1 ? 1 : 0, G = Math.ceil((w - odd) / k), pairs: [number, number][] = [], ands: number[] = [];
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) pairs.push([i, j]);
    for (let q = k - 1; q > 1; q = Math.ceil(q / 2)) ands.push(Math.floor(q / 2));
    out.push({ w, k, G, odd, pairs, ands });
    w = G + odd;
  }
  return out;
}

/** The AND levels' and the multiplexer's choosers for `g` groups (all prepared on random bits). */
function levelSpecs(lv: Level, g: number, ell: number): ChooserSpec[] {
  const cand = g * (lv.k - 1);
  return [...lv.ands.map((a) => ({ ell: 1, choices: { random: a * cand }, peerCount: a * cand, width: 1 })), selectorSpec(cand, ell, 1)];
}
const levelCounts = (lv: Level, g: number): ChooserCounts[] => {
  const cand = g * (lv.k - 1);
  return [...lv.ands.map((a) => ({ server: a * cand, client: a * cand })), selectorCounts(cand)];
};

/** Element j of group gi of row r (the group's first element past the row's end). */
const at = (cur: RingArray, r: number, w: number, gi: number, k: number, j: number): number => {
  const c = gi * k + j < w ? gi * k + j : gi * k;
  return (cur as Uint32Array)[r * w + c];
};

export async function rowmax(ctx: ProtoCtx, x: RingArray, p: RowmaxParams): Promise<RingArray> {
  const ring = ringOf(p.ell), rows = checkShape(x.length, p.cols), server = isServer(ctx);
  let cur = x;
  for (const lv of levelsOf(p.cols, arityFor(ctx.ot.cost))) {
    const { w, k, G, odd, pairs } = lv, g = rows * G, P = pairs.length, K = k - 1;
    // Differences of every compared pair, and of each candidate to the group's last one.
    const a = ring.alloc(g * P), b = ring.alloc(g * P), xi = ring.alloc(g * K), xl = ring.alloc(g * K), last = ring.alloc(g);
    // Element j of each group (a short last group repeats its first element): index tables, then
    // one pass per array (the same code for both ring types).
    const pi = Int32Array.from(pairs, ([i]) => i), pj = Int32Array.from(pairs, ([, j]) => j);
    for (let r = 0; r < rows; r++) for (let gi = 0; gi < G; gi++) {
      const o = r * G + gi, base = r * w + gi * k, valid = Math.min(k, w - gi * k), lk = at(cur, r, w, gi, k, K);
      const src = (j: number) => base + (j < valid ? j : 0);
      for (let t = 0; t < P; t++) {
        (a as Uint32Array)[o * P + t] = (cur as Uint32Array)[src(pi[t])];
        (b as Uint32Array)[o * P + t] = (cur as Uint32Array)[src(pj[t])];
      }
      (last as Uint32Array)[o] = lk;
      for (let i = 0; i < K; i++) {
        (xi as Uint32Array)[o * K + i] = (cur as Uint32Array)[src(i)];
        (xl as Uint32Array)[o * K + i] = lk;
      }
    }
    const d = ring.sub(a, b), dl = ring.sub(xi, xl);
    const { bits: c, choosers: ch } = await geConstsWith(ctx, d, { ell: p.ell, consts: [0] }, levelSpecs(lv, g, p.ell));
    // Inputs of each candidate's AND (candidate-major): c_ij for j > i, ¬c_ji for j < i. For input
    // t of candidate i: the pair's index in the group's comparisons, and whether it is negated.
    const pairIdx = new Map(pairs.map(([i, j], t) => [i * k + j, t]));
    const inPair = new Int32Array(K * K), inNeg = new Uint8Array(K * K), flip = server ? 1 : 0;
    for (let i = 0; i < K; i++) for (let j = 0, t = 0; j < k; j++) {
      if (j === i) continue;
      inPair[i * K + t] = j > i ? pairIdx.get(i * k + j)! : pairIdx.get(j * k + i)!;
      inNeg[i * K + t++] = j > i ? 0 : flip;
    }
    let E: Bits[] = [];
    for (let t = 0; t < K; t++) E.push(new Uint8Array(g * K));
    for (let t = 0; t < K; t++) {
      const e = E[t];
      for (let o = 0; o < g; o++) for (let i = 0; i < K; i++) e[o * K + i] = c[o * P + inPair[i * K + t]] ^ inNeg[i * K + t];
    }
    for (const [a, half] of lv.ands.entries()) {
      const m = g * K, aa = new Uint8Array(half * m), bb = ringOf(1).alloc(half * m) as Uint32Array;
      for (let q = 0; q < half; q++) {
        aa.set(E[2 * q + 1], q * m);
        bb.set(E[2 * q], q * m);
      }
      const { asSender, asReceiver } = await ch[a].bind(aa).products(ctx, 1, bb);
      const next: Bits[] = [];
      for (let q = 0; q < half; q++) {
        const e = new Uint8Array(m);
        for (let t = 0; t < m; t++) e[t] = (aa[q * m + t] & bb[q * m + t]) ^ (asSender as Uint32Array)[q * m + t] ^ (asReceiver as Uint32Array)[q * m + t];
        next.push(e);
      }
      if (E.length % 2) next.push(E[E.length - 1]);
      E = next;
    }
    const [sel] = await boundSelector(p.ell, E[0], ch[lv.ands.length]).mul(ctx, [dl]);
    const max = ring.add(last, ring.sumLast(sel, K));
    if (!odd) cur = max;
    else {
      const next = ring.alloc(rows * (G + 1));
      for (let r = 0; r < rows; r++) {
        (next as Uint32Array).set((max as Uint32Array).subarray(r * G, (r + 1) * G), r * (G + 1));
        (next as Uint32Array)[r * (G + 1) + G] = (cur as Uint32Array)[r * w + w - 1];
      }
      cur = next;
    }
  }
  return cur;
}

export function rowmaxCostSteps(b: CostBuilder, n: number, p: RowmaxParams): void {
  const rows = checkShape(n, p.cols);
  for (const lv of levelsOf(p.cols, arityFor(b.ot))) {
    const g = rows * lv.G, cand = g * (lv.k - 1);
    geConstsCostSteps(b, g * lv.pairs.length, { ell: p.ell, consts: [0] }, levelCounts(lv, g));
    for (const a of lv.ands) productsCost(b, 1, a * cand, a * cand, 1, true);
    selectorMulCost(b, cand, p.ell, 1, true);
  }
}

export const rowmaxCost = (n: number, p: RowmaxParams, ot?: OtCostModel): Cost => costOf((b) => rowmaxCostSteps(b, n, p), ot);

/** Twin: the row maxima. The tournament compares pairs of a row on their ring difference,
 * so each row's spread max − min must stay below 2^(ℓ−1) (raw), which it checks. */
export function rowmaxTwin(x: RingArray, p: RowmaxParams, probe?: RangeProbe): RingArray {
  const ring = ringOf(p.ell), rows = checkShape(x.length, p.cols), v = ring.toSigned(x), s = p.s ?? 0;
  const out: number[] = [], spread = new Float64Array(rows), lo = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity, mn = Infinity;
    for (let j = 0; j < p.cols; j++) {
      m = Math.max(m, v[r * p.cols + j]);
      mn = Math.min(mn, v[r * p.cols + j]);
    }
    out.push(m);
    spread[r] = (m - mn) * 2 ** -s;
    lo[r] = mn;
  }
  checkRange(spread, { what: 'the spread max − min of a row', enc: s ? encName(p.ell, s) : encName(p.ell), lo: 0, hi: 2 ** (p.ell - 1 - s), widen: { ell: p.ell, s } }, probe,
    (r) => `row ${r}: from ${fmt(lo[r] * 2 ** -s)} to ${fmt(out[r] * 2 ** -s)}`);
  return ring.fromSigned(out);
}
