// Exact truncation's extra part (trunc.ts `exact: true`): the carry of the low bits, added in
// arithmetic form, with the wrap bit's product in the same exchange.
//
// floor(y / 2^t) = (y0 ≫ t) + (y1 ≫ t) − w·2^(ℓ−t) + c, where c = [y0 mod 2^t + y1 mod 2^t ≥ 2^t]
// = [y0 mod 2^t > 2^t − 1 − (y1 mod 2^t)] (SIRNN, Rathee et al. S&P 2021, §3.4 "TR"; Huang et al.
// "Cheetah", USENIX Security 2022, §4.2): one t-bit millionaires' (compare.ts) between the server's
// low bits and the client's ¬y1 mod 2^t, then B2A of c (b = b_S + b_C − 2·b_S·b_C, CrypTFlow2 §3.2).
// Both correlated OTs — the wrap bit's m0·m1 over Z_2^t and B2A's c_S·c_C over the output ring —
// are prepared on random choice bits in the millionaires' first flight (no message with a silent
// backend) and their corrections go in one exchange after the tree: rounds = the millionaires'
// + 1. Several shifts of one value (truncMany): one millionaires' run over the n·k carries, each
// shift's low bits zero-extended to the widest shift's (a zero prefix keeps [a > b]).
import type { Ring, RingArray } from '../ring.ts';
import { convertWidth } from '../fixed.ts';
import { bitsToRing, concatRing, isServer, ringOf, type Bits, type CostBuilder, type ProtoCtx } from './context.ts';
import { millionaires, millionairesCost } from './compare.ts';
import { bitProductCounts, bitProductSpec, productsCost, randomFree, type Chooser, type ChooserSpec } from './ot-ops.ts';

/** Shares of m0·m1 over the wrap's ring (when asked) and, per shift, shares of the carry c over `out`. */
export interface ExactParts {
  mm: RingArray | null;
  carries: RingArray[];
}

/** The wrap bit's product riding the carry's exchange: m = msb(y) of this party, its ring, its chooser if prepared ahead. */
export interface WrapProduct {
  m: Bits;
  ring: Ring;
  ch?: Chooser;
}

/**
 * `y`: this party's share in Z_2^ell (the server's already offset by B). `wrap`: the truncation's
 * wrap product m0·m1, computed in the same exchange as B2A (`ch`: its chooser prepared ahead,
 * `truncSpec`; else prepared in the millionaires' first flight).
 */
export async function exactParts(ctx: ProtoCtx, y: RingArray, ell: number, shifts: number[], out: Ring, wrap?: WrapProduct): Promise<ExactParts> {
  const server = isServer(ctx), ring = ringOf(ell), n = y.length, k = shifts.length, T = Math.max(...shifts), wide = ringOf(T);
  // Server: y0 mod 2^t; client: 2^t − 1 − (y1 mod 2^t) = ¬y1 mod 2^t.
  const v = server ? y : ring.sub(ring.addScalar(ring.alloc(n), -1), y);
  const vals = concatRing(wide, shifts.map((t) => convertWidth(convertWidth(v, ring, ringOf(t), false), ringOf(t), wide, false)));
  // The wrap bit m is known now: its chooser is made on it (a silent backend makes it on random
  // bits and binds m at once: startChoosers; both sides' specs chosen alike); B2A's on random bits,
  // bound to c after the tree.
  const wrapSpec: ChooserSpec = { ell: wrap?.ring.ell ?? 1, choices: server || !wrap ? new Uint8Array(0) : wrap.m, peerCount: server ? n : 0, width: 1 };
  const extra = [...(wrap && !wrap.ch ? [wrapSpec] : []), bitProductSpec(ctx, n * k, out.ell)];
  const r = await millionaires(ctx, n * k, 1, T, server ? vals : null, server ? null : vals, extra);
  const wrapCh = wrap ? (wrap.ch ?? r.choosers[0]) : null, b2aCh = r.choosers[r.choosers.length - 1], c = r.gt;
  if (!server) {
    if (wrap?.ch) wrap.ch.bind(wrap.m);
    b2aCh.bind(c);
  }
  // Both products' corrections (and e = b ⊕ r bits) in one exchange: the client chooses with its bits.
  const w = wrap ? wrapCh!.productsSend(ctx, 1, server ? bitsToRing(wrap.ring, wrap.m) : wrap.ring.alloc(0)) : null;
  const b2a = b2aCh.productsSend(ctx, 1, server ? bitsToRing(out, c) : out.alloc(0));
  const wr = w ? await w() : null, p = await b2a();
  const prod = server ? p.asSender : p.asReceiver;
  const cA = out.sub(bitsToRing(out, c), out.add(prod, prod));
  return { mm: wr ? (server ? wr.asSender : wr.asReceiver) : null, carries: shifts.map((_, j) => cA.slice(j * n, (j + 1) * n) as RingArray) };
}

/** Cost steps of `exactParts`; `wrapBits`: the wrap product's ring (0: none), `pooled`: its chooser prepared ahead. */
export function exactPartsCost(b: CostBuilder, n: number, shifts: number[], outEll: number, wrapBits = 0, pooled = false): void {
  const k = shifts.length, T = Math.max(...shifts);
  millionairesCost(b, n * k, 1, T, [...(wrapBits && !pooled ? [{ ...bitProductCounts(n), chosen: true }] : []), bitProductCounts(n * k)]);
  b.together(() => {
    // A chooser made on the real bits announces e = b ⊕ r only with a silent backend (startChoosers).
    if (wrapBits) productsCost(b, wrapBits, 0, n, 1, pooled || randomFree(b.ot));
    productsCost(b, outEll, 0, n * k, 1, true);
  });
}

/**
 * The carry c = [y0 mod 2^t + y1 mod 2^t ≥ 2^t] a faithful truncation drops, alone (for a
 * truncation whose wrap product was already computed, e.g. pwl.ts `truncExtend`): shares in Z_2^outEll.
 * `y` may be x itself or x + 2^(ℓ−2) on the server (the offset's low t bits are 0: same carry).
 * It calls the OT engine, so not inside a side flow (side.ts): run it on the host after the flow.
 */
export async function carry(ctx: ProtoCtx, y: RingArray, ell: number, t: number, outEll: number): Promise<RingArray> {
  return y.length ? (await exactParts(ctx, y, ell, [t], ringOf(outEll))).carries[0] : ringOf(outEll).alloc(0);
}

export function carryCostSteps(b: CostBuilder, n: number, t: number, outEll: number): void {
  if (n > 0) exactPartsCost(b, n, [t], outEll);
}
