// Noise bounds and noise flooding for circuit privacy (Gentry, STOC 2009, "noise flooding";
// argument in docs/he.md). All bounds are worst case (infinity norm) and in log2.
//
// Chain: level 0 = primes [p0, p1, p2] (products), level 1 = [p0, p1] (flooding), level 2 = [p0]
// (download). With e the noise of c0 + c1*s = round(q*m/t) + e (mod q):
//  - fresh upload: |e| <= 21 (SEAL's centred binomial) + 1 (two encoding roundings, client's
//    message and server's own share);
//  - products: |e| <= 22 * T * 2^(ell-1), T = plaintext coefficients summed (packing.noiseTerms),
//    plaintext coefficients centred in [-t/2, t/2) by SEAL;
//  - re-randomisation with a public-key encryption of zero adds <= 42N + 21;
//  - a switch dropping p: e' = e/p + eps0 + eps1*s, |e'| <= |e|/p + (N+1)/2 (ternary s).
// The flood E = u1 + p0*u2 (u1 uniform in [0,p0), u2 uniform in [-2^U, 2^U)) is uniform on an
// interval of width 2F, F = 2^U * p0, so it hides any shift |x| <= B with statistical distance
// B/(2F) per coefficient; over C result coefficients the distance is <= C*B/(2F) <= 2^-kappa.
// C counts the result positions of the call (heads * n * m), not every coefficient of the result
// ciphertexts: the client receives c1 and c0 at the result positions only (compress.ts), and after
// flooding every step (switch, mask, rounding) maps c0[j] to the frame coefficient by coefficient,
// so its view is a function of c1 (independent of E) and of c0 + E at the result positions.
//
// Download compression (Cheetah, Huang et al., USENIX Security 2022, Sec. 4.1 "ciphertext
// compression"): the level-2 result is sent with the low d1 bits of c1 and the low d0 bits of c0
// rounded off (c0 only at the result positions). Rounding c to c' = 2^d * round(c / 2^d) adds
// delta0 + delta1*s to the noise, |delta0| <= 2^(d0-1), delta1 with coefficients in
// [-2^(d1-1), 2^(d1-1)]. c1 does not depend on s (it is built from the uploads' uniform a, the
// public key's a and the server's u, e2), and s is uniform ternary (SEAL), so each coefficient of
// delta1*s is a sum of N independent, zero-mean terms in [-|delta1_i|, |delta1_i|]; Hoeffding:
// P(|(delta1*s)_j| >= x) <= 2 exp(-x^2 / (2 N 4^(d1-1))). With x = 2^(d1-1) * H,
// H = sqrt(2N ln(2 C 2^kappa)), the union over the C coefficients of a call fails with
// probability <= 2^-kappa. d1 and d0 are the largest with B2 + 2^(d0-1) + 2^(d1-1) H <= q0/(4t)
// (one bit of margin kept, like the other levels).
//
// Packed results (Chen, Dai, Kim, Song 2021, PackLWEs, Alg. 2; docs/he.md "Noise of the merge
// tree"): a tree level ct = (a + Y^s b) + sigma_g(a - Y^s b) gives |e| <= 2(|e_a| + |e_b|) + ks,
// ks the noise of one key switch, so P raw results of bound b merge to P^2 b + ks (P^2 - 1)/3;
// results packed with P' < P_max are then scaled by P_max/P' (a plaintext constant), so every
// finished ciphertext holds P_max * y at t' = 2^(ell + packBits), which is y at t = 2^ell in the
// rational frame (q/t' * P_max = q/t): the level-1 and level-2 rooms stay those of t, provided the
// mask goes in as P_max * r and the client rounds the decrypted m' to a multiple of P_max.
// Key switch (SEAL: RNS digits d_j = [c]_{q_j} in [0, q_j), one per data prime of the level, keys
// with noise |e| <= 21, mod-down by the special prime P_sp with rounding):
// |ks| <= N * 21 * sum_j q_j / P_sp + (N + 1)/2.
// Merging at level 1 (HeParams.galoisLevel 1; docs/he.md "Merging at level 1"): each raw result
// (scaled by P_max/P at level 0) is switched to level 1 first, b1r = (P_max/P) b / p2 + (N+1)/2, the
// tree runs there with key switches over p0, p1 (ks1 = N 21 (p0 + p1) / P_sp + (N+1)/2, no longer
// divided by p2 afterwards), and the fresh Enc_pk(0) is switched down too: before the flood
// b1 = P^2 b1r + ks1 (P^2 - 1)/3 + (42N + 21)/p2 + (N+1)/2. The flood then bounds P by C.
import type { HeContext, HeParams } from './seal.ts';
import { chainFor, CT_DATA_OFFSET, FLOOD_HIGH_BITS } from './seal.ts';
import { Prg } from '../prg.ts';

