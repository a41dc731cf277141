// OT-level building blocks of the non-linear protocols, each with its cost step. The `Chooser`
// (random OTs keyed on choice bits, correlated products) is in chooser.ts, the one-round `exchange`
// in exchange.ts; both are re-exported here for the protocols that import them from this file.
//
// - `andBits`: AND of XOR-shared bits with correlated OT (ALSZ13 f-COT), one call per direction.
// - `b2a`: boolean → arithmetic with one arithmetic COT (CrypTFlow2, Rathee et al. CCS 2020, §3.2
//   "B2A" in Appendix A / SIRNN §3).
// - `lutBoth`: table lookups by 1-out-of-N OT (CrypTFlow2 §2.2 / SIRNN §3 "LUT"), one per direction:
//   each party offers its N possible outputs masked by its random share; the peer picks with its index.
import type { Party } from '../../transport/channel.ts';
import { msgBytes, ringToMsgs, msgsToRing } from '../ot/bits.ts';
import type { NChoices } from '../ot/types.ts';
import type { Ring, RingArray } from '../ring.ts';
import { bitsToRing, isServer, ringOf, type Bits, type CostBuilder, type ProtoCtx } from './context.ts';
import { exchange } from './exchange.ts';
import { choosersFlight, productsCost, randomFree, startChoosers, type Chooser, type ChooserCounts, type ChooserSpec } from './chooser.ts';

export * from './exchange.ts';
export * from './chooser.ts';

/**
 * a_i ∧ b_{i,w} for w < W (W ≤ 8): `a` has n bits, `b` n·W bits; output n·W bits. Two f-COT
 * calls with W-bit messages: the server sends first (client chooses with a_1), then the client.
 */
export async function andBits(ctx: ProtoCtx, a: Bits, b: Bits, W: number): Promise<Bits> {
  const n = a.length;
  if (W < 1 || W > 8 || b.length !== n * W) throw new RangeError(`andBits: want W in 1..8 and ${n}·W bits, got W=${W}, ${b.length}`);
  const packB = (from: number, m: number): Uint8Array => {
    const out = new Uint8Array(m);
    for (let i = 0; i < m; i++) {
      let v = 0;
      for (let w = 0; w < W; w++) v |= b[(from + i) * W + w] << w;
      out[i] = v;
    }
    return out;
  };
  const out = new Uint8Array(n * W);
  for (let i = 0; i < n; i++) if (a[i]) for (let w = 0; w < W; w++) out[i * W + w] = b[i * W + w];
  const acc = (msgs: Uint8Array) => {
    for (let i = 0; i < n; i++) for (let w = 0; w < W; w++) out[i * W + w] ^= (msgs[i] >>> w) & 1;
  };
  for (const sender of ['server', 'client'] as Party[]) {
    if (n === 0) break;
    if (sender === ctx.party) {
      acc(await ctx.ot.fcotSend(n, W, (x, from) => {
        const pb = packB(from, x.length);
        const m1 = new Uint8Array(x.length);
        for (let i = 0; i < x.length; i++) m1[i] = x[i] ^ pb[i];
        return m1;
      }));
    } else acc(await ctx.ot.fcotRecv(a, W));
  }
  return out;
}

export function andBitsCost(b: CostBuilder, n: number, W: number): void {
  if (n === 0) return;
  b.otCall('client', b.ot.plan.fcot(n, W));
  b.otCall('server', b.ot.plan.fcot(n, W));
}

// ---- products of two private bits (truncation, extension, B2A) ----

/**
 * Shares over `ring` of m_server · m_client for private bits (one COT: the client chooses with
 * its bit, the server's correlation is its bit). `ch`: the COT prepared ahead (`bitProductSpec`),
 * which makes this one exchange; without it, an arithmetic COT (two flights).
 */
export async function bitProduct(ctx: ProtoCtx, ring: Ring, m: Bits, ch?: Chooser): Promise<RingArray> {
  const server = isServer(ctx);
  // With a silent backend a chooser on random bits costs no message: one exchange, not two flights.
  if (!ch && m.length > 0 && randomFree(ctx.ot.cost)) ch = (await (await startChoosers(ctx, [bitProductSpec(ctx, m.length, ring.ell)]))())[0];
  if (ch) {
    if (!server) ch.bind(m);
    const r = await ch.products(ctx, 1, server ? bitsToRing(ring, m) : ring.alloc(0));
    return server ? r.asSender : r.asReceiver;
  }
  return server ? ring.neg(await ctx.ot.acotSend(ring.ell, bitsToRing(ring, m))) : ctx.ot.acotRecv(ring.ell, m);
}

export const bitProductSpec = (ctx: ProtoCtx, n: number, ell: number): ChooserSpec =>
  isServer(ctx) ? { ell, choices: { random: 0 }, peerCount: n, width: 1 } : { ell, choices: { random: n }, peerCount: 0, width: 1 };
export const bitProductCounts = (n: number): ChooserCounts => ({ server: 0, client: n });

