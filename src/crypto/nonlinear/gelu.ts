// GELU (high and low degree) and tanh. High degree and tanh: BOLT's form (Pang et al., "BOLT",
// IEEE S&P 2024, §5.2): an odd/even split around |x| with a polynomial in y = min(|x|, T) and the
// exact function beyond T. Our coefficients and thresholds: poly.ts, docs/approximations.md.
// Low degree: 64 lines on [−4, 4) chosen by lookup, ReLU beyond (pwl.ts, below).
//
// High degree (one millionaires' run for three constants, CrypTFlow2 §3), the chain:
//   [b−, b0, b+] = [x ≥ −T, x ≥ 0, x ≥ T]
//   y = T + b−·(−x − T) + b0·(2x) + b+·(T − x)      (= min(|x|, T); three multiplexers, one exchange)
//   mid = 0.5·x + P(y)                               (Estrin; y's bits prepared once)
//   GELU = b−·mid + b+·(x − mid)                     (x beyond T, 0 below −T; one exchange)
// Every OT after the comparison (both selectors, y's operand, the truncations) is prepared in
// its first flight. 14 rounds (Ferret) / 13 (IKNP) against 9 for the polynomial on both signs
// beside the comparison (sessions 6–7; tanh keeps it, below), for 464 instead of 761 B per
// element (Ferret; IKNP 3.1 vs 4.4 KB): on BERT-base the bytes outweigh the rounds on every
// network profile and backend (docs/nonlinear.md, "GELU's form").
// tanh, beside the comparison (side.ts), the polynomial on both signs (it does not need the
// comparison's bits):
//   mid∓ = P(∓x)                                    (Estrin on 2n values; x's bits prepared once)
//   tanh = ¬b−·(−P(T)) + (b− ⊕ b0)·(−P(−x)) + (b0 ⊕ b+)·P(x) + b+·P(T)
// The candidates of the other sign (and beyond ±T) are garbage, multiplied by 0 (products are
// exact mod 2^ℓ). Equal to the chain y = min(|x|, T), P(y), then the selection, which the twin
// keeps.
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { addPublic, concatRing, costOf, isServer, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { geConstsCostSteps, geConstsTwin, geConstsWith } from './compare.ts';
import { boundSelector, selectorCounts, selectorMulCost, selectorSpec } from './boolean.ts';
import { boundOperand, operandCounts, operandSpec } from './operand.ts';
import { GELU_HI, TANH, hornerCostSteps, hornerPlan, hornerSecure, hornerSpecCount, hornerTruncCounts, hornerTruncSpecs, hornerTwin, hornerUses, type PolySpec } from './poly.ts';
import { SideFlow, sideFlights } from './side.ts';
import { pwlClampedLine, pwlClampedLineCostSteps, pwlClampTwin, pwlLinesTwin, pwlPlan, truncExtendTwin } from './pwl.ts';
import { GELU_PWL, type PwlSpec } from './pwl-tables.ts';
import { checkRange, encName, fmt, realOf, type RangeProbe, type RangeSpec } from '../ranges.ts';

export interface FnParams {
  ell: number;
  s: number;
}

/** Check a function's input (real units) against its domain. */
export function checkInput(name: string, x: RingArray, p: FnParams, dom: Pick<RangeSpec, 'lo' | 'hi' | 'hiIncl' | 'hint'>, probe?: RangeProbe): void {
  checkRange(realOf(ringOf(p.ell).toSigned(x), p.s), { what: `the input of ${name}`, enc: encName(p.ell, p.s), ...dom }, probe, (i) => `element ${i}`);
}

/** GELU and tanh accept any value with the protocols' headroom, |x| < 2^(ℓ−2) raw. */
export function checkHeadroom(name: string, x: RingArray, p: FnParams, probe?: RangeProbe): void {
  const h = 2 ** (p.ell - 2 - p.s);
  checkInput(name, x, p, { lo: -h, hi: h, hint: `values beyond ±${fmt(h)} need a wider ring for ${name}` }, probe);
}

const tRaw = (spec: PolySpec, s: number): number => Math.round(spec.ymax * 2 ** s);

/** y = min(|x|, T) from the three comparison bits (n × 3), as products (for the twin: exact). */
function clampValues(ring: ReturnType<typeof ringOf>, x: RingArray, T: number, serverTerms: boolean): RingArray {
  const n = x.length, v = ring.alloc(3 * n);
  const negx = ring.neg(x), two = ring.add(x, x);
  const a = serverTerms ? ring.addScalar(negx, -T) : negx;
  const c = serverTerms ? ring.addScalar(negx, T) : negx;
  for (let i = 0; i < n; i++) {
    (v as Uint32Array)[3 * i] = (a as Uint32Array)[i];
    (v as Uint32Array)[3 * i + 1] = (two as Uint32Array)[i];
    (v as Uint32Array)[3 * i + 2] = (c as Uint32Array)[i];
  }
  return v;
}

function sum3(ring: ReturnType<typeof ringOf>, p: RingArray): RingArray {
  return ring.sumLast(p, 3);
}

/**
 * tanh's front: beside the comparison (side.ts), the polynomial on both signs at once: mid_∓ = P(∓x),
 * one evaluation on 2n values (P(−x) is x's value for x ∈ [−T, 0), P(x) for x ∈ [0, T);
 * elsewhere garbage that the selection drops). The selection's slots (`slots` per element)
 * and every OT of the side flow are prepared in the comparison's first flight.
 */
async function front(ctx: ProtoCtx, x: RingArray, spec: PolySpec, p: FnParams, slots: number) {
  const ring = ringOf(p.ell), n = x.length, T = tRaw(spec, p.s), plan = hornerPlan(spec, p.ell, p.s), d = hornerSpecCount(plan);
  const specs = [operandSpec(ctx, p.ell, 2 * n, plan.k, hornerUses(plan)), ...hornerTruncSpecs(ctx, 2 * n, plan), selectorSpec(slots * n, p.ell, 1)];
  const side = new SideFlow(ctx, (sc, ch) => {
    const y = concatRing(ring, [ring.neg(x), x]);
    return hornerSecure(sc, plan, y, boundOperand(sc, p.ell, 2 * n, y, plan.k, ch[0]), undefined, ch.slice(1, 1 + d));
  });
  const { bits, choosers: ch } = await geConstsWith(ctx, x, { ell: p.ell, consts: [-T, 0, T] }, specs, side);
  const mid = await side.rest();
  return { bits, sel: ch[ch.length - 1], neg: mid.subarray(0, n) as RingArray, pos: mid.subarray(n) as RingArray, ring, n, plan, T };
}

function frontCost(b: CostBuilder, n: number, spec: PolySpec, p: FnParams, slots: number): void {
  const plan = hornerPlan(spec, p.ell, p.s), T = tRaw(spec, p.s);
  const side = sideFlights(b, (sb) => hornerCostSteps(sb, 2 * n, plan));
  geConstsCostSteps(b, n, { ell: p.ell, consts: [-T, 0, T] }, [operandCounts(2 * n, p.ell, plan.k), ...hornerTruncCounts(2 * n, plan), selectorCounts(slots * n)], side);
  selectorMulCost(b, slots * n, p.ell, 1, true);
}

/** tanh's one-hot codes from [b−, b0, b+] (local XORs): x < −T, [−T, 0), [0, T), ≥ T. */
function bands(bits: Bits, n: number, server: boolean): Bits {
  const h = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    const [bm, b0, bp] = [bits[3 * i], bits[3 * i + 1], bits[3 * i + 2]];
    h[4 * i] = bm ^ (server ? 1 : 0);
    h[4 * i + 1] = bm ^ b0;
    h[4 * i + 2] = b0 ^ bp;
    h[4 * i + 3] = bp;
  }
  return h;
}

