// exp(x) for x ≤ 0, high and low degree. High degree: range reduction as in BOLT (Pang et al.,
// S&P 2024, §5.3): e^x = 2^{−z}·e^{−q} with z = ⌊−x / ln2⌋ and q = −x − z·ln2 ∈ [0, ln2).
// Low degree: 64 lines on [−8, 0] chosen by lookup (pwl.ts; see `expLo` below).
//
//   c   = [x ≥ −L]  (L = 10: e^{−10} < half an ULP at s = 12)      one millionaires' run
//   beside it (side.ts), on y = −x:
//   z   = trunc(y·K, 2s), K = ⌊2^s / ln2⌋                           one-bit-error truncation
//   q   = y − z·LN2, LN2 = ⌊ln2·2^s⌋   (q ∈ [0, 2·ln2) because z may be one less than exact)
//   e   = P(q) ≈ e^{−q} at scale s + X (X = 2 extra bits)            Estrin, q's bits prepared once
//   out = c · round(e · T[z mod 16], G + X),  T[u] = 2^{G−u}, T[15] = 2^{G+1} (z = −1); 0 below −L
// The last product needs no multiplication protocol: each party offers e_P·T[(z_P + j) mod 16]
// in a 1-out-of-16 OT and the peer picks j = z_Q (ot-ops.ts `lutMul`, SIRNN-style LUT, §3).
//
// Secure vs twin (every truncation one-bit-error, ∈ {−1, 0}): z may be one less than the twin's
// (z = −1 when the twin's is 0), q then ln2 more, and e ≈ e^{−q} is scaled by T[z − 1] = 2·T[z],
// so e's own truncation errors (the polynomial's last level, and v's through it) count double. With e at scale s (X = 0) that reaches 6 ULP (x ≈ −0.59, all five truncations −1);
// two extra bits on e (X = 2; the product e·T stays below 2^(ℓ−4)) bring the worst case to 3 ULP,
// and rounding the last truncation keeps the twin within 2.5e-4 of e^x. Found by enumerating every
// raw input in [−10, 0] with all 2^5 error patterns (docs/nonlinear.md, "exp_hi's bound").
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { addPublic, costOf, lo32, ringOf, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { geConstsCostSteps, geConstsTwin, geConstsWith } from './compare.ts';
import { boundSelector, selectorCounts, selectorMulCost, selectorSpec } from './boolean.ts';
import { SideFlow, sideFlights } from './side.ts';
import { boundOperand, operandCounts, operandSpec } from './operand.ts';
import { trunc, truncCostSteps, truncCounts, truncSpec } from './trunc.ts';
import { lutMul, lutMulCost } from './ot-ops.ts';
import { pwlClampedLine, pwlClampedLineCostSteps, pwlClampTwin, pwlLinesTwin, pwlPlan, truncExtendTwin } from './pwl.ts';
import { EXP_PWL } from './pwl-tables.ts';
import { EXP_HI, hornerCostSteps, hornerPlan, hornerSecure, hornerSpecCount, hornerTruncCounts, hornerTruncSpecs, hornerTwin, hornerUses, type PolySpec } from './poly.ts';
import { checkInput, type FnParams } from './gelu.ts';
import type { RangeProbe } from '../ranges.ts';

/** exp's domain: x ≤ 0 (softmax subtracts the row max first), and |x| < 2^(ℓ−2) raw. */
export function checkExpDomain(name: string, x: RingArray, p: FnParams, probe?: RangeProbe): void {
  checkInput(name, x, p, { lo: -(2 ** (p.ell - 2 - p.s)), hi: 0, hiIncl: true, hint: `${name} is defined for x ≤ 0 only: subtract the row max first (as nn.softmax does), or compute e^x = 1 / e^(-x)` }, probe);
}

export const EXP_CLAMP = 10;
/** Extra fractional bits of e = P(q) (fewer if the ring lacks them: G ≥ s as before). */
export const EXP_EXTRA_BITS = 2;

function expPlan(p: FnParams) {
  const { ell, s } = p;
  if (2 * s > ell - 2) throw new RangeError(`exp: fix<${ell},${s}> needs 2s ≤ ℓ − 2 for the range reduction`);
  const L = Math.round(EXP_CLAMP * 2 ** s);
  const K = Math.floor(2 ** s / Math.LN2), LN2 = Math.floor(Math.LN2 * 2 ** s);
  // t = G + X: the last truncation; e·T < 2^(s+X)·2^(G+1)/2 ≤ 2^(ℓ−4).
  const t = ell - 4 - s, X = Math.max(0, Math.min(EXP_EXTRA_BITS, t - s)), G = t - X;
  if (G < s) throw new RangeError(`exp: fix<${ell},${s}> leaves too few bits for the 2^-z table`);
  const ring = ringOf(ell);
  const tv = Array.from({ length: 16 }, (_, u) => (u === 15 ? 2n ** BigInt(G + 1) : G - u >= 0 ? 2n ** BigInt(G - u) : 0n));
  const table = ring.wide ? BigUint64Array.from(tv) : Uint32Array.from(tv.map(Number));
  return { L, K, LN2, G, X, t, table };
}

// The range reduction and the polynomial do not need the clamp bit: they run on y = −x as if
// x ≥ −L, beside the comparison (side.ts), their rounds riding its flights; then the lookup
// e·T[z mod 16], its truncation, and the clamp as a multiplexer on the result (out = c·…, so
// elements below −L give exactly 0, where a truncation of 0 would give 0 or −1; garbage z, q, e
// there are multiplied by 0). Every correlated OT of the side flow, the truncation and the
// multiplexer is prepared in the comparison's first flight. 11 rounds instead of 15 (Ferret) /
// 14 (IKNP).
async function expWith(ctx: ProtoCtx, x: RingArray, spec: PolySpec, p: FnParams): Promise<RingArray> {
  const { ell, s } = p, ring = ringOf(ell), n = x.length;
  const { L, K, LN2, X, t, table } = expPlan(p), plan = hornerPlan(spec, ell, s, X), d = hornerSpecCount(plan);
  const specs = [truncSpec(ctx, n, 2 * s), operandSpec(ctx, ell, n, plan.k, hornerUses(plan)), ...hornerTruncSpecs(ctx, n, plan), truncSpec(ctx, n, t), selectorSpec(n, ell, 1)];
  const side = new SideFlow(ctx, async (sc, ch) => {
    const y = ring.neg(x);
    const z = await trunc(sc, ring.mulScalar(y, K), { ell, t: 2 * s }, ch[0]);
    const q = ring.sub(y, ring.mulScalar(z, LN2));
    return { z, e: await hornerSecure(sc, plan, q, boundOperand(sc, ell, n, q, plan.k, ch[1]), undefined, ch.slice(2, 2 + d)) };
  });
  const { bits: c, choosers: ch } = await geConstsWith(ctx, x, { ell, consts: [-L] }, specs, side);
  const { z, e } = await side.rest();
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = lo32(z, i) & 15;
  const v = await trunc(ctx, addPublic(ctx, ring, await lutMul(ctx, ell, e, idx, table), 1n << BigInt(t - 1)), { ell, t }, ch[2 + d]);
  return (await boundSelector(ell, c, ch[3 + d]).mul(ctx, [v]))[0];
}

function expCostSteps(b: CostBuilder, n: number, spec: PolySpec, p: FnParams): void {
  const { ell, s } = p, { L, X, t } = expPlan(p), plan = hornerPlan(spec, ell, s, X);
  const side = sideFlights(b, (sb) => {
    truncCostSteps(sb, n, { ell, t: 2 * s }, true);
    hornerCostSteps(sb, n, plan);
  });
  geConstsCostSteps(b, n, { ell, consts: [-L] }, [truncCounts(n), operandCounts(n, ell, plan.k), ...hornerTruncCounts(n, plan), truncCounts(n), selectorCounts(n)], side);
  lutMulCost(b, n, 16, ell);
  truncCostSteps(b, n, { ell, t }, true);
  selectorMulCost(b, n, ell, 1, true);
}

function expTwinWith(x: RingArray, spec: PolySpec, p: FnParams): RingArray {
  const { ell, s } = p, ring = ringOf(ell), n = x.length;
  const { L, K, LN2, X, t, table } = expPlan(p), plan = hornerPlan(spec, ell, s, X);
  const c = geConstsTwin(x, { ell, consts: [-L] });
  const y = ring.alloc(n);
  const xs = ring.toSigned(x);
  for (let i = 0; i < n; i++) (y as Uint32Array)[i] = (c[i] ? ring.fromSigned([-xs[i]]) : ring.fromSigned([L]))[0] as never;
  const z = ring.shr(ring.mulScalar(y, K), 2 * s);
  const q = ring.sub(y, ring.mulScalar(z, LN2));
  const e = hornerTwin(plan, q);
  const f = ring.alloc(n);
  for (let i = 0; i < n; i++) (f as Uint32Array)[i] = (table as Uint32Array)[lo32(z, i) & 15];
  // Rounded to nearest; the clamp multiplies the result: exactly 0 below −L.
  const out = ring.shr(ring.addScalar(ring.mul(e, f), 1n << BigInt(t - 1)), t);
  const zero = ring.alloc(1)[0];
  for (let i = 0; i < n; i++) if (!c[i]) (out as Uint32Array)[i] = zero as number;
  return out;
}

export const expHi = (ctx: ProtoCtx, x: RingArray, p: FnParams) => expWith(ctx, x, EXP_HI, p);
export function expHiTwin(x: RingArray, p: FnParams, probe?: RangeProbe): RingArray {
  checkExpDomain('exp_hi', x, p, probe);
  return expTwinWith(x, EXP_HI, p);
}
export const expHiCost = (n: number, p: FnParams, ot?: OtCostModel): Cost => costOf((b) => expCostSteps(b, n, EXP_HI, p), ot);

// ---- low degree: lines by lookup (pwl.ts) ----
//   line = A[j] + S[j]·u,  j = floor(x/δ) (or one less), δ = 1/8, j ∈ [−63, 0]   two 1-of-64 OTs
//   c    = [x ≥ −7.5] (the twin's [⌊x / 2^(s−1)⌋ ≥ −15], exactly)                one millionaires' run
//   out  = c · truncExtend(line, 6)        the truncation beside the comparison, then a selector in Z_2^ℓ
// (pwl.ts `pwlClampedLine`). c = 1 ⇔ x ≥ −7.5 (the lines cover it), else 0 instead of
// e^x < 5.6e-4. Inputs must be ≤ 0.

export async function expLo(ctx: ProtoCtx, x: RingArray, p: FnParams): Promise<RingArray> {
  const { mid, bits, sel } = await pwlClampedLine(ctx, pwlPlan(EXP_PWL, p), x, x.length);
  return (await boundSelector(p.ell, bits, sel).mul(ctx, [mid]))[0];
}

export function expLoTwin(x: RingArray, p: FnParams, probe?: RangeProbe): RingArray {
  checkExpDomain('exp_lo', x, p, probe);
  const plan = pwlPlan(EXP_PWL, p), line = pwlLinesTwin(plan, x), c = pwlClampTwin(plan, x);
  const v = ringOf(plan.lp).alloc(x.length);
  for (let i = 0; i < x.length; i++) if (c[i]) (v as Uint32Array)[i] = (line as Uint32Array)[i];
  return truncExtendTwin(v, { from: plan.lp, to: p.ell, t: EXP_PWL.F });
}

export function expLoCostSteps(b: CostBuilder, n: number, p: FnParams): void {
  pwlClampedLineCostSteps(b, n, pwlPlan(EXP_PWL, p), n);
  selectorMulCost(b, n, p.ell, 1, true);
}

export const expLoCost = (n: number, p: FnParams, ot?: OtCostModel): Cost => costOf((b) => expLoCostSteps(b, n, p), ot);
