// Row sums of squares for variances (the prelude's `sumsq`, LayerNorm): Σ_j x_j² over the last
// axis, exact, in a wider encoding W. Truncating each square back to scale s (as `x * x` does)
// loses the variance of small rows — at fix<32, 12> a row of embeddings with variance 1e-3 keeps
// two significant bits — and limits |x| to 8; here each square stays at scale 2s in Z_2^ℓ (no
// truncation: x² < 2^(ℓ−1) raw, |x| < 11.3 at fix<32, 12>), is zero-extended to W's ring (one
// correlated OT per element, SIRNN §3.3) and summed there; only the row sum is rescaled.
//   sq  = x0² + x1² + 2·x0·x1            squareSS: one direction of COTs on the server's bits
//   w   = extend(sq, ℓ → ℓ_W, unsigned)   one COT per element (ℓ_W − ℓ bit message)
//   S   = Σ_j w_j                          local
//   out = trunc(S, 2s − s_W) or S·2^(s_W − 2s)   one COT per row, or local
// With `div` (the schedule's `fuse` pass moves LayerNorm's `/ d` in: src/opt/fuse.ts), the
// squares are extended straight into div_sp's wide ring, where S·K is truncated (arith.ts
// `divPublic` without its own extension): both COTs are prepared in the square's first flight,
// so the extension and the division are one exchange each, and the twin is div_sp's of sumsq's.
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { checkRange, encName, fmt, realOf, truncSpec, valueSpec, type RangeProbe } from '../ranges.ts';
import { costOf, ringOf, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { divPlan, divPublicTwin, squareCostSteps, squareSS, squareSSWith } from './arith.ts';
import { bitProductCounts, bitProductSpec } from './ot-ops.ts';
import { extend, extendCostSteps, extendTwin, reduceRing, trunc, truncCostSteps, truncCounts, truncSpec as truncChooser } from './trunc.ts';

export interface SumSqParams {
  /** Input encoding fix<ℓ, s> (s = 0 for rings and integers). */
  ell: number;
  s: number;
  /** Row length (the last axis). */
  cols: number;
  /** Output encoding W. */
  to: { ell: number; s: number };
  /** Divide the result by this public constant (raw at W's scale), as div_sp does. */
  div?: number;
}

/** The fused division's plan (only when the row sum needs no truncation of its own). */
function divOf(p: SumSqParams): ReturnType<typeof divPlan> | null {
  if (p.div === undefined) return null;
  if (shift(p) > 0) throw new RangeError('sumsq: a fused division needs the row sums at W\'s scale or finer');
  return divPlan(p.to, p.div);
}

function check(p: SumSqParams): void {
  if (p.to.ell < p.ell) throw new RangeError(`sumsq: the result ring Z_2^${p.to.ell} is narrower than the input's Z_2^${p.ell}`);
}

/** Bits dropped (> 0) or added (< 0) when the row sum at scale 2s becomes scale s_W. */
const shift = (p: SumSqParams): number => 2 * p.s - p.to.s;

function widen(x: RingArray, p: SumSqParams): RingArray {
  return p.to.ell > p.ell ? extendTwin(x, { from: p.ell, to: p.to.ell, signed: false }) : x;
}

export async function sumSquares(ctx: ProtoCtx, x: RingArray, p: SumSqParams): Promise<RingArray> {
  check(p);
  const dv = divOf(p);
  if (dv) {
    const rows = x.length / p.cols, rw = ringOf(dv.wide);
    const { sq, extra: [ext, tr] } = await squareSSWith(ctx, x, { ell: p.ell, s: 0 }, [bitProductSpec(ctx, x.length, dv.wide - p.ell), truncChooser(ctx, rows, dv.P)]);
    const S = rw.shl(rw.sumLast(await extend(ctx, sq, { from: p.ell, to: dv.wide, signed: false }, ext), p.cols), -shift(p));
    return reduceRing(await trunc(ctx, rw.mulScalar(S, dv.K), { ell: dv.wide, t: dv.P }, tr), dv.wide, p.to.ell);
  }
  const sq = await squareSS(ctx, x, { ell: p.ell, s: 0 });
  const w = p.to.ell > p.ell ? await extend(ctx, sq, { from: p.ell, to: p.to.ell, signed: false }) : sq;
  const rw = ringOf(p.to.ell), rows = rw.sumLast(w, p.cols), t = shift(p);
  return t > 0 ? trunc(ctx, rows, { ell: p.to.ell, t }) : rw.shl(rows, -t);
}

export function sumSquaresCostSteps(b: CostBuilder, n: number, p: SumSqParams): void {
  check(p);
  const dv = divOf(p);
  if (dv) {
    squareCostSteps(b, n, { ell: p.ell, s: 0 }, [bitProductCounts(n), truncCounts(n / p.cols)]);
    extendCostSteps(b, n, { from: p.ell, to: dv.wide, signed: false }, true);
    truncCostSteps(b, n / p.cols, { ell: dv.wide, t: dv.P }, true);
    return;
  }
  squareCostSteps(b, n, { ell: p.ell, s: 0 });
  if (p.to.ell > p.ell) extendCostSteps(b, n, { from: p.ell, to: p.to.ell, signed: false });
  if (shift(p) > 0) truncCostSteps(b, n / p.cols, { ell: p.to.ell, t: shift(p) });
}

export const sumSquaresCost = (n: number, p: SumSqParams, ot?: OtCostModel): Cost => costOf((b) => sumSquaresCostSteps(b, n, p), ot);

/**
 * Twin: Σ x² (exact) at W's scale (floor when bits are dropped). Checks that every square stays
 * below 2^(ℓ−1) raw (it is not truncated), that the row sums fit W, and the truncation's range.
 */
export function sumSquaresTwin(x: RingArray, p: SumSqParams, probe?: RangeProbe): RingArray {
  check(p);
  if (divOf(p)) return divPublicTwin(sumSquaresTwin(x, { ...p, div: undefined }, probe), p.div!, p.to, probe);
  const r = ringOf(p.ell), rw = ringOf(p.to.ell), v = r.toSigned(x), sq = Float64Array.from(v, (a) => a * a);
  const lim = 2 ** (p.ell - 1 - 2 * p.s);
  checkRange(realOf(sq, 2 * p.s), { what: 'a square (kept exact, before the row sum)', enc: encName(p.ell, p.s), lo: 0, hi: lim, widen: { ell: p.ell, s: p.s },
    hint: `|x| must stay below ${fmt(Math.sqrt(lim))} for ${encName(p.ell, p.s)}; use a wider input ring` }, probe, (i) => `element ${i}: ${fmt(v[i] * 2 ** -p.s)}²`);
  const rows = rw.sumLast(widen(r.mul(x, x), p), p.cols), t = shift(p);
  const S = new Float64Array(rows.length);
  for (let i = 0; i < sq.length; i++) S[Math.floor(i / p.cols)] += sq[i] * 2 ** (-2 * p.s);
  checkRange(S, t > 0 ? truncSpec(p.to.ell, p.to.s, 2 * p.s, 'a row sum of squares before truncation') : valueSpec(p.to.ell, p.to.s, 'a row sum of squares'), probe, (i) => `row ${i}`);
  return t > 0 ? rw.shr(rows, t) : rw.shl(rows, -t);
}