function frontTwin(x: RingArray, spec: PolySpec, p: FnParams, withHalfX: boolean) {
  const ring = ringOf(p.ell), n = x.length, T = tRaw(spec, p.s), plan = hornerPlan(spec, p.ell, p.s);
  const bits = geConstsTwin(x, { ell: p.ell, consts: [-T, 0, T] });
  const v = clampValues(ring, x, T, true);
  const prod = ring.alloc(3 * n);
  for (let t = 0; t < 3 * n; t++) if (bits[t]) (prod as Uint32Array)[t] = (v as Uint32Array)[t];
  const y = ring.addScalar(sum3(ring, prod), T);
  const mid = hornerTwin(plan, y, withHalfX ? ring.shl(x, plan.Fz[1] - 1) : undefined);
  return { bits, mid, ring, n };
}

/** [b−, b+] of each element (the chain's last selection), from [b−, b0, b+]. */
function outerBits(bits: Bits, n: number): Bits {
  const h = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) {
    h[2 * i] = bits[3 * i];
    h[2 * i + 1] = bits[3 * i + 2];
  }
  return h;
}

async function geluWith(ctx: ProtoCtx, x: RingArray, spec: PolySpec, p: FnParams): Promise<RingArray> {
  const ring = ringOf(p.ell), n = x.length, T = tRaw(spec, p.s), plan = hornerPlan(spec, p.ell, p.s);
  const specs = [selectorSpec(3 * n, p.ell, 1), selectorSpec(2 * n, p.ell, 1), operandSpec(ctx, p.ell, n, plan.k, hornerUses(plan)), ...hornerTruncSpecs(ctx, n, plan)];
  const { bits, choosers: ch } = await geConstsWith(ctx, x, { ell: p.ell, consts: [-T, 0, T] }, specs);
  const [clamped] = await boundSelector(p.ell, bits, ch[0]).mul(ctx, [clampValues(ring, x, T, isServer(ctx))]);
  const y = addPublic(ctx, ring, sum3(ring, clamped), T);
  const mid = await hornerSecure(ctx, plan, y, boundOperand(ctx, p.ell, n, y, plan.k, ch[2]), ring.shl(x, plan.Fz[1] - 1), ch.slice(3));
  const [prod] = await boundSelector(p.ell, outerBits(bits, n), ch[1]).mul(ctx, [interleave2(ring, mid, ring.sub(x, mid))]);
  return ring.sumLast(prod, 2);
}

