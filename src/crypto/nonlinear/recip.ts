// Reciprocal and reciprocal square root of positive fixed-point values (SIRNN, Rathee et al.
// S&P 2021, §5: normalise by the leading-one position, approximate on [1, 2), rescale).
//
//   c_j = [x ≥ 2^j], j = 0..ℓ−3           one millionaires' run for all ℓ − 2 constants
//   x'  = 1 + c_0·(x − 1)                   clamp to x ≥ 2^−s (one multiplexer)
//   e   = Σ_{j≥1} c_j = ⌊log2 x'⌋            B2A over Z_32 (one COT per bit, 5-bit payloads)
//   m   = trunc(x'·2^(ℓ−3−e), ℓ−3−F)         ∈ [2^F, 2^(F+1)) at scale F = min(s + 1, ⌊(ℓ−6)/2⌋)
//   r   = P(m − 2^F + 1) ≈ 1/m or 1/√m       Horner at scale F
//   out = trunc(r·T[e], G) in Z_2^64, reduced to ℓ, T[e] = 2^(2s−e−F+G) (recip)
//                                              or round(2^(3s/2 − e/2 − F + G)) (rsqrt)
// r's last truncation also extends it to 64 bits (the same COT) so the table keeps full precision
// for every e.
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { addPublic, costOf, ringOf, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { geConstsCostSteps, geConstsTwin, geConstsWith } from './compare.ts';
import { boundSelector, selectorCounts, selectorMulCost, selectorSpec } from './boolean.ts';
import { boundOperand, operandCounts, operandSpec } from './arith.ts';
import { extendTwin, reduceRing, trunc, truncCostSteps, truncCounts, truncSpec } from './trunc.ts';
import { b2a, b2aCost, bitProductCounts, bitProductSpec, lutMul, lutMulCost, type ChooserSpec } from './ot-ops.ts';
import { RECIP, RSQRT, hornerCostSteps, hornerPlan, hornerSecure, hornerSpecCount, hornerTruncCounts, hornerTruncSpecs, hornerTwin, hornerUses, type PolySpec } from './poly.ts';
import { checkInput, type FnParams } from './gelu.ts';
import type { RangeProbe } from '../ranges.ts';

const WIDE = 64;

function plan(p: FnParams, kind: 'recip' | 'rsqrt') {
  const { ell, s } = p;
  // Mantissa scale: s + 1 bits, but no more than the Horner steps have room for in Z_2^ℓ (wide
  // encodings with many fractional bits, e.g. LayerNorm variances at fix<44, 24>: F = 19, a
  // relative precision of 2^-19, below the polynomials' fit error).
  const R = ell - 3, F = Math.min(s + 1, Math.floor((ell - 6) / 2)), G1 = ell - 3 - F;
  if (G1 < 1) throw new RangeError(`${kind}: fix<${ell},${s}> is too narrow`);
  const N = 2 ** Math.ceil(Math.log2(R + 1)), eBits = Math.log2(N);
  const consts = Array.from({ length: R + 1 }, (_, j) => 2 ** j);
  const ring = ringOf(ell), wide = ringOf(WIDE);
  const t1 = Array.from({ length: N }, (_, e) => (e <= R ? 2n ** BigInt(F + G1 - e) : 0n));
  const T1 = ring.wide ? BigUint64Array.from(t1) : Uint32Array.from(t1.map(Number));
  const G2 = kind === 'recip' ? 61 - 2 * s - 1 : Math.floor(60 - 1.5 * s);
  const t2 = Array.from({ length: N }, (_, e) => {
    const ex = kind === 'recip' ? 2 * s - e - F + G2 : 1.5 * s - e / 2 - F + G2;
    return e <= R && ex >= 0 ? BigInt(Math.round(2 ** ex)) : 0n;
  });
  const T2 = BigUint64Array.from(t2);
  const spec: PolySpec = kind === 'recip' ? RECIP : RSQRT;
  return { R, F, G1, G2, N, eBits, consts, T1, T2, spec, hp: hornerPlan(spec, ell, F), ring, wide };
}

/**
 * recip and rsqrt may return another encoding with fewer fractional bits (the `fuse` pass,
 * src/opt/fuse.ts, moves a following conversion in): the last truncation drops the extra bits.
 */
export interface NormParams extends FnParams {
  out?: { ell: number; s: number };
}

/** The last truncation's shift and the output ring. */
function outOf(p: NormParams, G2: number): { t: number; ell: number } {
  const o = p.out ?? { ell: p.ell, s: p.s };
  if (o.s > p.s || o.ell > p.ell || o.ell - o.s > p.ell - p.s || G2 + p.s - o.s > WIDE - 2) throw new RangeError(`recip/rsqrt: cannot return fix<${o.ell},${o.s}> from fix<${p.ell},${p.s}>`);
  return { t: G2 + p.s - o.s, ell: o.ell };
}

/** The correlated OTs of every step after the comparison, prepared in its first flight. */
const normSpecs = (ctx: ProtoCtx, n: number, pl: ReturnType<typeof plan>, p: NormParams): ChooserSpec[] => [
  selectorSpec(n, p.ell, 1), bitProductSpec(ctx, n * pl.R, pl.eBits), truncSpec(ctx, n, pl.G1), operandSpec(ctx, p.ell, n, pl.hp.k, hornerUses(pl.hp)),
  ...hornerTruncSpecs(ctx, n, pl.hp, WIDE), truncSpec(ctx, n, outOf(p, pl.G2).t),
];

async function normRecip(ctx: ProtoCtx, x: RingArray, p: NormParams, kind: 'recip' | 'rsqrt'): Promise<RingArray> {
  const pl = plan(p, kind), { ell } = p, ring = pl.ring, n = x.length, C = pl.R + 1, d = hornerSpecCount(pl.hp);
  const { bits: c, choosers: ch } = await geConstsWith(ctx, x, { ell, consts: pl.consts }, normSpecs(ctx, n, pl, p));
  const c0 = new Uint8Array(n), hi = new Uint8Array(n * pl.R);
  for (let i = 0; i < n; i++) {
    c0[i] = c[i * C];
    for (let j = 1; j <= pl.R; j++) hi[i * pl.R + j - 1] = c[i * C + j];
  }
  const sel = boundSelector(ell, c0, ch[0]);
  // The clamp and the exponent's B2A are independent exchanges: one flight (each sends, then both
  // receive, in this order on both sides).
  const [clamped, eBits] = await Promise.all([sel.mul(ctx, [addPublic(ctx, ring, x, -1)]), b2a(ctx, hi, pl.eBits, ch[1])]);
  const xc = addPublic(ctx, ring, clamped[0], 1);
  const eA = ringOf(pl.eBits).sumLast(eBits, pl.R);
  const idx = Uint32Array.from(eA as Uint32Array);
  const m = await trunc(ctx, await lutMul(ctx, ell, xc, idx, pl.T1), { ell, t: pl.G1 }, ch[2]);
  const u = addPublic(ctx, ring, m, 1 - 2 ** pl.F);
  const op = boundOperand(ctx, ell, n, u, pl.hp.k, ch[3]);
  // r ≈ 1/m or 1/√m > 0, its last truncation extending it to Z_2^64 in the same COT.
  const rw = await hornerSecure(ctx, pl.hp, u, op, undefined, ch.slice(4, 4 + d), WIDE);
  const o = outOf(p, pl.G2);
  const out = await trunc(ctx, await lutMul(ctx, WIDE, rw, idx, pl.T2), { ell: WIDE, t: o.t }, ch[4 + d]);
  return reduceRing(out, WIDE, o.ell);
}

function normCostSteps(b: CostBuilder, n: number, p: NormParams, kind: 'recip' | 'rsqrt'): void {
  const pl = plan(p, kind), { ell } = p;
  const counts = [selectorCounts(n), bitProductCounts(n * pl.R), truncCounts(n), operandCounts(n, ell, pl.hp.k), ...hornerTruncCounts(n, pl.hp), truncCounts(n)];
  geConstsCostSteps(b, n, { ell, consts: pl.consts }, counts);
  b.together(() => {
    selectorMulCost(b, n, ell, 1, true);
    b2aCost(b, n * pl.R, pl.eBits, true);
  });
  lutMulCost(b, n, pl.N, ell);
  truncCostSteps(b, n, { ell, t: pl.G1 }, true);
  hornerCostSteps(b, n, pl.hp, WIDE);
  lutMulCost(b, n, pl.N, WIDE);
  truncCostSteps(b, n, { ell: WIDE, t: outOf(p, pl.G2).t }, true);
}

function normTwin(x: RingArray, p: NormParams, kind: 'recip' | 'rsqrt'): RingArray {
  const pl = plan(p, kind), { ell } = p, ring = pl.ring, n = x.length, C = pl.R + 1;
  const c = geConstsTwin(x, { ell, consts: pl.consts });
  const xc = ring.alloc(n), idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    (xc as Uint32Array)[i] = c[i * C] ? (x as Uint32Array)[i] : (ring.fromSigned([1])[0] as never);
    let e = 0;
    for (let j = 1; j <= pl.R; j++) e += c[i * C + j];
    idx[i] = e;
  }
  const pick = (T: RingArray) => {
    const o = T instanceof BigUint64Array ? new BigUint64Array(n) : new Uint32Array(n);
    for (let i = 0; i < n; i++) (o as Uint32Array)[i] = (T as Uint32Array)[idx[i]];
    return o;
  };
  const m = ring.shr(ring.mul(xc, pick(pl.T1)), pl.G1);
  const u = ring.addScalar(m, 1 - 2 ** pl.F);
  const r = hornerTwin(pl.hp, u);
  const rw = extendTwin(r, { from: ell, to: WIDE, signed: false });
  const o = outOf(p, pl.G2);
  return reduceRing(pl.wide.shr(pl.wide.mul(rw, pick(pl.T2)), o.t), WIDE, o.ell);
}

