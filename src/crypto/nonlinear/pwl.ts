// Piecewise-linear evaluation by lookup: the low-degree GELU and exp forms (gelu.ts, exp.ts).
//
// Polynomials are cheap in degree but not in bytes: the comparisons over the full ℓ-bit ring
// and the preparation of the variable's bits (16 bytes per IKNP OT per bit) dominate. The low
// forms instead evaluate a line per segment of width δ = 2^−segLog, chosen by a lookup table
// (CrypTFlow2 §2.2 / SIRNN §3 LUTs by 1-out-of-N OT), and run the range comparisons on a
// truncated copy of x in a narrow ring:
//
//   segment index and offset (local, no messages): with x = x0 + x1 mod 2^ℓ and t = s − segLog,
//     idx_P = bits [t, t + log N) of x_P,  u_P = x_P mod 2^t   (integers, u_P < 2^t)
//   then x ≡ 2^t·(idx0 + idx1) + u0 + u1 (mod 2^(t + log N)): the index is floor(x/2^t) mod N, or
//   one less when u0 + u1 ≥ 2^t — the line of segment j is therefore fitted on [jδ, (j+2)δ)
//   (pwl-tables.ts) and evaluated at u = u0 + u1 ∈ [0, 2^(t+1)).
//   line = A[idx] + S[idx]·u in Z_2^ℓ' (ℓ' = s + F + outLog + 2): two 1-of-N OTs, one per
//     direction — party P offers u_P·S[(idx_P + j) mod N] (+ A[...] on the server) for every j and
//     the peer picks j = idx_Q (as `lutMul`, ot-ops.ts). No multiplication protocol.
//   clamp bits: [x ≥ T·2^(s − coarseLog)] for the clamp constants T (one millionaires' run on x,
//     compare.ts; exact), the low threshold at least the second segment (`fullConsts`).
//   result = trunc-and-extend(line, F) back to Z_2^ℓ (one COT), beside the comparison (side.ts).
//
// (The clamps used to compare a coarse copy trunc(x, s − coarseLog) in a narrow ring: fewer bytes,
// but the truncation's round came first and its one-bit error moved each threshold by δ_c.)
import type { OtCostModel } from '../ot/cost.ts';
import { convertWidth } from '../fixed.ts';
import type { RingArray } from '../ring.ts';
import { bitAt, bitsToRing, costOf, isServer, lo32, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from './context.ts';
import { geConstsCostSteps, geConstsTwin, geConstsWith } from './compare.ts';
import { carry, carryCostSteps, trunc, truncCostSteps, truncCounts, truncSpec } from './trunc.ts';
import { lutBoth, lutBothCost, type Chooser } from './ot-ops.ts';
import { selectorCounts, selectorSpec } from './boolean.ts';
import { SideFlow, sideFlights } from './side.ts';
import type { PwlSpec } from './pwl-tables.ts';

export interface PwlPlan {
  spec: PwlSpec;
  ell: number;
  s: number;
  /** Bits below the segment index (t = s − segLog) and log2 N. */
  t: number;
  logN: number;
  /** Coarse truncation and the ring of the clamp comparisons. */
  tc: number;
  lc: number;
  /** Ring of the line values (scale s + F). */
  lp: number;
  /** A[j] = round(a_j·2^(s+F)) + 2^(F−1) (round to nearest after the final shift), S[j]: in Z_2^lp. */
  A: Uint32Array;
  S: Uint32Array;
  consts: number[];
}

const plans = new Map<string, PwlPlan>();

export function pwlPlan(spec: PwlSpec, p: { ell: number; s: number }): PwlPlan {
  const key = `${spec.name}/${p.ell}/${p.s}`;
  const hit = plans.get(key);
  if (hit) return hit;
  const { ell, s } = p, logN = Math.log2(spec.N);
  const t = s - spec.segLog, tc = s - spec.coarseLog, lp = s + spec.F + spec.outLog + 2;
  const what = `${spec.name}: fix<${ell},${s}>`;
  if (!Number.isInteger(logN) || spec.a.length !== spec.N || spec.S.length !== spec.N) throw new RangeError(`${spec.name}: malformed table`);
  if (t < 1 || tc < 1) throw new RangeError(`${what} needs s > ${Math.max(spec.segLog, spec.coarseLog)} (segments of 2^-${spec.segLog})`);
  if (t + logN > ell - 2 || lp > Math.min(32, ell)) throw new RangeError(`${what}: the line ring Z_2^${lp} must fit in min(32, ℓ) and the index below ℓ − 2`);
  const lc = ell - tc;
  if (lc < 8) throw new RangeError(`${what} leaves a ${lc}-bit comparison ring; use a wider ring`);
  const mask = lp === 32 ? 0xffffffff : 2 ** lp - 1;
  const A = Uint32Array.from(spec.a, (a) => (Math.round(a * 2 ** (s + spec.F)) + 2 ** (spec.F - 1)) & mask);
  const S = Uint32Array.from(spec.S, (v) => v & mask);
  const consts = spec.highClamp === undefined ? [spec.lowClamp] : [spec.lowClamp, spec.highClamp];
  const plan = { spec, ell, s, t, logN, tc, lc, lp, A, S, consts };
  plans.set(key, plan);
  return plan;
}

/**
 * This party's segment-index share (the server adds −jLo) and its offset share u_P in Z_2^lp.
 * Locally (x_P ≫ t, x_P mod 2^t) the index may be one less than floor(x / 2^t) (the carry of the
 * low bits), u then 2^t more; given `q`, shares of the exact floor(x / 2^t) (exact mode), the
 * index is q's and u = x − q·2^t: the twin's segment and offset.
 */
function localParts(plan: PwlPlan, x: RingArray, server: boolean, q?: RingArray): { idx: Uint32Array; u: RingArray } {
  const n = x.length, { t, logN, lp } = plan, N = plan.spec.N;
  const idx = new Uint32Array(n), u = ringOf(lp).alloc(n) as Uint32Array;
  if (t + logN > 32) throw new RangeError(`${plan.spec.name}: segment index above bit 32 is not supported`);
  const off = server ? (((-plan.spec.jLo) % N) + N) % N : 0, tMask = 2 ** t - 1, lpMask = lp === 32 ? 0xffffffff : 2 ** lp - 1;
  for (let i = 0; i < n; i++) {
    const v = lo32(x, i); // bits below 32 suffice: t + log N ≤ 32
    if (q) {
      const w = lo32(q, i);
      idx[i] = ((w & (N - 1)) + off) & (N - 1);
      u[i] = ((v - Math.imul(w, 2 ** t)) >>> 0) & lpMask;
    } else {
      idx[i] = (((v >>> t) & (N - 1)) + off) & (N - 1);
      u[i] = (v & tMask) >>> 0;
    }
  }
  return { idx, u };
}

/**
 * Shares of A[idx] + S[idx]·u in Z_2^lp (scale s + F): two 1-of-N lookups, one per direction, in
 * one flight pair. Only meaningful where the clamps select the line (elsewhere idx wraps).
 */
export async function pwlLines(ctx: ProtoCtx, plan: PwlPlan, x: RingArray): Promise<RingArray> {
  const n = x.length, N = plan.spec.N, ring = ringOf(plan.lp), server = isServer(ctx);
  const { idx, u } = localParts(plan, x, server, ctx.exact ? await trunc(ctx, x, { ell: plan.ell, t: plan.t }) : undefined);
  const uu = u as Uint32Array;
  const entries = ring.alloc(n * N) as Uint32Array;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < N; j++) {
      const k = (idx[i] + j) & (N - 1);
      entries[i * N + j] = Math.imul(uu[i], plan.S[k]) + (server ? plan.A[k] : 0);
    }
  }
  ring.reduce(entries);
  return lutBoth(ctx, n, N, plan.lp, entries, idx);
}