function geluTwinWith(x: RingArray, spec: PolySpec, p: FnParams): RingArray {
  const { bits, mid, ring, n } = frontTwin(x, spec, p, true);
  const v = interleave2(ring, mid, ring.sub(x, mid)), prod = ring.alloc(2 * n), outer = outerBits(bits, n);
  for (let t = 0; t < 2 * n; t++) if (outer[t]) (prod as Uint32Array)[t] = (v as Uint32Array)[t];
  return ring.sumLast(prod, 2);
}

function geluCostSteps(b: CostBuilder, n: number, spec: PolySpec, p: FnParams): void {
  const plan = hornerPlan(spec, p.ell, p.s), T = tRaw(spec, p.s);
  geConstsCostSteps(b, n, { ell: p.ell, consts: [-T, 0, T] }, [selectorCounts(3 * n), selectorCounts(2 * n), operandCounts(n, p.ell, plan.k), ...hornerTruncCounts(n, plan)]);
  selectorMulCost(b, 3 * n, p.ell, 1, true);
  hornerCostSteps(b, n, plan);
  selectorMulCost(b, 2 * n, p.ell, 1, true);
}

export const geluHi = (ctx: ProtoCtx, x: RingArray, p: FnParams) => geluWith(ctx, x, GELU_HI, p);
export function geluHiTwin(x: RingArray, p: FnParams, probe?: RangeProbe): RingArray {
  checkHeadroom('gelu_hi', x, p, probe);
  return geluTwinWith(x, GELU_HI, p);
}
export const geluHiCost = (n: number, p: FnParams, ot?: OtCostModel): Cost => costOf((b) => geluCostSteps(b, n, GELU_HI, p), ot);

// ---- low degree: lines by lookup (pwl.ts) ----
//   line  = A[j] + S[j]·u,  j = floor(x/δ) (or one less), δ = 1/8     two 1-of-64 OTs, Z_2^(s+11)
//   [b−, b+] = [x ≥ −3.75, x ≥ 3.75]  (the twin's [⌊x / 2^(s−2)⌋ ≥ ∓15], exactly; ring Z_2^ℓ)
//   mid   = truncExtend(line, 6)                                         beside the comparison (side.ts)
//   GELU  = b−·mid + b+·(x − mid)                                        one selector, one exchange
// b+ = 1 ⇔ x ≥ 3.75 (ReLU off by ≤ 3.3e-4); b− = 0 ⇔ x < −3.75 (0 instead of GELU(x) ≥ −3.4e-4).
// Lines: x ∈ [−3.75, 4).

function interleave2(ring: ReturnType<typeof ringOf>, a: RingArray, b: RingArray): RingArray {
  const n = a.length, v = ring.alloc(2 * n);
  for (let i = 0; i < n; i++) {
    (v as Uint32Array)[2 * i] = (a as Uint32Array)[i];
    (v as Uint32Array)[2 * i + 1] = (b as Uint32Array)[i];
  }
  return v;
}

/**
 * The low forms' blend (pwl.ts): mid = the line of x's segment (one lookup per direction, then
 * truncate-and-extend), and b−·mid + b+·(upper − mid) with the clamp bits [b−, b+]: 0 below the
 * lines, `upper` above them (x for GELU and SiLU, 1 for sigmoid).
 */
