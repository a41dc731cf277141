// Row maximum by a tournament tree (CrypTFlow2 §5 "Maxpool": ⌈log2 n⌉ levels of pairwise max,
// each max(a, b) = b + [a − b ≥ 0]·(a − b): one DReLU and one multiplexer, batched over the level;
// the multiplexer's OTs ride the comparison's first flight, so a level is the comparison's
// rounds plus one).
// Exact (no truncation) as long as the differences do not overflow.
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { costOf, ringOf, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { geConstsCostSteps, geConstsWith } from './compare.ts';
import { boundSelector, selectorCounts, selectorMulCost, selectorSpec } from './boolean.ts';
import { checkRange, encName, fmt, type RangeProbe } from '../ranges.ts';

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

export async function rowmax(ctx: ProtoCtx, x: RingArray, p: RowmaxParams): Promise<RingArray> {
  const ring = ringOf(p.ell), rows = checkShape(x.length, p.cols);
  let cur = x, w = p.cols;
  while (w > 1) {
    const pairs = Math.floor(w / 2), nw = Math.ceil(w / 2);
    const a = ring.alloc(rows * pairs), b = ring.alloc(rows * pairs);
    for (let r = 0; r < rows; r++) for (let j = 0; j < pairs; j++) {
      (a as Uint32Array)[r * pairs + j] = (cur as Uint32Array)[r * w + 2 * j];
      (b as Uint32Array)[r * pairs + j] = (cur as Uint32Array)[r * w + 2 * j + 1];
    }
    const d = ring.sub(a, b);
    // The multiplexer's OTs are prepared in the comparison's first flight.
    const r = await geConstsWith(ctx, d, { ell: p.ell, consts: [0] }, [selectorSpec(rows * pairs, p.ell, 1)]);
    const sel = boundSelector(p.ell, r.bits, r.choosers[0]);
    const m = ring.add(b, (await sel.mul(ctx, [d]))[0]);
    const next = ring.alloc(rows * nw);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < pairs; j++) (next as Uint32Array)[r * nw + j] = (m as Uint32Array)[r * pairs + j];
      if (w % 2) (next as Uint32Array)[r * nw + nw - 1] = (cur as Uint32Array)[r * w + w - 1];
    }
    cur = next;
    w = nw;
  }
  return cur;
}

export function rowmaxCostSteps(b: CostBuilder, n: number, p: RowmaxParams): void {
  const rows = checkShape(n, p.cols);
  for (let w = p.cols; w > 1; w = Math.ceil(w / 2)) {
    const m = rows * Math.floor(w / 2);
    geConstsCostSteps(b, m, { ell: p.ell, consts: [0] }, [selectorCounts(m)]);
    selectorMulCost(b, m, p.ell, 1, true);
  }
}

export const rowmaxCost = (n: number, p: RowmaxParams, ot?: OtCostModel): Cost => costOf((b) => rowmaxCostSteps(b, n, p), ot);

/** Twin: the row maxima. The tournament compares every pair of a row on its ring difference,
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