export function pwlLinesCostSteps(b: CostBuilder, n: number, plan: PwlPlan): void {
  if (b.exact) truncCostSteps(b, n, { ell: plan.ell, t: plan.t });
  lutBothCost(b, n, plan.spec.N, plan.lp);
}

/** Twin: the line of segment floor(x / 2^t) at u = x mod 2^t (the exact index). */
export function pwlLinesTwin(plan: PwlPlan, x: RingArray): RingArray {
  const { idx, u } = localParts(plan, x, true);
  const ring = ringOf(plan.lp), out = ring.alloc(x.length) as Uint32Array, uu = u as Uint32Array;
  for (let i = 0; i < x.length; i++) out[i] = Math.imul(uu[i], plan.S[idx[i]]) + plan.A[idx[i]];
  return ring.reduce(out);
}

// ---- clamp comparisons ----

/**
 * The clamp thresholds on x itself (raw, Z_2^ℓ): [x ≥ T·2^tc], the coarse grid of the tables. The
 * low one is raised to the second segment when it falls in the lowest: there a segment index one
 * less wraps to the top line (the coarse copy's truncation used to carry the same low bits and
 * clamp those inputs away; the exact comparison does not). Only sigmoid's moves (−7.875 → −7.75).
 */
function fullConsts(plan: PwlPlan): bigint[] {
  const [lo, ...hi] = plan.consts.map((c) => BigInt(c) << BigInt(plan.tc));
  const second = BigInt(plan.spec.jLo + 1) << BigInt(plan.t);
  return [lo > second ? lo : second, ...hi];
}

/** Twin of the clamps: [x ≥ T] for the thresholds (n × C, constants fastest). */
export function pwlClampTwin(plan: PwlPlan, x: RingArray): Bits {
  return geConstsTwin(x, { ell: plan.ell, consts: fullConsts(plan) });
}