export function bitProductCost(b: CostBuilder, n: number, ell: number, pooled: boolean): void {
  if (!pooled && n > 0 && randomFree(b.ot)) {
    choosersFlight(b, [bitProductCounts(n)]);
    pooled = true;
  }
  if (pooled) productsCost(b, ell, 0, n, 1, true);
  else if (n > 0) b.otCall('client', b.ot.plan.fcot(n, ell));
}

// ---- boolean → arithmetic ----

/**
 * Arithmetic shares over Z_2^ell of XOR-shared bits: b = b_S + b_C − 2·b_S·b_C, the product by
 * one COT (`ch`: prepared ahead, `bitProductSpec`).
 */
export async function b2a(ctx: ProtoCtx, bits: Bits, ell: number, ch?: Chooser): Promise<RingArray> {
  const ring = ringOf(ell), n = bits.length;
  const mine = bitsToRing(ring, bits);
  if (n === 0) return mine;
  const prod = await bitProduct(ctx, ring, bits, ch);
  return ring.sub(mine, ring.add(prod, prod));
}

export function b2aCost(b: CostBuilder, n: number, ell: number, pooled = false): void {
  bitProductCost(b, n, ell, pooled);
}

/** Plaintext twin of b2a: the bits as ring elements. */
export function b2aTwin(bits: Bits, ell: number): RingArray {
  return bitsToRing(ringOf(ell), bits);
}

// ---- lookup tables by 1-out-of-N OT ----

/**
 * Two lookups at once, one per direction: this party offers `entries` (n × N, its candidate
 * outputs for each of the peer's N possible indices) and picks with its own `idx` from the peer's.
 * Both parties' OT messages go in one flight and both tables in the next (2 rounds, not 3).
 * Returns this party's share of entries_peer[idx_mine] + entries_mine[idx_peer].
 */
export async function lutBoth(ctx: ProtoCtx, n: number, N: number, outEll: number, entries: RingArray, idx: NChoices): Promise<RingArray> {
  const ring = ringOf(outEll);
  if (n === 0) return ring.alloc(0);
  if (entries.length !== n * N || idx.length !== n) throw new RangeError(`lutBoth: want ${n}·${N} entries and ${n} indices`);
  const reply = await ctx.ot.otNRecvStart(idx, N, outEll);
  // Offer entries masked by this party's random share r (the peer gets entry − r).
  const r = ring.random(n, ctx.prg);
  const masked = ring.alloc(n * N);
  if (masked instanceof Uint32Array) {
    const e = entries as Uint32Array, rr = r as Uint32Array;
    for (let i = 0; i < n; i++) for (let j = 0; j < N; j++) masked[i * N + j] = e[i * N + j] - rr[i];
  } else {
    const e = entries as BigUint64Array, rr = r as BigUint64Array;
    for (let i = 0; i < n; i++) for (let j = 0; j < N; j++) masked[i * N + j] = e[i * N + j] - rr[i];
  }
  await ctx.ot.otNSend(ringToMsgs(ring.reduce(masked), outEll), N, outEll);
  return ring.add(r, msgsToRing(await reply(), n, outEll));
}

export function lutBothCost(b: CostBuilder, n: number, N: number, outEll: number): void {
  if (n === 0) return;
  const p = b.ot.plan.otN(n, N, outEll), sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  b.draw('client', p.cots);
  b.draw('server', p.cots);
  b.exchange(sum(p.receiverToSender), sum(p.receiverToSender));
  b.exchange(sum(p.senderToReceiver), sum(p.senderToReceiver));
}

/**
 * Shares of v_i · T[idx_i] over Z_2^ell, for a public table T (N = 2^m entries) and a secret index
 * idx = idx0 + idx1 mod N: two lookups, one per direction — party P offers v_P·T[(idx_P + j) mod N]
 * for every j and the peer picks j = idx_Q. No multiplication protocol is needed.
 */
export async function lutMul(ctx: ProtoCtx, ell: number, v: RingArray, idx: Uint32Array, table: RingArray): Promise<RingArray> {
  const ring = ringOf(ell), n = v.length, N = table.length;
  const e = ring.alloc(n * N);
  if (e instanceof Uint32Array) {
    const vv = v as Uint32Array, t = table as Uint32Array;
    for (let i = 0; i < n; i++) for (let j = 0; j < N; j++) e[i * N + j] = Math.imul(vv[i], t[(idx[i] + j) % N]);
  } else {
    const vv = v as BigUint64Array, t = table as BigUint64Array;
    for (let i = 0; i < n; i++) for (let j = 0; j < N; j++) e[i * N + j] = vv[i] * t[(idx[i] + j) % N];
  }
  return lutBoth(ctx, n, N, ell, ring.reduce(e), idx);
}

export function lutMulCost(b: CostBuilder, n: number, N: number, ell: number): void {
  lutBothCost(b, n, N, ell);
}

export { msgBytes };