export async function pwlBlend(ctx: ProtoCtx, x: RingArray, spec: PwlSpec, p: FnParams, upper: RingArray): Promise<RingArray> {
  const plan = pwlPlan(spec, p), ring = ringOf(p.ell);
  const { mid, bits, sel } = await pwlClampedLine(ctx, plan, x, 2 * x.length);
  const [prod] = await boundSelector(p.ell, bits, sel).mul(ctx, [interleave2(ring, mid, ring.sub(upper, mid))]);
  return ring.sumLast(prod, 2);
}

export function pwlBlendTwin(x: RingArray, spec: PwlSpec, p: FnParams, upper: RingArray): RingArray {
  const plan = pwlPlan(spec, p), ring = ringOf(p.ell), n = x.length;
  const mid = truncExtendTwin(pwlLinesTwin(plan, x), { from: plan.lp, to: p.ell, t: spec.F });
  const bits = pwlClampTwin(plan, x), v = interleave2(ring, mid, ring.sub(upper, mid)), prod = ring.alloc(2 * n);
  for (let k = 0; k < 2 * n; k++) if (bits[k]) (prod as Uint32Array)[k] = (v as Uint32Array)[k];
  return ring.sumLast(prod, 2);
}

export function pwlBlendCostSteps(b: CostBuilder, n: number, spec: PwlSpec, p: FnParams): void {
  pwlClampedLineCostSteps(b, n, pwlPlan(spec, p), 2 * n);
  selectorMulCost(b, 2 * n, p.ell, 1, true);
}

export const geluLo = (ctx: ProtoCtx, x: RingArray, p: FnParams): Promise<RingArray> => pwlBlend(ctx, x, GELU_PWL, p, x);

export function geluLoTwin(x: RingArray, p: FnParams, probe?: RangeProbe): RingArray {
  checkHeadroom('gelu_lo', x, p, probe);
  return pwlBlendTwin(x, GELU_PWL, p, x);
}

export const geluLoCostSteps = (b: CostBuilder, n: number, p: FnParams): void => pwlBlendCostSteps(b, n, GELU_PWL, p);

export const geluLoCost = (n: number, p: FnParams, ot?: OtCostModel): Cost => costOf((b) => geluLoCostSteps(b, n, p), ot);

/** Float reference: the exact GELU, x·Φ(x). */
export function geluRef(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** erf to ~1e-13 (series for |x| < 3, continued fraction beyond). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 3) {
    let term = ax, sum = ax;
    for (let k = 1; k < 200; k++) {
      term *= (-ax * ax) / k;
      const t = term / (2 * k + 1);
      sum += t;
      if (Math.abs(t) < 1e-17) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc continued fraction (Lentz)
    let f = ax, C = ax, D = 0;
    for (let k = 1; k < 200; k++) {
      const a = k / 2;
      D = ax + a * D;
      D = 1 / D;
      C = ax + a / C;
      const del = C * D;
      f *= del;
      if (Math.abs(del - 1) < 1e-16) break;
    }
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

// ---- tanh ----

export async function tanhS(ctx: ProtoCtx, x: RingArray, p: FnParams): Promise<RingArray> {
  const { bits, sel, neg, pos, ring, n, plan, T } = await front(ctx, x, TANH, p, 4);
  // Beyond ±T: ±P(T), public (the twin's value there).
  const pT = hornerTwin(plan, ring.fromSigned([T])), mT = ring.neg(pT), v = ring.alloc(4 * n), server = isServer(ctx);
  const mneg = ring.neg(neg);
  for (let i = 0; i < n; i++) {
    if (server) (v as Uint32Array)[4 * i] = mT[0] as never;
    (v as Uint32Array)[4 * i + 1] = (mneg as Uint32Array)[i];
    (v as Uint32Array)[4 * i + 2] = (pos as Uint32Array)[i];
    if (server) (v as Uint32Array)[4 * i + 3] = pT[0] as never;
  }
  const [prod] = await boundSelector(p.ell, bands(bits, n, server), sel).mul(ctx, [v]);
  return ring.sumLast(prod, 4);
}

export function tanhTwin(x: RingArray, p: FnParams, probe?: RangeProbe): RingArray {
  checkHeadroom('tanh', x, p, probe);
  const { bits, mid, ring, n } = frontTwin(x, TANH, p, false);
  const out = ring.neg(mid);
  for (let i = 0; i < n; i++) if (bits[3 * i + 1]) (out as Uint32Array)[i] = (mid as Uint32Array)[i];
  return out;
}

export const tanhCost = (n: number, p: FnParams, ot?: OtCostModel): Cost => costOf((b) => frontCost(b, n, TANH, p, 4), ot);