const log2 = (x: number | bigint): number => {
  if (typeof x === 'number') return Math.log2(x);
  const s = x.toString(2).length;
  return s > 52 ? s - 52 + Math.log2(Number(x >> BigInt(s - 52))) : Math.log2(Number(x));
};

export interface NoiseReport {
  /** log2 of the noise bound after the products and re-randomisation (level 0). */
  level0: number;
  /** log2 of the noise bound after the first switch, before flooding (level 1). */
  level1: number;
  /** log2 of the flooding half-width F. */
  flood: number;
  /** log2 of the statistical distance bound C*B/(2F) for this call (must be <= -kappa). */
  statDistance: number;
  /** log2 of the noise bound of the downloaded ciphertext (level 2). */
  level2: number;
  /** Bits of headroom left for correct decryption at each level (must be > 0). */
  margin: [number, number, number];
  /** Download compression: low bits dropped from c0 and c1 of each result, and the bound after it. */
  download: DownloadDrop;
}

export interface DownloadDrop {
  /** Low bits rounded off c0 (kept only at the result positions) and c1. */
  d0: number;
  d1: number;
  /** log2 of the noise bound after rounding (worst case plus the Hoeffding bound). */
  level2: number;
  /** Bits of headroom left after rounding (>= 1 by construction). */
  margin: number;
}

/** What the noise analysis needs of a context (HeContext fits; cost functions build one from constants). */
export interface NoiseParams {
  N: number;
  primes: readonly bigint[];
  params: Pick<HeParams, 'ell' | 'kappa' | 'galoisLevel'>;
}

/**
 * A merge tree of P raw results (P <= packFactor), each key switch adding at most `ks`
 * (keySwitchNoise). `centred`: the server lifts its plaintext coefficients (weights, its shares)
 * to [-2^(ell-1), 2^(ell-1)) mod t'. SEAL centres coefficients at t'/2, so values written in
 * [0, 2^ell) stay as large as 2^ell at t' = 2^(ell + packBits): without `centred` the product
 * bound is 22 T 2^ell, one bit more than at t = 2^ell.
 */
export interface PackNoise {
  P: number;
  ks: number;
  centred?: boolean;
}

/**
 * Worst-case noise of one key switch at the merge tree's level (header comment; level 0, or 1 with
 * HeParams.galoisLevel 1: digits over p0, p1 only); the special prime is chainFor(ell)'s.
 */
export function keySwitchNoise(ctx: Pick<NoiseParams, 'N' | 'primes' | 'params'>): number {
  const used = ctx.params.galoisLevel === 1 ? ctx.primes.slice(0, 2) : ctx.primes;
  const sum = used.reduce((a, p) => a + Number(p), 0);
  return (ctx.N * 21 * sum) / Number(chainFor(ctx.params.ell).specialPrime) + (ctx.N + 1) / 2;
}

/** Level-0 bound of a finished ciphertext: P raw results of bound b merged, then scaled to P_max (header comment). */
export function treeNoise(b: number, pack: PackNoise, pMax: number): number {
  const P = pack.P;
  return (pMax / P) * (P * P * b + (pack.ks * (P * P - 1)) / 3);
}

