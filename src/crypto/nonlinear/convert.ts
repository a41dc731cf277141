// Change of encoding on secret shares (the prelude's `convert`): the same value in another ring
// width and/or scale. Integers are Z_2^32 at scale 0, ring<ℓ> is scale 0; booleans convert to
// 0 / 1 by B2A. Steps (trunc.ts, pwl.ts; SIRNN, Rathee et al. S&P 2021, §3.3 and §3.4):
//   fewer fractional bits, wider ring:   truncExtend (one COT: truncation and extension together)
//   fewer fractional bits, same/narrower: trunc (one COT), then reduce (local)
//   more fractional bits, wider ring:    extend (one COT), then shift left (local)
//   more fractional bits, same/narrower: reduce, then shift left (local)
//   bool:                                B2A into the target ring (one COT), shift left
// The extension and truncation need |x| < 2^(ℓ−2) (raw); truncation gives floor or one less.
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { checkRange, encName, realOf, truncSpec, valueSpec, type RangeProbe } from '../ranges.ts';
import { costOf, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { b2a, b2aCost } from './ot-ops.ts';
import { extend, extendCostSteps, reduceRing, trunc, truncCostSteps } from './trunc.ts';
import { truncExtend, truncExtendCostSteps } from './pwl.ts';

/** A ring width and scale (int: 32 and 0; ring<ℓ>: ℓ and 0); `bool` for boolean sources. */
export interface Width {
  ell: number;
  s: number;
  bool?: boolean;
  /** For messages: the encoding's name (e.g. 'int'). */
  name?: string;
}

export interface ConvertParams {
  from: Width;
  to: Width;
}

type Step = 'b2a' | 'truncExtend' | 'trunc' | 'extend' | 'local';

function plan(p: ConvertParams): Step {
  const { from, to } = p;
  if (to.bool) throw new RangeError('convert: a value cannot be converted to bool (compare it instead)');
  if (to.s > to.ell - 2) throw new RangeError(`convert: ${encName(to.ell, to.s)} leaves no room for the integer part`);
  if (from.bool) return 'b2a';
  if (to.s < from.s) return to.ell > from.ell ? 'truncExtend' : 'trunc';
  return to.ell > from.ell ? 'extend' : 'local';
}

/** Shares of x in the target encoding (see the header for the steps). */
export async function convertShares(ctx: ProtoCtx, x: RingArray | Bits, p: ConvertParams): Promise<RingArray> {
  const { from, to } = p, rt = ringOf(to.ell), step = plan(p);
  if (step === 'b2a') return rt.shl(await b2a(ctx, x as Bits, to.ell), to.s);
  const v = x as RingArray, t = from.s - to.s;
  if (step === 'truncExtend') return truncExtend(ctx, v, { from: from.ell, to: to.ell, t });
  if (step === 'trunc') return reduceRing(await trunc(ctx, v, { ell: from.ell, t }), from.ell, to.ell);
  const widened = step === 'extend' ? await extend(ctx, v, { from: from.ell, to: to.ell, signed: true }) : reduceRing(v, from.ell, to.ell);
  return rt.shl(widened, -t);
}

export function convertCostSteps(b: CostBuilder, n: number, p: ConvertParams): void {
  const { from, to } = p, step = plan(p);
  if (step === 'b2a') b2aCost(b, n, to.ell);
  else if (step === 'truncExtend') truncExtendCostSteps(b, n, { from: from.ell, to: to.ell, t: from.s - to.s });
  else if (step === 'trunc') truncCostSteps(b, n, { ell: from.ell, t: from.s - to.s });
  else if (step === 'extend') extendCostSteps(b, n, { from: from.ell, to: to.ell, signed: true });
}

export const convertCost = (n: number, p: ConvertParams, ot?: OtCostModel): Cost => costOf((b) => convertCostSteps(b, n, p), ot);

/** Does the secure conversion use a protocol that needs |x| < 2^(ℓ−2)? */
export const convertNeedsHeadroom = (p: ConvertParams): boolean => ['truncExtend', 'trunc', 'extend'].includes(plan(p));

/**
 * Twin on opened values: floor(x·2^(s2−s1)) in the target ring. Checks that the result fits the
 * target and, for `secure` conversions that extend or truncate, that |x| < 2^(ℓ−2) (raw).
 */
export function convertTwin(x: RingArray | Bits, p: ConvertParams, secure: boolean, probe?: RangeProbe): RingArray {
  const { from, to } = p, rt = ringOf(to.ell);
  plan(p);
  const raw = from.bool ? Float64Array.from(x as Bits) : ringOf(from.ell).toSigned(x as RingArray);
  if (secure && convertNeedsHeadroom(p)) checkRange(realOf(raw, from.s), truncSpec(from.ell, from.s, from.s, 'the value converted (extension and truncation need headroom)'), probe);
  const d = to.s - from.s, out = Float64Array.from(raw, (v) => (d >= 0 ? v * 2 ** d : Math.floor(v / 2 ** -d)));
  checkRange(realOf(out, to.s), { ...valueSpec(to.ell, to.s, 'the converted value'), enc: to.name ?? (to.s ? encName(to.ell, to.s) : encName(to.ell)) }, probe);
  return rt.fromSigned(out);
}
