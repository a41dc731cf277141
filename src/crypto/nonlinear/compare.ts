// Secure comparison: the millionaires' protocol and DReLU / MSB on top of it.
//
// Millionaires' (Rathee et al., "CrypTFlow2", CCS 2020, §3.1, Algorithm 1): the server holds
// a (several values a_c per element, all compared with the same client value b), the client b.
// Split into digits of m bits; per digit one 1-out-of-2^m OT in which the server offers, for every
// possible client digit v, its random shares XOR ([a_j > v], [a_j = v]) for every c — so C
// comparisons against the same b share one OT (messages of 2C bits). The digit results are
// combined in a log-depth tree: gt = gt_hi ⊕ (eq_hi ∧ gt_lo), eq = eq_hi ∧ eq_lo, where both ANDs
// of a node share the operand eq_hi and go in one correlated OT with 2-bit messages.
//
// Rounds: the leaves' OT messages of every digit width go in one flight with both parties'
// preparation of the tree's correlated OTs, made on random choice bits (ot-ops.ts, `Chooser`,
// Beaver's derandomisation); then the server's leaf tables; then each tree level is one exchange
// (each side's e = b ⊕ r bits and corrections at once): 2 + ⌈log2 q⌉ rounds for q digits.
// Callers may prepare more choosers in the first flight (`extra`, e.g. the multiplexer that
// consumes the result), so they cost no round of their own.
//
// DReLU (CrypTFlow2 §3.2, Algorithm 2): MSB(x) = msb(x0) ⊕ msb(x1) ⊕ carry, carry =
// [x0 mod 2^(ℓ−1) + x1 mod 2^(ℓ−1) ≥ 2^(ℓ−1)] = [x0' > 2^(ℓ−1) − 1 − x1'], one millionaires' on
// ℓ − 1 bits. Comparing x against several public constants T_c costs one set of leaf OTs.
import type { Party } from '../../transport/channel.ts';
import type { RingArray } from '../ring.ts';
import { bitsOf, costOf, isServer, ringOf, type Bits, type Cost, type CostBuilder, type CostFlight, type ProtoCtx } from './context.ts';
import { andBits, andBitsCost, choosersFlight, productsCost, startChoosers, type Chooser, type ChooserCounts, type ChooserSpec } from './ot-ops.ts';
import { cotUnitBytes, otCost, type MessagePlan, type OtCostModel } from '../ot/cost.ts';
import { sideRest, withSide, type SideCost, type SideFlow } from './side.ts';
import { chooseLeaves, digitsOf, sendLeaves, serverLeaves, widthGroups, type LeafRoles } from './compare-leaves.ts';
import { checkRange, encName, fmt, realOf, type RangeProbe } from '../ranges.ts';

/**
 * Tree levels a comparison may use (rounds: 2 + levels) with IKNP and with a silent backend.
 * IKNP: 8-bit digits for 31-bit values (≈ +8 % bytes against 6-bit digits with three levels;
 * bench/schedule reports the trade). Ferret (≈ 0.18 B per chosen COT): the leaves' payload
 * 2^d·2C bits per digit is nearly all, so three levels (4-bit digits) send ≈ 40 B instead of
 * ≈ 230 B per comparison, for one round more (docs/nonlinear.md, "Comparison digits by backend").
 */
export const COMPARISON = { treeLevels: 2, silentTreeLevels: 3 };

const treeDepth = (q: number): number => Math.ceil(Math.log2(Math.max(1, q)));

/**
 * Digit sizes (least significant first) for `bits`-bit comparisons, C per client value: the
 * cheapest in bytes on `ot`'s backend (a d-bit leaf: d chosen COTs + 2^d·2C bits; a tree AND: two
 * random COTs + ≈ 4 bits) among plans with at most `maxLevels` tree levels (else the fewest).
 */