// ---- lines and clamps together ----

/**
 * The line of x's segment truncated and extended to Z_2^ℓ (`mid`, scale s), and the clamp bits
 * (n × C): the lookup pair (2 rounds), then one millionaires' run on x (no coarse copy: the
 * comparison is exact, and needs no truncation first) with the line's truncation beside it
 * (side.ts) and `selN` multiplexer slots prepared in its first flight (`sel`, unbound). The
 * caller's multiplexer follows: 2 + the comparison's + 1 rounds (8 with Ferret instead of 12).
 */
export async function pwlClampedLine(ctx: ProtoCtx, plan: PwlPlan, x: RingArray, selN: number): Promise<{ mid: RingArray; bits: Bits; sel: Chooser }> {
  const line = await pwlLines(ctx, plan, x), { ell } = plan, n = x.length;
  const side = new SideFlow(ctx, (sc, ch) => trunc(sc, line, { ell: plan.lp, t: plan.spec.F, to: ell }, ch[0]));
  const { bits, choosers: ch } = await geConstsWith(ctx, x, { ell, consts: fullConsts(plan) }, [truncSpec(ctx, n, plan.spec.F, ell - plan.lp), selectorSpec(selN, ell, 1)], side);
  return { mid: await side.rest(), bits, sel: ch[1] };
}

export function pwlClampedLineCostSteps(b: CostBuilder, n: number, plan: PwlPlan, selN: number): void {
  pwlLinesCostSteps(b, n, plan);
  const side = sideFlights(b, (sb) => truncCostSteps(sb, n, { ell: plan.lp, t: plan.spec.F, to: plan.ell }, true));
  geConstsCostSteps(b, n, { ell: plan.ell, consts: fullConsts(plan) }, [truncCounts(n), selectorCounts(selN)], side);
}

// ---- truncate and extend in one COT ----

export interface TruncExtendParams {
  from: number;
  to: number;
  /** Bits to drop, 1 ≤ t ≤ from − 2. */
  t: number;
}

/**
 * floor(v / 2^t) (or one less) of a signed v in Z_2^from, as shares in Z_2^to (to ≥ from).
 * Requires |v| < 2^(from−2). The known-MSB truncation of arith.ts `trunc` (Cheetah §4.2) with the
 * wrap term computed over Z_2^(to − from + t) instead of Z_2^t, so that the same COT also
 * performs the extension (SIRNN §3.3): y = v + 2^(from−2) has MSB 0, the wrap of y0 + y1 is
 * m0 ∨ m1 = m0 + m1 − m0·m1, and floor(y/2^t) = (y0 ≫ t) + (y1 ≫ t) − wrap·2^(from−t) + carry.
 */
export async function truncExtend(ctx: ProtoCtx, v: RingArray, p: TruncExtendParams): Promise<RingArray> {
  const { from, to, t } = p;
  if (!(to >= from) || t < 1 || t > from - 2) throw new RangeError(`truncExtend: want 1 ≤ t ≤ from − 2 and to ≥ from, got t=${t}, ${from} → ${to}`);
  const rf = ringOf(from), rt = ringOf(to), k = to - from + t, rk = ringOf(k), server = isServer(ctx);
  const B = 1n << BigInt(from - 2);
  const y = server ? rf.addScalar(v, B) : v;
  const m = bitAt(y, from - 1);
  const mm = server ? rk.neg(await ctx.ot.acotSend(k, bitsToRing(rk, m))) : await ctx.ot.acotRecv(k, m);
  const corr = rt.shl(convertWidth(rk.sub(mm, bitsToRing(rk, m)), rk, rt, false), from - t);
  let out = rt.add(convertWidth(rf.shrLogical(y, t), rf, rt, false), corr);
  if (server) out = rt.addScalar(out, BigInt.asUintN(64, -(B >> BigInt(t))));
  if (ctx.exact) out = rt.add(out, await carry(ctx, y, from, t, to)); // exact mode: the dropped carry
  return out;
}

export function truncExtendCostSteps(b: CostBuilder, n: number, p: TruncExtendParams): void {
  if (n > 0) b.otCall('client', b.ot.plan.fcot(n, p.to - p.from + p.t));
  if (b.exact) carryCostSteps(b, n, p.t, p.to);
}

export const truncExtendCost = (n: number, p: TruncExtendParams, ot?: OtCostModel): Cost => costOf((b) => truncExtendCostSteps(b, n, p), ot);

/** Twin: the exact floor, sign-extended. */
export function truncExtendTwin(v: RingArray, p: TruncExtendParams): RingArray {
  const rf = ringOf(p.from);
  return convertWidth(rf.shr(v, p.t), rf, ringOf(p.to), true);
}
