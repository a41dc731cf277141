// Reciprocal and reciprocal square root of positive fixed-point values (SIRNN, Rathee et al.
// S&P 2021, §5: normalise by the leading-one position, approximate on [1, 2), rescale).
//
//   c_j = [x ≥ 2^j], j = 0..ℓ−3           one millionaires' run for all ℓ − 2 constants
//   h   = one-hot code of e = ⌊log2 x'⌋     local from the thermometer code c (x' = max(x, 1 ULP))
//   m   = trunc(Σ_e h_e·x'·T1[e], G1)        ∈ [2^F, 2^(F+1)) at scale F = min(s + 1, ⌊(ℓ−6)/2⌋),
//                                          T1[e] = 2^(F+G1−e): one multiplexer exchange
//   r   = P(m − 2^F + 1) ≈ 1/m or 1/√m       Estrin at scale F, its last truncation extending r to Z_2^64
//   out = trunc(Σ_e h_e·r·T2[e], G2) in Z_2^64, reduced to ℓ, T2[e] = 2^(2s−e−F+G2) (recip)
//                                          or round(2^(3s/2 − e/2 − F + G2)) (rsqrt)
// The multiplexers take the place of SIRNN's lookups by the exponent (a B2A of the comparison
// bits, then two 1-of-N OTs each way): one exchange each instead of three flights, since the
// comparison's bits already select e; their correlated OTs, like every later one, are prepared
// in the comparison's first flight. 14 rounds in all. The wide ring keeps T2's precision for every e.
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { addPublic, costOf, isServer, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { geConstsCostSteps, geConstsTwin, geConstsWith } from './compare.ts';
import { boundSelector, selectorCounts, selectorMulCost, selectorSpec } from './boolean.ts';
import { boundOperand, operandCounts, operandSpec } from './operand.ts';
import { extendTwin, reduceRing, trunc, truncCostSteps, truncCounts, truncSpec } from './trunc.ts';
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

/** The correlated OTs of every step after the comparison, prepared in its first flight. */
const normSpecs = (ctx: ProtoCtx, n: number, pl: ReturnType<typeof plan>, p: NormParams): ChooserSpec[] => [
  selectorSpec(n * (pl.R + 2), p.ell, 1), truncSpec(ctx, n, pl.G1), operandSpec(ctx, p.ell, n, pl.hp.k, hornerUses(pl.hp)),
  ...hornerTruncSpecs(ctx, n, pl.hp, WIDE), selectorSpec(n * (pl.R + 2), WIDE, 1), truncSpec(ctx, n, outOf(p, pl.G2).t),
];

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

/** Σ_slots h·v: the selected slot's value (v: this party's shares, n × (C + 1)). */
async function pick(ctx: ProtoCtx, ell: number, h: Bits, ch: Chooser, v: RingArray, C: number): Promise<RingArray> {
  const [prod] = await boundSelector(ell, h, ch).mul(ctx, [v]);
  return ringOf(ell).sumLast(prod, C + 1);
}

/** This party's shares of v·T[e] for every slot (slot 0 is e = 0), n × (C + 1). */
function slots(ring: ReturnType<typeof ringOf>, v: RingArray, T: RingArray, C: number, n: number): RingArray {
  const out = ring.alloc(n * (C + 1));
  for (let j = 0; j <= C; j++) {
    const col = ring.mulScalar(v, T[Math.max(0, j - 1)]);
    for (let i = 0; i < n; i++) (out as Uint32Array)[i * (C + 1) + j] = (col as Uint32Array)[i];
  }
  return out;
}

async function normRecip(ctx: ProtoCtx, x: RingArray, p: NormParams, kind: 'recip' | 'rsqrt'): Promise<RingArray> {
  const pl = plan(p, kind), { ell } = p, ring = pl.ring, n = x.length, C = pl.R + 1, d = hornerSpecCount(pl.hp);
  const { bits: c, choosers: ch } = await geConstsWith(ctx, x, { ell, consts: pl.consts }, normSpecs(ctx, n, pl, p));
  const h = oneHot(c, n, C, isServer(ctx));
  // x'·T1[e] by the one-hot code (x = 0: T1[0], the clamp to x' = 1): one exchange, no lookup.
  const v1 = slots(ring, x, pl.T1, C, n), t0 = isServer(ctx) ? pl.T1[0] : ring.alloc(1)[0];
  for (let i = 0; i < n; i++) (v1 as Uint32Array)[i * (C + 1)] = t0 as number;
  const m = await trunc(ctx, await pick(ctx, ell, h, ch[0], v1, C), { ell, t: pl.G1 }, ch[1]);
  const u = addPublic(ctx, ring, m, 1 - 2 ** pl.F);
  const op = boundOperand(ctx, ell, n, u, pl.hp.k, ch[2]);
  // r ≈ 1/m or 1/√m > 0, its last truncation extending it to Z_2^64 in the same COT.
  const rw = await hornerSecure(ctx, pl.hp, u, op, undefined, ch.slice(3, 3 + d), WIDE);
  const o = outOf(p, pl.G2);
  const out = await trunc(ctx, await pick(ctx, WIDE, h, ch[3 + d], slots(pl.wide, rw, pl.T2, C, n), C), { ell: WIDE, t: o.t }, ch[4 + d]);
  return reduceRing(out, WIDE, o.ell);
}

function normCostSteps(b: CostBuilder, n: number, p: NormParams, kind: 'recip' | 'rsqrt'): void {
  const pl = plan(p, kind), { ell } = p, H = n * (pl.R + 2);
  const counts = [selectorCounts(H), truncCounts(n), operandCounts(n, ell, pl.hp.k), ...hornerTruncCounts(n, pl.hp), selectorCounts(H), truncCounts(n)];
  geConstsCostSteps(b, n, { ell, consts: pl.consts }, counts);
  selectorMulCost(b, H, ell, 1, true);
  truncCostSteps(b, n, { ell, t: pl.G1 }, true);
  hornerCostSteps(b, n, pl.hp, WIDE);
  selectorMulCost(b, H, WIDE, 1, true);
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