export function digitPlan(bits: number, C: number, ot: OtCostModel = otCost, maxLevels?: number): number[] {
  const unit = cotUnitBytes(ot), cap = maxLevels ?? (unit.batch ? COMPARISON.silentTreeLevels : COMPARISON.treeLevels);
  const andBytes = 2 * unit.random + 0.5;
  let best: number[] = [], bestCost = Infinity, bestLevels = Infinity;
  for (let m = 2; m <= 8; m++) {
    const ds: number[] = [];
    for (let b = 0; b < bits; b += m) ds.push(Math.min(m, bits - b));
    let cost = ds.reduce((s, d) => s + unit.chosen * d + (2 ** d * 2 * C) / 8, 0);
    for (let q = ds.length; q > 1; q = Math.ceil(q / 2)) cost += Math.floor(q / 2) * C * andBytes;
    const levels = Math.max(cap, treeDepth(ds.length));
    if (levels < bestLevels || (levels === bestLevels && cost < bestCost)) [best, bestCost, bestLevels] = [ds, cost, levels];
  }
  return best;
}

/** The tree's levels: AND nodes per level (× n·C) and whether they also carry eq (width 2). */
function treeLevels(q: number): { pairs: number; width: number }[] {
  const out: { pairs: number; width: number }[] = [];
  for (let g = q; g > 1; g = Math.ceil(g / 2)) out.push({ pairs: Math.floor(g / 2), width: g <= 2 ? 1 : 2 });
  return out;
}

/** The tree's choosers (random choice bits, one per level) followed by the caller's `extra`. */
const treeSpecs = (nc: number, q: number, extra: ChooserSpec[]): ChooserSpec[] => [
  ...treeLevels(q).map((l) => ({ ell: 1, choices: { random: l.pairs * nc }, peerCount: l.pairs * nc, width: l.width })),
  ...extra,
];

/**
 * XOR shares of [a_{i,c} > b_i] on `bits`-bit unsigned values (n × C outputs, element-major).
 * The server passes a (n·C values, c fastest) and b = null; the client a = null and b (n values):
 * the server sends every leaf table (`millionairesSplit` shares the role).
 * `extra` choosers are prepared in the first flight and returned.
 */
export async function millionaires(ctx: ProtoCtx, n: number, C: number, bits: number, a: RingArray | null, b: RingArray | null, extra: ChooserSpec[] = [], side?: SideFlow<unknown>): Promise<{ gt: Bits; choosers: Chooser[] }> {
  if (isServer(ctx)) {
    if (!a || a.length !== n * C) throw new RangeError(`millionaires: the server needs ${n}·${C} values`);
    return millionairesSplit(ctx, n, C, bits, { h: n, send: a, recv: a.subarray(0, 0) }, extra, side);
  }
  if (!b || b.length !== n) throw new RangeError(`millionaires: the client needs ${n} values`);
  return millionairesSplit(ctx, n, C, bits, { h: n, send: b.subarray(0, 0), recv: b }, extra, side);
}

/**
 * `millionaires` with split roles (compare-leaves.ts): for elements [0, h) the server holds a and
 * the client b, for [h, n) the client holds a and the server b; gt is [a > b] either way.
 */