export const recip = (ctx: ProtoCtx, x: RingArray, p: NormParams) => normRecip(ctx, x, p, 'recip');
export const rsqrt = (ctx: ProtoCtx, x: RingArray, p: NormParams) => normRecip(ctx, x, p, 'rsqrt');
/** recip and rsqrt normalise by the leading one among bits 0..ℓ−3: x ∈ [2^−s, 2^(ℓ−2−s)). */
function checkNormDomain(kind: 'recip' | 'rsqrt', x: RingArray, p: FnParams, probe?: RangeProbe): void {
  checkInput(kind, x, p, { lo: 2 ** -p.s, hi: 2 ** (p.ell - 2 - p.s), hint: `${kind} needs a positive input of at least one ULP (2^-${p.s})${kind === 'rsqrt' ? '; add a positive epsilon to a variance' : ''}, and below the ring's headroom` }, probe);
}

export function recipTwin(x: RingArray, p: NormParams, probe?: RangeProbe): RingArray {
  checkNormDomain('recip', x, p, probe);
  return normTwin(x, p, 'recip');
}
export function rsqrtTwin(x: RingArray, p: NormParams, probe?: RangeProbe): RingArray {
  checkNormDomain('rsqrt', x, p, probe);
  return normTwin(x, p, 'rsqrt');
}
export const recipCost = (n: number, p: NormParams, ot?: OtCostModel): Cost => costOf((b) => normCostSteps(b, n, p, 'recip'), ot);
export const rsqrtCost = (n: number, p: NormParams, ot?: OtCostModel): Cost => costOf((b) => normCostSteps(b, n, p, 'rsqrt'), ot);
