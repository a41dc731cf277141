// Oblivious routing of secret-shared rows (docs/cipherprune.md): compact (keep the rows whose
// mask bit is set, in order), partition (rows with the bit first, each group in order) and its
// inverse, and compact_split (compact, then partition the kept rows by a second mask `first` ⊆
// keep: one routing instead of two), revealing only the public counts of the masks.
//
// 1. Destinations: B2A of the mask bits c, prefix sums P_j = Σ_{i≤j} c_i (local), and one
//    multiplexer: dest_j = c_j ? P_j − 1 : t + j − P_j, with t the public count. For a mask with
//    t ones, dest is a permutation of [n]: compact keeps rows dest < t. compact_split takes the
//    B2A and the multiplexer of both masks c and h (h ⊆ c, t1 ones) in the same calls (2n bits):
//    dest_j = base_j + c_j·v_j + h_j·u_j, which is P^h_j − 1 for a first row, t1 + P_j − P^h_j − 1
//    for another kept row and t + j − P_j for a dropped one (the same rounds as compact's).
// 2. Shuffle the rows together with dest by σ = π_S ∘ π_C: permute-and-share (perm-share.ts)
//    with the server's permutation, then with the client's. Neither party knows σ.
// 3. Open the shuffled destinations: dest ∘ σ, a uniformly random permutation whatever the mask.
//    Each party puts its share of shuffled row i at position (dest ∘ σ)_i: no more messages.
// unpartition runs steps 2–3 twice: first on the column (0, 1, …, n−1), which yields shares of
// the inverse destinations, then on the payload with those as its destinations.
//
// Message schedule (rounds from equal clocks, n ≥ 2 and 0 < t < n): 1 the server's random-OT
// messages (multiplexer, GGM level choices); 2 the client's level sums for the server's trees and
// its own random-OT and B2A messages; 3 B2A replies, the server's level sums, its multiplexer
// corrections; 4 the client's corrections and its perm-and-share message; 5 the server's
// message and its final destination shares; 6 the client's destination shares. Six rounds
// (eight for unpartition); bytes ≈ 2·n·(row bits) + O(n log n).
import { ChannelError } from '../../transport/channel.ts';
import { BitSelector } from '../nonlinear/boolean.ts';
import { concatBits, costOf, isServer, ringOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from '../nonlinear/context.ts';
import { b2a, b2aCost, Chooser, padsToRing, productsCost } from '../nonlinear/ot-ops.ts';
import type { OtCostModel } from '../ot/cost.ts';
import type { Prg } from '../prg.ts';
import { checkRange, type RangeProbe } from '../ranges.ts';
import { depth, punctureChoices, puncturedTrees, senderTrees, type SenderTrees } from './ggm.ts';
import { Layout, wordsPerRow, type BlockSpec, type Rows } from './layout.ts';
import { isPermutation, randomPermutation } from './perm.ts';
import { receiverCorrelation, receiverOutput, senderCorrelation, senderMessage, type SenderCorrelation } from './perm-share.ts';

export type RouteMode = 'compact' | 'partition' | 'unpartition' | 'compact_split';

export interface RouteParams {
  mode: RouteMode;
  /** Rows (tokens). */
  n: number;
  /** The public number of set mask bits: k for compact and compact_split, k1 for partition and unpartition. */
  count: number;
  /** compact_split: the public number of set bits of its second mask `first` (k1 ≤ k). */
  count2?: number;
  payload: BlockSpec;
}

export interface RouteOptions {
  /** Permutation sampler (tests inject a biased one to show that the leakage test notices). */
  sample?: (prg: Prg, n: number) => Uint32Array;
  /** Called with every opened (shuffled) destination vector: all that the parties see in clear. */
  onOpen?: (opened: Uint32Array) => void;
}

/** Destinations travel as 32-bit ring elements. */
export const DEST: BlockSpec = { kind: 'ring', ell: 32, width: 1 };
export const ring32 = ringOf(32);
/** Per level OT: both level sums, masked (2 × 16 bytes). */
export const KEY_BYTES = 32;

const countName = (m: RouteMode): string => (m === 'compact' || m === 'compact_split' ? 'k' : 'k1');
export const outRows = (p: RouteParams): number => (p.mode === 'compact' || p.mode === 'compact_split' ? p.count : p.n);
/** Mask bits per row: compact_split's keep and first, the others' one mask. */
export const masksPerRow = (m: RouteMode): number => (m === 'compact_split' ? 2 : 1);

/** The count must be an integer in [0, n] (compact_split's k1 in [0, k]). Checked before any message is sent. */
export function checkRoute(p: RouteParams): void {
  if (!Number.isInteger(p.count) || p.count < 0 || p.count > p.n) {
    throw new RangeError(`${p.mode}: ${countName(p.mode)} = ${p.count} is out of range: the mask has ${p.n} entries, so it must be 0..${p.n}`);
  }
  const k1 = p.count2;
  if (p.mode === 'compact_split' && (k1 === undefined || !Number.isInteger(k1) || k1 < 0 || k1 > p.count)) {
    throw new RangeError(`${p.mode}: k1 = ${k1} is out of range: the first rows are kept rows, so it must be 0..k (${p.count})`);
  }
}

/** With t ∈ {0, n} (or n ≤ 1) the route is the identity: nothing to hide, nothing sent (compact_split: t = 0, or t = n with t1 ∈ {0, n}). */
export const isTrivialRoute = (p: RouteParams): boolean =>
  p.n <= 1 || p.count === 0 || (p.count === p.n && (p.mode !== 'compact_split' || p.count2 === 0 || p.count2 === p.n));
/** The result of a trivial route: the rows as they are (compact keeps the first t: all or none). */
export const identityRoute = (p: RouteParams, x: Uint32Array): Uint32Array => x.slice(0, outRows(p) * wordsPerRow(p.payload));
const routes = (p: RouteParams): number => (p.mode === 'unpartition' ? 2 : 1);
const layouts = (p: RouteParams): Layout[] => (routes(p) === 1 ? [new Layout([DEST, p.payload])] : [new Layout([DEST, DEST]), new Layout([DEST, p.payload])]);

/**
 * Route n rows of payload words (layout.ts) by the mask (compact_split: n keep bits, then n
 * `first` bits); returns this party's share of the result.
 */
export async function route(ctx: ProtoCtx, p: RouteParams, x: Uint32Array, mask: Bits, opts: RouteOptions = {}): Promise<Uint32Array> {
  checkRoute(p);
  const { n } = p, w = wordsPerRow(p.payload), nb = n * masksPerRow(p.mode);
  if (x.length !== n * w || mask.length !== nb) throw new RangeError(`${p.mode}: expected ${n} rows of ${w} words and ${nb} mask bits, got ${x.length} words and ${mask.length} bits`);
  if (isTrivialRoute(p)) return identityRoute(p, x);
  const R = routes(p), h = depth(n), L = layouts(p), server = isServer(ctx);
  const sample = opts.sample ?? randomPermutation;
  // Data independent: my permutations, the trees I hold for the peer's permutations, their sums.
  const pis = Array.from({ length: R }, () => sample(ctx.prg, n));
  const trees = Array.from({ length: R }, () => senderTrees(ctx.prg, n));
  const mineCorr = trees.map((t, r) => senderCorrelation(t, L[r]));
  const choices = pis.map((pi) => punctureChoices(pi, h));

  // Random OTs: the server's choices first, then the client's (rounds 1–2); B2A (rounds 2–3).
  let muxMine!: Uint8Array, muxPeer!: { m0: Uint8Array; m1: Uint8Array }, peerKeys!: Uint8Array;
  const ggmMine: Uint8Array[] = [], ggmPeer: { m0: Uint8Array; m1: Uint8Array }[] = [];
  for (const receiver of ['server', 'client'] as const) {
    if (receiver === ctx.party) {
      muxMine = await ctx.ot.rotRecv(mask, 32);
      for (let r = 0; r < R; r++) ggmMine.push(await ctx.ot.rotRecv(choices[r], 128));
      if (server) peerKeys = await ctx.ch.recv();
    } else {
      muxPeer = await ctx.ot.rotSend(nb, 32);
      for (let r = 0; r < R; r++) ggmPeer.push(await ctx.ot.rotSend(n * h, 128));
      if (!server) ctx.ch.send(offerKeys(trees, ggmPeer));
    }
  }
  const c = await b2a(ctx, mask, 32);
  if (server) ctx.ch.send(offerKeys(trees, ggmPeer));
  else peerKeys = await ctx.ch.recv();
  checkBytes(peerKeys, R * KEY_BYTES * n * h, 'GGM level sums');

  const chooser = new Chooser(ring32, mask, nb, 1, padsToRing(muxMine, nb, 1, 32), padsToRing(muxPeer.m0, nb, 1, 32), padsToRing(muxPeer.m1, nb, 1, 32));
  const { base, v } = destinationTerms(p, c as Uint32Array, server);
  const [cv] = await new BitSelector(nb, 32, mask, chooser).mul(ctx, [v]);
  const cw = cv as Uint32Array, dest = ring32.add(base, cw.subarray(0, n)) as Uint32Array;
  for (let j = n; j < nb; j++) dest[j - n] += cw[j]; // compact_split: + h_j·u_j (mod 2^32)

  const deltas = pis.map((pi, r) => () => receiverCorrelation(puncturedTrees(n, h, chosenKeys(peerKeys, r, n * h, ggmMine[r], choices[r]), pi), pi, L[r]));
  const run = (r: number, rows: Rows) => shuffleAndOpen(ctx, p, L[r], rows, pis[r], mineCorr[r], deltas[r], opts);
  if (R === 1) {
    const { z, opened } = await run(0, [dest, x]);
    return place(z[1], w, opened, outRows(p));
  }
  // unpartition: shares of the inverse destinations, then the payload routed by them.
  const index = Uint32Array.from({ length: n }, (_, j) => (server ? j : 0));
  const first = await run(0, [dest, index]);
  const inv = place(first.z[1], 1, first.opened, n);
  const { z, opened } = await run(1, [inv, x]);
  return place(z[1], w, opened, n);
}

/** Shuffle rows (block 0: destinations) by π_S then π_C, open the shuffled destinations. */
async function shuffleAndOpen(ctx: ProtoCtx, p: RouteParams, layout: Layout, x: Rows, pi: Uint32Array, mine: SenderCorrelation, delta: () => Rows, opts: RouteOptions): Promise<{ z: Rows; opened: Uint32Array }> {
  const { n } = p, dBytes = ring32.packedBytes(n);
  let z: Rows, theirs: Uint32Array;
  if (isServer(ctx)) {
    const d = delta();
    const m = layout.unpack(await ctx.ch.recv(), n);
    const y = receiverOutput(layout, m, d, x, pi); // the server permutes (π_S) ...
    ctx.ch.send(layout.pack(senderMessage(layout, y, mine), n)); // ... and re-shares for π_C
    z = mine.b;
    ctx.ch.send(ring32.pack(z[0]));
    theirs = unpackDest(await ctx.ch.recv(), dBytes, n);
  } else {
    ctx.ch.send(layout.pack(senderMessage(layout, x, mine), n));
    const d = delta();
    const m = layout.unpack(await ctx.ch.recv(), n);
    z = receiverOutput(layout, m, d, mine.b, pi); // the client permutes (π_C)
    theirs = unpackDest(await ctx.ch.recv(), dBytes, n);
    ctx.ch.send(ring32.pack(z[0]));
  }
  const opened = ring32.add(z[0], theirs) as Uint32Array;
  opts.onOpen?.(opened);
  if (!isPermutation(opened, n)) {
    throw new RangeError(`${p.mode}: ${countName(p.mode)} = ${p.count} is not the number of set mask bits (it must be the revealed count of the mask)`);
  }
  return { z, opened };
}

/** Row i of z goes to row opened[i]; rows routed past `rows` (compact's dropped rows) vanish. */
export function place(z: Uint32Array, w: number, opened: Uint32Array, rows: number): Uint32Array {
  const out = new Uint32Array(rows * w);
  for (let i = 0; i < opened.length; i++) if (opened[i] < rows) out.set(z.subarray(i * w, (i + 1) * w), opened[i] * w);
  return out;
}

/**
 * This party's shares of the destinations' terms: dest_j = base_j + Σ_m c^m_j·v^m_j over the
 * masks (v: n values per mask). One mask of t ones: base_j = t + j − P_j, v_j = 2P_j − 1 − t − j.
 * compact_split (keep c, first h ⊆ c with t1 ones): the same base, v_j = 2P_j − P^h_j − 1 − t −
 * j + t1 and u_j = 2P^h_j − P_j − t1, so a first row gets P^h_j − 1, another kept row
 * t1 + P_j − P^h_j − 1 and a dropped row t + j − P_j.
 */
export function destinationTerms(p: RouteParams, c: Uint32Array, server: boolean): { base: Uint32Array; v: Uint32Array } {
  const { n, count: t } = p, split = p.mode === 'compact_split', t1 = p.count2 ?? 0;
  const P = prefixSums(c.subarray(0, n)), Ph = split ? prefixSums(c.subarray(n, 2 * n)) : new Uint32Array(n);
  const base = new Uint32Array(n), v = new Uint32Array(c.length);
  for (let j = 0; j < n; j++) {
    base[j] = (server ? t + j : 0) - P[j];
    v[j] = 2 * P[j] - Ph[j] - (server ? 1 + t + j - t1 : 0);
    if (split) v[n + j] = 2 * Ph[j] - P[j] - (server ? t1 : 0);
  }
  return { base, v };
}

export function prefixSums(c: Uint32Array): Uint32Array {
  const out = new Uint32Array(c.length);
  let s = 0;
  for (let j = 0; j < c.length; j++) out[j] = s = (s + c[j]) >>> 0;
  return out;
}

/** The level sums of my trees, each masked with the random-OT pad of its side (chosen OT). */
export function offerKeys(trees: SenderTrees[], pads: { m0: Uint8Array; m1: Uint8Array }[]): Uint8Array {
  const parts = trees.map((t, r) => {
    const k = new Uint8Array(t.keys.buffer, t.keys.byteOffset, t.keys.byteLength).slice();
    const { m0, m1 } = pads[r];
    for (let i = 0; i < m0.length / 16; i++) {
      for (let b = 0; b < 16; b++) {
        k[32 * i + b] ^= m0[16 * i + b];
        k[32 * i + 16 + b] ^= m1[16 * i + b];
      }
    }
    return k;
  });
  return concatBits(parts);
}

/** The level sums I chose (route r), unmasked with my random-OT pads. */
export function chosenKeys(all: Uint8Array, r: number, count: number, pads: Uint8Array, choices: Uint8Array): Uint32Array {
  const out = new Uint8Array(16 * count), off = r * count * KEY_BYTES;
  for (let i = 0; i < count; i++) {
    const src = off + KEY_BYTES * i + 16 * choices[i];
    for (let b = 0; b < 16; b++) out[16 * i + b] = all[src + b] ^ pads[16 * i + b];
  }
  return new Uint32Array(out.buffer);
}

export function checkBytes(b: Uint8Array, want: number, what: string): void {
  if (b.length !== want) throw new ChannelError('mismatch', `shuffle: expected ${want} bytes of ${what}, got ${b.length} (parties out of step)`);
}

export function unpackDest(b: Uint8Array, bytes: number, n: number): Uint32Array {
  checkBytes(b, bytes, 'destination shares');
  return ring32.unpack(b, n) as Uint32Array;
}

/** The exact messages of route(), in order (CostBuilder replays them through the round clock). */
export function routeCostSteps(b: CostBuilder, p: RouteParams): void {
  checkRoute(p);
  if (isTrivialRoute(p)) return;
  const { n } = p, h = depth(n), R = routes(p), keys = R * KEY_BYTES * n * h, nb = n * masksPerRow(p.mode);
  b.otCall('server', b.ot.plan.cot(nb));
  for (let r = 0; r < R; r++) b.otCall('server', b.ot.plan.cot(n * h));
  b.exchange(keys, 0);
  b.otCall('client', b.ot.plan.cot(nb));
  for (let r = 0; r < R; r++) b.otCall('client', b.ot.plan.cot(n * h));
  b2aCost(b, nb, 32);
  b.exchange(0, keys);
  productsCost(b, 32, nb, nb, 1);
  const d = ring32.packedBytes(n);
  for (const layout of layouts(p)) {
    const m = layout.packedBytes(n);
    b.exchange(m, 0);
    b.exchange(0, m);
    b.exchange(0, d);
    b.exchange(d, 0);
  }
}

export const routeCost = (p: RouteParams, ot?: OtCostModel): Cost => costOf((b) => routeCostSteps(b, p), ot);

/**
 * The routing ops' preconditions (docs/cipherprune.md), checked by the twins like every other
 * op's (src/crypto/ranges.ts): the count is an integer in 0..n and equals the number of set mask
 * bits (the secure protocol refuses the first before any message and the second once the opened
 * destinations are not a permutation). A count is structural, not a magnitude a wider ring could
 * hold, so a probe receives only violations (no headroom to report); a count outside 0..n throws
 * even then, as no result has that many rows. Returns the rows in mask order: set rows first, then
 * the others, each group in its original order.
 */
export function routeOrder(mode: RouteMode, count: number, mask: Bits, probe?: RangeProbe): number[] {
  const n = mask.length, what = countName(mode); // interpret prefixes a violation with the op
  const inRange = Number.isInteger(count) && count >= 0 && count <= n;
  if (!inRange) {
    checkRange([count], { what, enc: 'int', lo: 0, hi: n, hiIncl: true, hint: `the mask has ${n} entries, so it must be an integer 0..${n}` }, probe);
    throw new RangeError(`${mode}: ${what} = ${count} is out of range: the mask has ${n} entries, so it must be 0..${n}`);
  }
  const set = mask.reduce((s, v) => s + v, 0);
  if (set !== count) checkRange([count], { what, enc: 'int', lo: set, hi: set, hiIncl: true, hint: `${set} mask bits are set; it must be the revealed count of the mask` }, probe);
  return [...mask.keys()].filter((j) => mask[j]).concat([...mask.keys()].filter((j) => !mask[j]));
}

/**
 * compact_split's preconditions and order: k is the count of `keep` (as routeOrder), `first`
 * marks kept rows only and k1 is its count. Returns the kept first rows, then the other kept
 * rows, then the dropped ones, each group in its original order.
 */
export function splitOrder(k: number, k1: number, keep: Bits, first: Bits, probe?: RangeProbe): number[] {
  routeOrder('compact_split', k, keep, probe);
  const n = keep.length, rows = [...keep.keys()];
  const stray = rows.filter((j) => first[j] && !keep[j]).length;
  if (stray > 0) checkRange([stray], { what: 'first', enc: 'int', lo: 0, hi: 0, hiIncl: true, hint: `${stray} rows are marked first but not kept: \`first\` must imply \`keep\`` }, probe);
  if (!(Number.isInteger(k1) && k1 >= 0 && k1 <= n)) {
    checkRange([k1], { what: 'k1', enc: 'int', lo: 0, hi: n, hiIncl: true, hint: `the mask has ${n} entries, so it must be an integer 0..${n}` }, probe);
    throw new RangeError(`compact_split: k1 = ${k1} is out of range: the mask has ${n} entries, so it must be 0..${n}`);
  }
  const set = first.reduce((s, v) => s + v, 0);
  if (set !== k1) checkRange([k1], { what: 'k1', enc: 'int', lo: set, hi: set, hiIncl: true, hint: `${set} bits of \`first\` are set; it must be the revealed count of \`first\`` }, probe);
  const group = (g: (j: number) => boolean) => rows.filter(g);
  return [...group((j) => keep[j] === 1 && first[j] === 1), ...group((j) => keep[j] === 1 && first[j] !== 1), ...group((j) => keep[j] !== 1)];
}

/** Plaintext twin on shares' opened values: the routed rows (row-major words per layout.ts). */
export function routeTwin(p: RouteParams, x: Uint32Array, mask: Bits): Uint32Array {
  const w = wordsPerRow(p.payload);
  const order = p.mode === 'compact_split' ? splitOrder(p.count, p.count2 ?? -1, mask.subarray(0, p.n), mask.subarray(p.n)) : routeOrder(p.mode, p.count, mask);
  const out = new Uint32Array(outRows(p) * w);
  if (p.mode === 'unpartition') order.forEach((j, t) => out.set(x.subarray(t * w, (t + 1) * w), j * w));
  else for (let t = 0; t < outRows(p); t++) out.set(x.subarray(order[t] * w, (order[t] + 1) * w), t * w);
  return out;
}