export async function millionairesSplit(ctx: ProtoCtx, n: number, C: number, bits: number, roles: LeafRoles, extra: ChooserSpec[] = [], side?: SideFlow<unknown>): Promise<{ gt: Bits; choosers: Chooser[] }> {
  const plan = digitPlan(bits, C, ctx.ot.cost), q = plan.length, { h } = roles;
  const server = isServer(ctx), [s0, s1] = server ? [0, h] : [h, n];
  if (!(h >= 0 && h <= n) || roles.send.length !== (s1 - s0) * C || roles.recv.length !== n - (s1 - s0)) {
    throw new RangeError(`millionaires: the ${ctx.party} needs ${s1 - s0}·${C} values as leaf sender and ${n - (s1 - s0)} as chooser`);
  }
  // Leaves: gt[j], eq[j] as n·C bit arrays.
  const gt: Bits[] = plan.map(() => new Uint8Array(n * C)), eq: Bits[] = plan.map(() => new Uint8Array(n * C));
  const specs = treeSpecs(n * C, q, extra);
  // First flight: this party's leaf choices and choosers' receiver halves; then its leaf tables.
  const reading = await chooseLeaves(ctx, plan, bits, C, server ? h : 0, roles.recv, gt, eq);
  const finish = await startChoosers(ctx, specs);
  await sendLeaves(ctx, plan, bits, C, s0, roles.send, gt, eq);
  const choosers = await finish();
  // The side flow's first round goes with the leaf tables (side.ts).
  side?.begin(choosers.slice(specs.length - extra.length));
  const sideRecv = await side?.send();
  await reading();
  await sideRecv?.();
  // Tree: combine (lo = 2t, hi = 2t + 1) at each level; the final node needs no eq.
  // gt = gt_hi ⊕ (eq_hi ∧ gt_lo), eq = eq_hi ∧ eq_lo: one AND with the choice eq_hi, two bits.
  let G = gt, E = eq;
  for (const [lv, { pairs, width: Wn }] of treeLevels(q).entries()) {
    const m = n * C;
    const aa = new Uint8Array(pairs * m), bb = ringOf(1).alloc(pairs * m * Wn) as Uint32Array;
    for (let p = 0; p < pairs; p++) {
      aa.set(E[2 * p + 1], p * m);
      const gl = G[2 * p], el = E[2 * p];
      if (Wn === 1) bb.set(gl, p * m);
      else {
        for (let t = 0, at = p * m * 2; t < m; t++, at += 2) {
          bb[at] = gl[t];
          bb[at + 1] = el[t];
        }
      }
    }
    const fin = choosers[lv].bind(aa).productsSend(ctx, Wn, bb);
    const sideRecv = await side?.send();
    const { asSender, asReceiver } = await fin();
    await sideRecv?.();
    const NG: Bits[] = [], NE: Bits[] = [], S = asSender as Uint32Array, R = asReceiver as Uint32Array;
    for (let p = 0; p < pairs; p++) {
      const g = new Uint8Array(m), gh = G[2 * p + 1];
      for (let t = 0, at = p * m * Wn; t < m; t++, at += Wn) g[t] = gh[t] ^ (aa[p * m + t] & bb[at]) ^ S[at] ^ R[at];
      NG.push(g);
      if (Wn === 1) continue; // the last level: gt only
      const e = new Uint8Array(m);
      for (let t = 0, at = p * m * 2 + 1; t < m; t++, at += 2) e[t] = (aa[p * m + t] & bb[at]) ^ S[at] ^ R[at];
      NE.push(e);
    }
    if (G.length % 2) {
      NG.push(G[G.length - 1]);
      NE.push(E[E.length - 1]);
    }
    G = NG;
    E = NE;
  }
  return { gt: G[0], choosers: choosers.slice(specs.length - extra.length) };
}

/**
 * Flights of `millionaires` (the caller's `extra` choosers are prepared in the first one); `h`:
 * the elements whose leaf tables the server sends (`millionairesSplit`; the client sends the rest).
 */
