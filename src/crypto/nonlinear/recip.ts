// Reciprocal and reciprocal square root of positive fixed-point values (SIRNN, Rathee et al.
// S&P 2021, §5: normalise by the leading-one position, approximate on [1, 2), rescale).
//
//   c_j = [x ≥ 2^j], j = 0..R = ℓ−3          one millionaires' run for all ℓ − 2 constants
//   h   = one-hot code of e = ⌊log2 x'⌋     local from the thermometer code c (x' = max(x, 1 ULP))
//   beside the comparison (side.ts), for every octave e = 0..R at once:
//     m_e = ⌊x / 2^(e−F)⌋                    ∈ [2^F, 2^(F+1)) when e is x's octave, at scale
//                                          F = min(s + 1, ⌊(ℓ−6)/2⌋): a left shift for e ≤ F, one
//                                          truncation for all the shifts e − F > 0 (`truncMany`)
//     r_e = P(m_e − 2^F + 1) ≈ 1/m or 1/√m  Estrin at scale F, its last truncation extending to Z_2^64
//     o_e = trunc(r_e·T2[e], G2) in Z_2^64, reduced to ℓ, T2[e] = 2^(2s−e−F+G2) (recip)
//                                          or round(2^(3s/2 − e/2 − F + G2)) (rsqrt)
//   out = Σ_e h_e·o_e                        one multiplexer exchange
// The comparison's bits only select: the candidates of every octave (garbage except x's own,
// multiplied by 0) are computed while the comparison runs, their rounds riding its tables' and tree
// levels' flights. 10 rounds (Ferret and IKNP) instead of 15 / 14 for the chain normalise →
// polynomial → rescale after the comparison; bytes: R + 1 polynomial evaluations per element
// instead of one, on per-row values only (softmax's row sums, LayerNorm's variances). Results
// are those of the chain (the twin is unchanged): m_e = ⌊x·T1[e] / 2^G1⌋ with T1[e] = 2^(F+G1−e).
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { addPublic, costOf, isServer, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { geConstsCostSteps, geConstsTwin, geConstsWith } from './compare.ts';
import { boundSelector, selectorCounts, selectorMulCost, selectorSpec } from './boolean.ts';
import { boundOperand, operandCounts, operandSpec } from './operand.ts';
import { extendTwin, reduceRing, trunc, truncCostSteps, truncCounts, truncMany, truncManyCostSteps, truncSpec } from './trunc.ts';
import { SideFlow, sideFlights } from './side.ts';
import type { Chooser, ChooserSpec } from './ot-ops.ts';
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

/**
 * The candidates' octaves e = 0..R: m_e = x·2^(F−e) for e ≤ F (local), floor(x / 2^(e−F)) for
 * e > F (one truncation by every shift at once, `truncMany`).
 */
const shiftsOf = (pl: ReturnType<typeof plan>): number[] => Array.from({ length: Math.max(0, pl.R - pl.F) }, (_, i) => i + 1);

/** The correlated OTs of the candidates (the side flow) and of the selection, prepared in the comparison's first flight. */
function normSpecs(ctx: ProtoCtx, n: number, pl: ReturnType<typeof plan>, p: NormParams): ChooserSpec[] {
  const N = n * (pl.R + 1), sh = shiftsOf(pl);
  return [
    ...(sh.length ? [truncSpec(ctx, n, sh.length)] : []), operandSpec(ctx, p.ell, N, pl.hp.k, hornerUses(pl.hp)),
    ...hornerTruncSpecs(ctx, N, pl.hp, WIDE), truncSpec(ctx, N, outOf(p, pl.G2).t), selectorSpec(n * (pl.R + 2), outOf(p, pl.G2).ell, 1),
  ];
}

/**
 * XOR shares of the one-hot code of e = ⌊log2 x'⌋ from the comparison bits c_j = [x ≥ 2^j]
 * (a thermometer code), local: slot 0 is ¬c_0 (x = 0, clamped to x' = 1: e = 0), slot j + 1 is
 * c_j ⊕ c_{j+1} (e = j). Exactly one slot per element is set.
 */
function oneHot(c: Bits, n: number, C: number, server: boolean): Bits {
  const h = new Uint8Array(n * (C + 1));
  for (let i = 0; i < n; i++) {
    h[i * (C + 1)] = c[i * C] ^ (server ? 1 : 0);
    for (let j = 0; j < C; j++) h[i * (C + 1) + 1 + j] = c[i * C + j] ^ (j + 1 < C ? c[i * C + j + 1] : 0);
  }
  return h;
}

/** Element-major interleaving of per-column arrays: out[i·K + k] = cols[k][i] (K = cols.length). */
function interleave(ring: ReturnType<typeof ringOf>, cols: RingArray[], n: number): RingArray {
  const K = cols.length, out = ring.alloc(n * K);
  cols.forEach((col, k) => {
    for (let i = 0; i < n; i++) (out as Uint32Array)[i * K + k] = (col as Uint32Array)[i];
  });
  return out;
}

/**
 * The side flow: for every octave e the whole chain as if x were in it — m_e, the polynomial in
 * u_e = m_e − 2^F + 1 (its last truncation extending to Z_2^64), the rescaling r_e·T2[e] and its
 * truncation — on n·(R + 1) values at once. Candidates of the other octaves are garbage (their
 * u_e lies outside the fit, their products wrap); the selection multiplies them by 0.
 */
async function candidates(ctx: ProtoCtx, x: RingArray, p: NormParams, pl: ReturnType<typeof plan>, ch: Chooser[]): Promise<RingArray> {
  const { ell } = p, ring = pl.ring, n = x.length, sh = shiftsOf(pl), d = hornerSpecCount(pl.hp), o = outOf(p, pl.G2);
  const [cut, rest] = sh.length ? [await truncMany(ctx, x, ell, sh, ch[0]), ch.slice(1)] : [[], ch];
  const m = interleave(ring, Array.from({ length: pl.R + 1 }, (_, e) => (e <= pl.F ? ring.shl(x, pl.F - e) : cut[e - pl.F - 1])), n);
  const u = addPublic(ctx, ring, m, 1 - 2 ** pl.F), N = u.length;
  const rw = await hornerSecure(ctx, pl.hp, u, boundOperand(ctx, ell, N, u, pl.hp.k, rest[0]), undefined, rest.slice(1, 1 + d), WIDE);
  const t2 = new BigUint64Array(N);
  for (let i = 0; i < N; i++) t2[i] = pl.T2[i % (pl.R + 1)];
  return reduceRing(await trunc(ctx, pl.wide.mul(rw, t2), { ell: WIDE, t: o.t }, rest[1 + d]), WIDE, o.ell);
}

// The comparison's bits select; everything else runs beside it (side.ts): the candidates of every
// octave ride the comparison's rounds and the rest follow, then one multiplexer picks e's.
async function normRecip(ctx: ProtoCtx, x: RingArray, p: NormParams, kind: 'recip' | 'rsqrt'): Promise<RingArray> {
  const pl = plan(p, kind), { ell } = p, n = x.length, C = pl.R + 1, o = outOf(p, pl.G2), ro = ringOf(o.ell), server = isServer(ctx);
  const side = new SideFlow(ctx, (sc, ch) => candidates(sc, x, p, pl, ch));
  const { bits: c, choosers: ch } = await geConstsWith(ctx, x, { ell, consts: pl.consts }, normSpecs(ctx, n, pl, p), side);
  const h = oneHot(c, n, C, server), cand = await side.rest();
  // Slot 0 (x = 0, clamped to x' = 1 ULP): the function's value there, a public constant.
  const clamp = server ? normTwin(pl.ring.fromSigned([1]), p, kind)[0] : ro.alloc(1)[0];
  const v = ro.alloc(n * (C + 1));
  for (let i = 0; i < n; i++) {
    (v as Uint32Array)[i * (C + 1)] = clamp as number;
    for (let e = 0; e < C; e++) (v as Uint32Array)[i * (C + 1) + 1 + e] = (cand as Uint32Array)[i * C + e];
  }
  const [prod] = await boundSelector(o.ell, h, ch[ch.length - 1]).mul(ctx, [v]);
  return ro.sumLast(prod, C + 1);
}

function normCostSteps(b: CostBuilder, n: number, p: NormParams, kind: 'recip' | 'rsqrt'): void {
  const pl = plan(p, kind), { ell } = p, H = n * (pl.R + 2), N = n * (pl.R + 1), sh = shiftsOf(pl), o = outOf(p, pl.G2);
  const counts = [...(sh.length ? [truncCounts(n)] : []), operandCounts(N, ell, pl.hp.k), ...hornerTruncCounts(N, pl.hp), truncCounts(N), selectorCounts(H)];
  const side = sideFlights(b, (s) => {
    if (sh.length) truncManyCostSteps(s, n, ell, sh, true);
    hornerCostSteps(s, N, pl.hp, WIDE);
    truncCostSteps(s, N, { ell: WIDE, t: o.t }, true);
  });
  geConstsCostSteps(b, n, { ell, consts: pl.consts }, counts, side);
  selectorMulCost(b, H, o.ell, 1, true);
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
