// Routing by destinations computed beforehand (docs/cipherprune.md, "Routing by given
// destinations"): compact_dest computes compact's destinations (route.ts, step 1) as secret
// integers, which other ops may route in turn (GPT-2 partitions them into its [high | low] row
// order); route_to shuffles rows with given destinations and opens them (route.ts, steps 2–3).
// As the destinations exist before route_to starts, its perm-and-share message goes out at once
// and the GGM correlation's OTs run beside it: four rounds instead of compact's six.
//
// route_to's messages (n ≥ 2, k ≥ 1; h = ⌈log2 n⌉, M the rows with their destinations):
//   1 client: M (perm-and-share, π_S); server: its random-OT message (choices among the level
//     sums of the client's trees)
//   2 client: its random-OT message, the level sums of its trees
//   3 server: the level sums of its trees, M (perm-and-share, π_C), its destination shares
//   4 client: its destination shares
import { BitSelector } from '../nonlinear/boolean.ts';
import { isServer, type Bits, type CostBuilder, type ProtoCtx } from '../nonlinear/context.ts';
import { b2a, b2aCost, Chooser, padsToRing, productsCost } from '../nonlinear/ot-ops.ts';
import { depth, punctureChoices, puncturedTrees, senderTrees } from './ggm.ts';
import { Layout, wordsPerRow, type BlockSpec } from './layout.ts';
import { isPermutation, randomPermutation } from './perm.ts';
import { checkRange, type RangeProbe } from '../ranges.ts';
import { receiverCorrelation, receiverOutput, senderCorrelation, senderMessage } from './perm-share.ts';
import { checkBytes, chosenKeys, DEST, destinationTerms, KEY_BYTES, offerKeys, place, ring32, unpackDest, type RouteOptions } from './route.ts';

/** compact's destinations for a mask with t set bits: set rows to 0..t−1, the others to t..n−1, in order (shares in Z_2^32). */
export async function compactDest(ctx: ProtoCtx, t: number, mask: Bits): Promise<Uint32Array> {
  const n = mask.length, server = isServer(ctx);
  if (n === 0) return new Uint32Array(0);
  let mine!: Uint8Array, peer!: { m0: Uint8Array; m1: Uint8Array };
  for (const receiver of ['server', 'client'] as const) {
    if (receiver === ctx.party) mine = await ctx.ot.rotRecv(mask, 32);
    else peer = await ctx.ot.rotSend(n, 32);
  }
  const c = await b2a(ctx, mask, 32);
  const chooser = new Chooser(ring32, mask, n, 1, padsToRing(mine, n, 1, 32), padsToRing(peer.m0, n, 1, 32), padsToRing(peer.m1, n, 1, 32));
  const { base, v } = destinationTerms({ mode: 'compact', n, count: t, payload: DEST }, c as Uint32Array, server);
  const [cv] = await new BitSelector(n, 32, mask, chooser).mul(ctx, [v]);
  return ring32.add(base, cv) as Uint32Array;
}

/** compactDest's messages, in order. */
export function compactDestCostSteps(b: CostBuilder, n: number): void {
  if (n === 0) return;
  b.otCall('server', b.ot.plan.cot(n));
  b.otCall('client', b.ot.plan.cot(n));
  b2aCost(b, n, 32);
  productsCost(b, 32, n, n, 1);
}

/** Plaintext twin: dest_j = c_j ? P_j − 1 : t + j − P_j (the caller checks that t is the mask's count). */
export function compactDestTwin(t: number, mask: Bits): Uint32Array {
  let P = 0;
  return Uint32Array.from(mask, (c, j) => ((P += c & 1), c & 1 ? P - 1 : t + j - P));
}

/** route_to is the identity on nothing: with no row kept (or n = 0) nothing is sent. */
export const isTrivialRouteTo = (n: number, k: number): boolean => n === 0 || k === 0;

/**
 * Rows x (n rows of payload words, layout.ts) to the positions `dest` (this party's shares of a
 * permutation of [n]); the first k positions are the result (this party's share).
 */