export function millionairesCost(b: CostBuilder, n: number, C: number, bits: number, extra: ChooserCounts[] = [], side?: CostFlight[], h = n): void {
  const plan = digitPlan(bits, C, b.ot), nc = n * C, groups = widthGroups(plan);
  const leaves = (m: number) => (m > 0 ? groups.map(({ d, idx }) => b.ot.plan.otN(m * idx.length, 1 << d, 2 * C)) : []);
  const byServer = leaves(h), byClient = leaves(n - h);
  for (const l of byServer) b.draw('client', l.cots);
  for (const l of byClient) b.draw('server', l.cots);
  const prep = choosersFlight(b, [...treeLevels(plan.length).map((l) => ({ server: l.pairs * nc, client: l.pairs * nc })), ...extra]);
  const sum = (ls: MessagePlan[], f: 'receiverToSender' | 'senderToReceiver') => ls.reduce((s, l) => s + l[f].reduce((x, y) => x + y, 0), 0);
  b.exchange(prep.c2s + sum(byServer, 'receiverToSender'), prep.s2c + sum(byClient, 'receiverToSender'));
  withSide(b, side, 0, () => b.exchange(sum(byClient, 'senderToReceiver'), sum(byServer, 'senderToReceiver')));
  for (const [i, l] of treeLevels(plan.length).entries()) withSide(b, side, i + 1, () => productsCost(b, 1, l.pairs * nc, l.pairs * nc, l.width, true));
}

/** Rounds of a millionaires' run that carry a side flow's rounds (the tables' and each tree level's). */
export const millionairesSideSlots = (C: number, bits: number, ot: OtCostModel): number => 1 + treeLevels(digitPlan(bits, C, ot).length).length;

// ---- DReLU against public constants ----

export interface GeConstParams {
  ell: number;
  /** Public constants T_c as raw ring integers (signed). */
  consts: (number | bigint)[];
}

/**
 * XOR shares of [x_i − T_c ≥ 0] (signed, in Z_2^ell; n × C, c fastest): DReLU of x − T_c for all
 * constants with one millionaires' run. `consts = [0]` is DReLU(x).
 */
export async function geConsts(ctx: ProtoCtx, x: RingArray, p: GeConstParams): Promise<Bits> {
  return (await geConstsWith(ctx, x, p)).bits;
}

/**
 * geConsts, with `extra` choosers prepared in its first flight (e.g. the multiplexer that uses
 * the result: made on random bits, bound to the result with `bind`).
 */
export async function geConstsWith(ctx: ProtoCtx, x: RingArray, p: GeConstParams, extra: ChooserSpec[] = [], side?: SideFlow<unknown>): Promise<{ bits: Bits; choosers: Chooser[] }> {
  const { ell, consts } = p, ring = ringOf(ell), n = x.length, C = consts.length;
  // Balanced roles (compare-leaves.ts): each party is the leaf sender for half the elements. The
  // leaf sender's shares are y_c = x − T_c (the peer's share of x − T_c is its share of x), the
  // chooser's value 2^(ℓ−1) − 1 − (x mod 2^(ℓ−1)) = the low ℓ − 1 bits of ¬x = −1 − x.
  const server = isServer(ctx), h = serverLeaves(n), [s0, s1] = server ? [0, h] : [h, n];
  const xs = x.subarray(s0, s1), xr = server ? x.subarray(h, n) : x.subarray(0, h), ns = s1 - s0;
  const y = ring.alloc(ns * C) as Uint32Array;
  for (let c = 0; c < C; c++) {
    const yc = ring.addScalar(xs, BigInt.asUintN(64, -BigInt(consts[c]))) as Uint32Array;
    for (let i = 0; i < ns; i++) y[i * C + c] = yc[i];
  }
  const bv = ring.sub(ring.addScalar(ring.alloc(xr.length), -1), xr);
  const { gt: carry, choosers } = await millionairesSplit(ctx, n, C, ell - 1, { h, send: y, recv: bv }, extra, side);
  // MSB(x − T_c) = msb(y_c) ⊕ msb(the peer's share of x) ⊕ carry; the server adds 1 (DReLU = ¬MSB).
  const topY = bitsOf(ring.shrLogical(y, ell - 1), 1), topX = bitsOf(ring.shrLogical(xr, ell - 1), 1), one = server ? 1 : 0;
  const out = new Uint8Array(n * C);
  for (let t = 0, o = s0 * C; t < ns * C; t++, o++) out[o] = topY[t] ^ carry[o] ^ one;
  for (let i = 0, r0 = server ? h : 0; i < xr.length; i++) for (let c = 0, o = (r0 + i) * C; c < C; c++, o++) out[o] = topX[i] ^ carry[o] ^ one;
  return { bits: out, choosers };
}