/**
 * Worst-case noise analysis for `terms` (packing.noiseTerms) and `coeffs` flooded coefficients
 * (every c0 coefficient the client receives: result positions, or N per merged ciphertext when the
 * frame carries all of c0). With `pack`, the finished ciphertexts are merge trees of pack.P raw
 * results scaled to packFactor(ell) (header comment; level 0 is checked against q/(2t')).
 */
export function noiseReport(ctx: NoiseParams, terms: number, coeffs: number, pack?: PackNoise): NoiseReport {
  const N = ctx.N;
  const ell = ctx.params.ell;
  const [p0, p1, p2] = ctx.primes;
  // Packed contexts centre plaintext coefficients at 2^ell (seal.ts encodeInto), so 2^(ell-1) per term as
  // unpacked; `centred: false` gives the bound for coefficients lifted from [0, 2^ell) (one bit more).
  const raw = 22 * terms * 2 ** (pack && pack.centred === false ? ell : ell - 1) + 42 * N + 21;
  const packBits = pack ? chainFor(ell).packBits : 0;
  if (pack && !(Number.isInteger(Math.log2(pack.P)) && pack.P >= 1 && pack.P <= 2 ** packBits)) {
    throw new RangeError(`merge tree of ${pack.P} results: want a power of two in 1..${2 ** packBits}`);
  }
  // Level 1 (header comment): level 0 holds the scaled raw results only; the tree and the switched
  // Enc_pk(0) are at level 1, where the margin against b1 + F covers the tree's own room at t' (F >> 2^packBits b1).
  const level1 = pack?.P !== undefined && ctx.params.galoisLevel === 1 ? pack : null;
  const b0 = !pack ? raw : level1 ? (2 ** packBits / pack.P) * raw : treeNoise(raw, pack, 2 ** packBits);
  const b1 = level1 ? treeNoise(b0 / Number(p2) + (N + 1) / 2, level1, level1.P) + (42 * N + 21) / Number(p2) + (N + 1) / 2 : b0 / Number(p2) + (N + 1) / 2;
  const F = 2 ** FLOOD_HIGH_BITS * Number(p0);
  const b2 = (b1 + F) / Number(p1) + (N + 1) / 2 + 0.5;
  const [q0, q1, q2] = chainLogs(ctx.primes); // log2 of the level moduli, levels 0, 1, 2
  const room = (logQ: number): number => logQ - 1 - ell; // decryption needs |e| < q/(2t)
  return {
    level0: log2(b0),
    level1: log2(b1),
    flood: log2(F),
    statDistance: log2(coeffs) + log2(b1) - 1 - log2(F),
    level2: log2(b2),
    margin: [room(q0) - packBits - log2(b0), room(q1) - log2(b1 + F), room(q2) - log2(b2)],
    download: downloadDrop(N, ctx.params.kappa, b2, 2 ** room(q2), coeffs),
  };
}

const logsOf = new WeakMap<readonly bigint[], number[]>();
/** log2 of p0*p1*p2, p0*p1 and p0 (computed once per prime chain: the cost model calls this often). */
function chainLogs(primes: readonly bigint[]): number[] {
  let l = logsOf.get(primes);
  if (!l) {
    const [p0, p1, p2] = primes;
    logsOf.set(primes, (l = [log2(p0 * p1 * p2), log2(p0 * p1), log2(p0)]));
  }
  return l;
}

/** The largest roundings of the downloaded c1 and c0 (header comment) for level-2 bound b2 and room q0/(2t). */
function downloadDrop(N: number, kappa: number, b2: number, room: number, coeffs: number): DownloadDrop {
  const H = Math.sqrt(2 * N * (Math.log(2 * coeffs) + kappa * Math.LN2));
  const limit = room / 2;
  const bound = (d0: number, d1: number): number => b2 + (d0 > 0 ? 2 ** (d0 - 1) : 0) + (d1 > 0 ? 2 ** (d1 - 1) * H : 0);
  let d1 = 0;
  while (bound(d1 + 1, d1 + 1) <= limit) d1++;
  let d0 = d1;
  while (bound(d0 + 1, d1) <= limit) d0++;
  const b = bound(d0, d1);
  return { d0, d1, level2: log2(b), margin: log2(room) - log2(b) };
}