export async function routeTo(ctx: ProtoCtx, k: number, payload: BlockSpec, x: Uint32Array, dest: Uint32Array, opts: RouteOptions = {}): Promise<Uint32Array> {
  const n = dest.length, w = wordsPerRow(payload);
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`route_to: k = ${k} is out of range: there are ${n} rows, so it must be 0..${n}`);
  if (x.length !== n * w) throw new RangeError(`route_to: expected ${n} rows of ${w} words, got ${x.length} words`);
  if (isTrivialRouteTo(n, k)) return new Uint32Array(0);
  const h = depth(n), L = new Layout([DEST, payload]), server = isServer(ctx);
  const pi = (opts.sample ?? randomPermutation)(ctx.prg, n);
  const trees = senderTrees(ctx.prg, n), corr = senderCorrelation(trees, L), choices = punctureChoices(pi, h);
  const keyBytes = KEY_BYTES * n * h, dBytes = ring32.packedBytes(n);
  const delta = (keys: Uint8Array, pads: Uint8Array) => {
    checkBytes(keys, keyBytes, 'GGM level sums');
    return receiverCorrelation(puncturedTrees(n, h, chosenKeys(keys, 0, n * h, pads, choices), pi), pi, L);
  };
  let z: Uint32Array[], theirs: Uint32Array;
  if (server) {
    // π_S: the client re-shares to the server, which permutes; then the server re-shares for π_C.
    const mine = await ctx.ot.rotRecv(choices, 128);
    const m = L.unpack(await ctx.ch.recv(), n);
    const peer = await ctx.ot.rotSend(n * h, 128);
    const d = delta(await ctx.ch.recv(), mine);
    const y = receiverOutput(L, m, d, [dest, x], pi);
    ctx.ch.send(offerKeys([trees], [peer]));
    ctx.ch.send(L.pack(senderMessage(L, y, corr), n));
    z = corr.b;
    ctx.ch.send(ring32.pack(z[0]));
    theirs = unpackDest(await ctx.ch.recv(), dBytes, n);
  } else {
    ctx.ch.send(L.pack(senderMessage(L, [dest, x], corr), n));
    const peer = await ctx.ot.rotSend(n * h, 128);
    const mine = await ctx.ot.rotRecv(choices, 128);
    ctx.ch.send(offerKeys([trees], [peer]));
    const d = delta(await ctx.ch.recv(), mine);
    const m = L.unpack(await ctx.ch.recv(), n);
    z = receiverOutput(L, m, d, corr.b, pi);
    theirs = unpackDest(await ctx.ch.recv(), dBytes, n);
    ctx.ch.send(ring32.pack(z[0]));
  }
  const opened = ring32.add(z[0], theirs) as Uint32Array;
  opts.onOpen?.(opened);
  if (!isPermutation(opened, n)) throw new RangeError('route_to: the destinations are not a permutation of the rows (they must be computed by compact_dest and routed like the rows)');
  return place(z[1], w, opened, k);
}

/** routeTo's messages, in order (CostBuilder replays them through the round clock). */
export function routeToCostSteps(b: CostBuilder, n: number, k: number, payload: BlockSpec): void {
  if (isTrivialRouteTo(n, k)) return;
  const h = depth(n), keys = KEY_BYTES * n * h, m = new Layout([DEST, payload]).packedBytes(n), d = ring32.packedBytes(n);
  const u = b.ot.plan.cot(n * h);
  b.draw('server', u.cots);
  b.exchange(m, u.receiverToSender.reduce((a, x) => a + x, 0));
  b.otCall('client', u);
  b.exchange(keys, 0);
  b.exchange(0, keys + m + d);
  b.exchange(d, 0);
}

/**
 * route_to's precondition on opened values (the twin's order): 0 ≤ k ≤ n and dest is a
 * permutation of [n]. Returns, for each result row t < k, the row of x that goes there.
 */
export function routeToOrder(k: number, dest: ArrayLike<number>, probe?: RangeProbe): number[] {
  const n = dest.length;
  if (!(Number.isInteger(k) && k >= 0 && k <= n)) {
    checkRange([k], { what: 'k', enc: 'int', lo: 0, hi: n, hiIncl: true, hint: `there are ${n} rows, so it must be an integer 0..${n}` }, probe);
    throw new RangeError(`route_to: k = ${k} is out of range: there are ${n} rows, so it must be 0..${n}`);
  }
  const from = new Array<number>(n).fill(-1);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const d = dest[i];
    if (Number.isInteger(d) && d >= 0 && d < n && from[d] < 0) from[d] = i;
    else bad++;
  }
  if (bad > 0) checkRange([bad], { what: 'dest', enc: 'int', lo: 0, hi: 0, hiIncl: true, hint: `${bad} destinations repeat or fall outside 0..${n - 1}: they must be a permutation of the rows (compact_dest's, routed like the rows)` }, probe);
  return from.slice(0, k).map((i) => Math.max(i, 0));
}