/** `side`: a side flow's exchanges (side.ts); those the comparison has no round for follow it. */
export function geConstsCostSteps(b: CostBuilder, n: number, p: GeConstParams, extra: ChooserCounts[] = [], side?: SideCost): void {
  millionairesCost(b, n, p.consts.length, p.ell - 1, extra, side, serverLeaves(n));
  sideRest(b, side, millionairesSideSlots(p.consts.length, p.ell - 1, b.ot));
}

export const geConstsCost = (n: number, p: GeConstParams, ot?: OtCostModel): Cost => costOf((b) => geConstsCostSteps(b, n, p), ot);

/** Twin: [signed(x − T_c) ≥ 0] on the opened values. */
export function geConstsTwin(x: RingArray, p: GeConstParams): Bits {
  const ring = ringOf(p.ell), C = p.consts.length, out = new Uint8Array(x.length * C);
  for (let c = 0; c < C; c++) {
    const d = ring.toSigned(ring.addScalar(x, BigInt.asUintN(64, -BigInt(p.consts[c]))));
    for (let i = 0; i < x.length; i++) out[i * C + c] = d[i] >= 0 ? 1 : 0;
  }
  return out;
}

// ---- comparisons of two secret values ----

export interface CmpParams {
  ell: number;
  /** Fixed-point scale of the operands (for messages in real units; 0 for rings and integers). */
  s?: number;
}

/** gt_ss: [a > b] = DReLU(a − b − 1) on the ring difference (signed). */
export async function gtSS(ctx: ProtoCtx, a: RingArray, b: RingArray, p: CmpParams): Promise<Bits> {
  return geConsts(ctx, ringOf(p.ell).sub(a, b), { ell: p.ell, consts: [1] });
}

/** lt_ss: [a < b] = gt_ss(b, a). */
export async function ltSS(ctx: ProtoCtx, a: RingArray, b: RingArray, p: CmpParams): Promise<Bits> {
  return gtSS(ctx, b, a, p);
}

export const cmpCost = (n: number, p: CmpParams, ot?: OtCostModel): Cost => geConstsCost(n, { ell: p.ell, consts: [1] }, ot);

/**
 * Twin of gt_ss: signed(a − b mod 2^ℓ) > 0. Equals a > b when the difference fits the ring,
 * |a − b| < 2^(ℓ−1) (raw), which it checks.
 */
export function gtTwin(a: RingArray, b: RingArray, p: CmpParams, probe?: RangeProbe): Bits {
  const ring = ringOf(p.ell);
  checkDifference(ring, a, b, p, 'the difference of the compared values', probe);
  return geConstsTwin(ring.sub(a, b), { ell: p.ell, consts: [1] });
}

export function ltTwin(a: RingArray, b: RingArray, p: CmpParams, probe?: RangeProbe): Bits {
  return gtTwin(b, a, p, probe);
}

/** Comparisons work on the ring difference: it must not wrap, |a − b| < 2^(ℓ−1) (raw). */
export function checkDifference(ring: ReturnType<typeof ringOf>, a: RingArray, b: RingArray, p: CmpParams, what: string, probe?: RangeProbe): void {
  const s = p.s ?? 0, sa = ring.toSigned(a), sb = ring.toSigned(b), d = new Float64Array(a.length);
  for (let i = 0; i < d.length; i++) d[i] = sa[i] - sb[i];
  const h = 2 ** (p.ell - 1 - s);
  checkRange(realOf(d, s), { what, enc: s ? encName(p.ell, s) : encName(p.ell), lo: -h, hi: h, widen: { ell: p.ell, s } }, probe,
    (i) => `element ${i}: ${fmt(sa[i] * 2 ** -s)} vs ${fmt(sb[i] * 2 ** -s)}`);
}