/** Whether a report passes checkNoise: flooding within 2^-kappa and every level's margin > 1 bit. */
export const noisePasses = (ctx: NoiseParams, r: NoiseReport): boolean => r.statDistance <= -ctx.params.kappa && Math.min(...r.margin) > 1;

/** Throw unless flooding reaches 2^-kappa and every level decrypts correctly. */
export function checkNoise(ctx: NoiseParams, terms: number, coeffs: number, pack?: PackNoise): NoiseReport {
  const r = noiseReport(ctx, terms, coeffs, pack);
  if (r.statDistance > -ctx.params.kappa) {
    throw new Error(
      `HE product too large for one call: flooding gives statistical distance 2^${r.statDistance.toFixed(1)} ` +
        `> 2^-${ctx.params.kappa} over ${coeffs} coefficients; split the product`,
    );
  }
  const worst = Math.min(...r.margin);
  if (worst <= 1) throw new Error(`HE noise budget exhausted (margin ${worst.toFixed(1)} bits at ell = ${ctx.params.ell})`);
  return r;
}

/**
 * The largest merge tree (power of two P <= packFactor(ell)) whose finished ciphertexts pass
 * checkNoise, starting at `from` (a power of two); `coeffs` may depend on P (e.g. N per merged
 * ciphertext). 0 if not even P = 1 passes.
 */
export function packLimit(
  ctx: NoiseParams,
  terms: number,
  coeffs: number | ((P: number) => number),
  centred = true,
  from = 2 ** chainFor(ctx.params.ell).packBits,
): number {
  const ks = keySwitchNoise(ctx);
  for (let P = from; P >= 1; P /= 2) {
    if (noisePasses(ctx, noiseReport(ctx, terms, typeof coeffs === 'number' ? coeffs : coeffs(P), { P, ks, centred }))) return P;
  }
  return 0;
}

/**
 * Add a fresh flooding draw E to c0 of a serialized level-1 ciphertext (two primes), in place.
 * `prg` supplies the server's private randomness.
 */
export function floodLevel1(ctx: HeContext, bytes: Uint8Array, prg: Prg): void {
  const N = ctx.N;
  const [p0, p1] = ctx.primes;
  const expected = CT_DATA_OFFSET + 4 * N * 8;
  if (bytes.byteLength !== expected) throw new Error(`flood: expected a level-1 ciphertext of ${expected} bytes, got ${bytes.byteLength}`);
  const table = ctx.floodResidues();
  const c0 = new BigUint64Array(2 * N);
  const c0bytes = new Uint8Array(c0.buffer);
  c0bytes.set(bytes.subarray(CT_DATA_OFFSET, CT_DATA_OFFSET + 16 * N));
  const rnd = new BigUint64Array(N);
  prg.fill(new Uint8Array(rnd.buffer));
  const idx = new Uint32Array(N);
  prg.fill(new Uint8Array(idx.buffer));
  const mask60 = (1n << 60n) - 1n;
  const idxMask = 2 ** (FLOOD_HIGH_BITS + 1) - 1;
  if (p0 >= 1n << 60n || p1 >= 1n << 60n) throw new Error('flood: primes must be below 2^60');
  const one = new BigUint64Array(1);
  for (let j = 0; j < N; j++) {
    let u = rnd[j] & mask60;
    while (u >= p0) {
      // Rejection sampling keeps u1 exactly uniform on [0, p0) (probability < 2^-42 per draw).
      prg.fill(new Uint8Array(one.buffer));
      u = one[0] & mask60;
    }
    let a = c0[j] + u;
    if (a >= p0) a -= p0;
    c0[j] = a;
    // u1 mod p1 (p1 < p0 in the ell <= 32 chain), then a sum of three residues mod p1.
    let b = c0[N + j] + (u >= p1 ? u % p1 : u) + table[idx[j] & idxMask];
    if (b >= p1) b -= p1;
    if (b >= p1) b -= p1;
    c0[N + j] = b;
  }
  bytes.set(c0bytes, CT_DATA_OFFSET);
}