// ---- equality ----

/**
 * XOR shares of [u_i = v_i] on `bits`-bit values, the server holding u, the client v (CrypTFlow2
 * §3.1's leaves and tree with the equality bits only): per digit one 1-of-2^m OT whose messages
 * are the server's masked [u_digit = j], then a log-depth AND tree (one bit per message).
 */
export async function equalBits(ctx: ProtoCtx, n: number, bits: number, u: RingArray | null, v: RingArray | null): Promise<Bits> {
  const plan = digitPlan(bits, 0.5), q = plan.length, server = isServer(ctx);
  const eq: Bits[] = plan.map(() => new Uint8Array(n));
  if (server) {
    if (!u || u.length !== n) throw new RangeError(`equality: the server needs ${n} values`);
    const ud = digitsOf(u, bits, plan);
    for (let j = 0; j < q; j++) eq[j] = ctx.prg.bytes(n).map((b) => b & 1);
    for (const { d, idx } of widthGroups(plan)) {
      const N = 1 << d, msgs = new Uint8Array(n * idx.length * N);
      let o = 0;
      for (let i = 0; i < n; i++) for (const j of idx) for (let w = 0; w < N; w++) msgs[o++] = (ud[j][i] === w ? 1 : 0) ^ eq[j][i];
      await ctx.ot.otNSend(msgs, N, 1);
    }
  } else {
    if (!v || v.length !== n) throw new RangeError(`equality: the client needs ${n} values`);
    const vd = digitsOf(v, bits, plan);
    for (const { d, idx } of widthGroups(plan)) {
      const ch = new Uint8Array(n * idx.length);
      for (let i = 0; i < n; i++) idx.forEach((j, k) => (ch[i * idx.length + k] = vd[j][i]));
      const got = await ctx.ot.otNRecv(ch, 1 << d, 1);
      for (let i = 0; i < n; i++) idx.forEach((j, k) => (eq[j][i] = got[i * idx.length + k] & 1));
    }
  }
  let E = eq;
  while (E.length > 1) {
    const pairs = Math.floor(E.length / 2);
    const aa = new Uint8Array(pairs * n), bb = new Uint8Array(pairs * n);
    for (let p = 0; p < pairs; p++) {
      aa.set(E[2 * p], p * n);
      bb.set(E[2 * p + 1], p * n);
    }
    const prod = await andBits(ctx, aa, bb, 1);
    const next: Bits[] = [];
    for (let p = 0; p < pairs; p++) next.push(prod.slice(p * n, (p + 1) * n));
    if (E.length % 2) next.push(E[E.length - 1]);
    E = next;
  }
  return E[0];
}

export function equalBitsCost(b: CostBuilder, n: number, bits: number): void {
  const plan = digitPlan(bits, 0.5);
  for (const { d, idx } of widthGroups(plan)) b.otCall('client', b.ot.plan.otN(n * idx.length, 1 << d, 1));
  for (let q = plan.length; q > 1; q = Math.ceil(q / 2)) andBitsCost(b, Math.floor(q / 2) * n, 1);
}

/** eq_ss: [a = b] for secret a, b: the server's share of a − b against the negated client share. */
export async function eqSS(ctx: ProtoCtx, a: RingArray, b: RingArray, p: CmpParams): Promise<Bits> {
  const ring = ringOf(p.ell), x = ring.sub(a, b), n = x.length;
  return isServer(ctx) ? equalBits(ctx, n, p.ell, x, null) : equalBits(ctx, n, p.ell, null, ring.neg(x));
}

export const eqCost = (n: number, p: CmpParams, ot?: OtCostModel): Cost => costOf((b) => equalBitsCost(b, n, p.ell), ot);

/** Twin of eq_ss: equality of the ring elements (exact: no precondition). */
export function eqTwin(a: RingArray, b: RingArray): Bits {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] === b[i] ? 1 : 0;
  return out;
}

export type { Party };
