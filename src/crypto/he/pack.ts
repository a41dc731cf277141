// Packed HE results (issue 15; docs/he.md "Packed results"): G raw result ciphertexts of one row
// of result blocks are merged into one before they are finished, by the PackLWEs tree (Chen, Dai,
// Kim, Song 2021, Alg. 2; as in BumbleBee, Lu et al., NDSS 2025). A raw result's wanted
// coefficients sit at i·dw·mw + c·dw + dw - 1 (packing.ts outIndex); multiplied by
// (P_MAX/P)·Y^-(dw-1) they sit at multiples of dw, hence of P (P | dw). At stride s = P/2, ..., 1
// the tree pairs ct = (a + Y^s·b) + σ_g(a - Y^s·b), σ_g: Y -> Y^g with g ≡ 1 + N/s (mod 2N/s),
// which fixes the multiples of 2s and negates the coefficients ≡ s (mod 2s): every coefficient
// that is not a multiple of P cancels, and coefficient j·P + r of the result is P times
// coefficient j·P of input r. With the factor P_MAX/P every merged ciphertext holds P_MAX·y at
// plaintext modulus t' = 2^(ell + PACK_BITS), which is an encryption of y at 2^ell: the later
// levels' noise rooms and the download roundings are those of an unpacked result.
//
// The tree runs at level 0, after the inverse NTT and before the first switch, or with
// HeParams.galoisLevel 1 at level 1 after it (finish.ts; smaller keys and key switches, but the key
// switches' noise is then flooded undivided, so the noise allows smaller P on large calls:
// noise.ts). P - 1 key switches per P results; one Enc_pk(0), one flood and one frame per merged
// ciphertext instead of per result.
import type { Ciphertext, Evaluator, GaloisKeys, Plaintext, SEALContext, ParmsIdType } from 'node-seal';
import type { SealModule } from './seal.ts';
import { PT_COUNT_OFFSET, PT_DATA_OFFSET } from './seal.ts';
import type { Blocking, ProductKind, ProductShape } from './packing.ts';
import { noiseTerms } from './packing.ts';
import { packLimit, type NoiseParams } from './noise.ts';
import { galoisElements } from './galois.ts';
import { PACK_BITS } from './seal.ts';
import type { RingArray } from '../ring.ts';
import type { Ring } from '../ring.ts';
import type { Prg } from '../prg.ts';

/** Largest merge: P_MAX = 2^PACK_BITS results per ciphertext (log2 P_MAX Galois keys; t' = 2^(ell + PACK_BITS)). */
export const MAX_PACK = 2 ** PACK_BITS;

/** Largest power of two dividing x. */
const pow2 = (x: number): number => x & -x;
/** Smallest power of two >= x. */
const ceilPow2 = (x: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, x)));

/**
 * The merge width of a blocking: a power of two dividing dw (wanted coefficients at multiples of
 * P after the shift), at most `cap` (P_MAX, or less where the noise requires: noise.ts), and no
 * wider than a row of mb result blocks needs.
 */
export function mergeWidth(b: Pick<Blocking, 'dw' | 'mb'>, cap = MAX_PACK): number {
  return Math.max(1, Math.min(pow2(b.dw), cap, ceilPow2(b.mb)));
}

/**
 * The merge width of a product: mergeWidth(b), at most the largest P whose merged ciphertexts
 * pass the noise analysis (noise.ts packLimit: flooding within 2^-kappa over the call's result
 * positions, every level's margin > 1 bit) and at most what the session's Galois keys cover. Both
 * parties and the cost model.
 */
export function productPack(np: NoiseParams, kind: ProductKind, b: Blocking, shape: ProductShape, keys = MAX_PACK): number {
  // `keys`: the largest merge the session's Galois keys allow (seal.ts keyPackOf, the key plan).
  const terms = noiseTerms(b, kind), coeffs = shape.heads * shape.n * shape.m, width = mergeWidth(b, keys);
  // Memoised: the blocking search asks for many candidates with the same noise terms.
  const key = `${np.params.ell} ${np.params.kappa} ${np.params.galoisLevel ?? 0} ${np.primes[0]} ${terms} ${coeffs} ${width}`;
  let P = packs.get(key);
  if (P === undefined) {
    // At least 1: a product whose P = 1 fails is refused by the product's own checkNoise.
    P = Math.max(1, packLimit(np, terms, coeffs, true, width));
    if (packs.size > 4096) packs.clear();
    packs.set(key, P);
  }
  return P;
}
const packs = new Map<string, number>();

/** Result blocks of row `nbi` merged into group `g`: column blocks [g·P, min(mb, (g+1)·P)). */
export const groupsOf = (mb: number, P: number): number => Math.ceil(mb / P);
export const groupMembers = (mb: number, P: number, g: number): number => Math.min(P, mb - g * P);

/**
 * Galois elements of the tree's levels, strides s = P/2, ..., 1, for SEAL's default Galois key set
 * (tests and bench/bytes/tree.ts): the g ≡ 1 + N/s (mod 2N/s) among its elements 3^(±2^i) mod 2N.
 * The session's keys are made for galois.ts galoisElements (g = N/s + 1).
 */
export function defaultSetElements(P: number, N = 8192): number[] {
  const m2 = 2 * N, keys = new Set<number>();
  let f = 3, b = 0;
  for (let x = 1; x < m2; x += 2) if ((3 * x) % m2 === 1) b = x;
  for (let i = 0; 2 ** i < N; i++, f = (f * f) % m2, b = (b * b) % m2) keys.add(f).add(b);
  const out: number[] = [];
  for (let s = P / 2; s >= 1; s /= 2) {
    const g = Array.from({ length: s }, (_, t) => (1 + (N / s) * (2 * t + 1)) % m2).find((c) => keys.has(c));
    if (g === undefined) throw new Error(`internal: no default Galois element for stride ${s}`);
    out.push(g);
  }
  return out;
}


/** What the merge needs: SEAL, the context's evaluator and the client's Galois keys (server side). */
export interface PackEnv {
  seal: SealModule;
  context: SEALContext;
  evaluator: Evaluator;
  topParms: ParmsIdType;
  N: number;
  /** log2 of the plaintext modulus t' (ell + PACK_BITS). */
  plainBits: number;
  galois: GaloisKeys;
}

/** A plaintext with the given coefficients (mod t', below 2^plainBits), at level 0. */
export function plainOf(env: Pick<PackEnv, 'seal' | 'context' | 'N'>, coeffs: BigUint64Array, into?: Plaintext): Plaintext {
  const { seal, N } = env;
  const pt = into ?? new seal.Plaintext();
  try {
    const buf = template(env).slice();
    new BigUint64Array(buf.buffer, PT_DATA_OFFSET, N).set(coeffs);
    pt.loadFromArray(env.context, buf);
  } catch (e) {
    if (!into) pt.delete();
    throw e;
  }
  return pt;
}
const templates = new WeakMap<object, Uint8Array>();
function template(env: Pick<PackEnv, 'seal' | 'context' | 'N'>): Uint8Array {
  let t = templates.get(env.context);
  if (!t) {
    const p = new env.seal.Plaintext(env.N);
    try {
      t = (p.saveToArray(env.seal.ComprModeType.none) as Uint8Array).slice();
    } finally {
      p.delete();
    }
    templates.set(env.context, t);
  }
  return t;
}

/**
 * The factor each raw result is multiplied by before the merge, (P_MAX/P)·Y^-(dw-1) =
 * -(P_MAX/P)·Y^(N-dw+1), in NTT form at level 0 (the accumulators' form). The caller deletes it.
 */
export function shiftScaleNtt(env: Omit<PackEnv, 'galois' | 'plainBits'> & { plainBits: number }, P: number, dw: number): Plaintext {
  const { seal, N } = env;
  const c = new BigUint64Array(N), tp = 1n << BigInt(env.plainBits), k = BigInt(MAX_PACK / P);
  if (dw === 1) c[0] = k;
  else c[N - dw + 1] = tp - k;
  const pt = plainOf(env, c);
  const ntt = new seal.Plaintext();
  try {
    env.evaluator.plainTransformToNtt(pt, env.topParms, ntt);
  } catch (e) {
    ntt.delete();
    throw e;
  } finally {
    pt.delete();
  }
  return ntt;
}

/**
 * Merge raw results (coefficient form, level 0, each already multiplied by shiftScaleNtt) into
 * one ciphertext: `raws` has P entries (P a power of two), absent ones null. Consumes the inputs
 * (deletes them, also on error); returns a new ciphertext. Coefficient j·P + r of its message is
 * P times coefficient j·P of raw r's (mod t').
 */
export function mergeTree(env: PackEnv, raws: (Ciphertext | null)[], elementsOf: (P: number) => number[] = galoisElements): Ciphertext {
  const { seal, evaluator: ev, N } = env;
  const P = raws.length;
  if (P !== ceilPow2(P) || P > MAX_PACK) throw new Error(`internal: merge of ${P} results`);
  if (raws.every((c) => c === null)) throw new Error('internal: merge of no result');
  const elements = elementsOf(P);
  let cur = raws.slice();
  const mono = new seal.Plaintext();
  try {
    for (let level = 0, s = P / 2; s >= 1; s /= 2, level++) {
      const c = new BigUint64Array(N);
      c[s] = 1n;
      plainOf(env, c, mono);
      const half = cur.length / 2, next: (Ciphertext | null)[] = [];
      for (let j = 0; j < half; j++) {
        const a = cur[j], b = cur[j + half];
        cur[j] = cur[j + half] = null;
        next.push(pair(env, a, b, mono, elements[level]));
      }
      cur = next;
    }
    const out = cur[0]!;
    cur[0] = null;
    return out;
  } finally {
    mono.delete();
    for (const c of cur) c?.delete();
  }
}

/** (a + Y^s·b) + σ_g(a - Y^s·b), with a or b absent (zero); consumes a and b. */
function pair(env: PackEnv, a: Ciphertext | null, b: Ciphertext | null, mono: Plaintext, g: number): Ciphertext | null {
  const { seal, evaluator: ev } = env;
  if (!a && !b) return null;
  const made: Ciphertext[] = [];
  const fresh = (): Ciphertext => {
    const c = new seal.Ciphertext();
    made.push(c);
    return c;
  };
  try {
    let sum: Ciphertext, diff: Ciphertext;
    if (b) {
      const yb = fresh();
      ev.multiplyPlain(b, mono, yb); // a monomial: SEAL's negacyclic shift, no NTT
      if (a) {
        sum = fresh();
        diff = fresh();
        ev.add(a, yb, sum);
        ev.sub(a, yb, diff);
      } else {
        sum = yb;
        diff = fresh();
        ev.negate(yb, diff);
      }
    } else sum = diff = a!;
    const rot = fresh();
    ev.applyGalois(diff, g, env.galois, rot);
    const out = new seal.Ciphertext();
    try {
      ev.add(sum, rot, out);
    } catch (e) {
      out.delete();
      throw e;
    }
    return out;
  } finally {
    for (const c of made) c.delete();
    a?.delete();
    b?.delete();
  }
}

/** Coefficient of merged position for result (i, c) of member `slot` (packing.ts outIndex shifted to i·dw·mw + c·dw). */
export const packedIndex = (b: Pick<Blocking, 'dw' | 'mw'>, i: number, c: number, slot: number): number => i * b.dw * b.mw + c * b.dw + slot;

/**
 * The server's mask of a merged ciphertext: R = P_MAX·r with r uniform mod 2^ell on all N
 * coefficients (the client reads y + r as the rounded top ell bits). Returns R's plaintext and r.
 */
export function packedMask(env: Pick<PackEnv, 'seal' | 'context' | 'N'>, ring: Ring, prg: Prg, into: Plaintext): RingArray {
  const r = ring.random(env.N, prg);
  const c = new BigUint64Array(env.N), k = BigInt(MAX_PACK);
  if (r instanceof BigUint64Array) for (let i = 0; i < env.N; i++) c[i] = r[i] * k;
  else for (let i = 0; i < env.N; i++) c[i] = BigInt(r[i]) * k;
  plainOf(env, c, into);
  return r;
}

/**
 * Client: the shares in a decrypted merged plaintext, round(u / P_MAX) mod 2^ell per coefficient
 * (u = P_MAX·(y + r) + err with |err| < P_MAX/2 when the noise is within q/(2·2^ell)).
 */
export function decodePacked(seal: SealModule, ring: Ring, pt: Plaintext, N: number): RingArray {
  const bytes = pt.saveToArray(seal.ComprModeType.none) as Uint8Array;
  const count = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(PT_COUNT_OFFSET, true));
  const al = new Uint8Array(8 * N);
  al.set(bytes.subarray(PT_DATA_OFFSET, PT_DATA_OFFSET + 8 * count));
  const u = new BigUint64Array(al.buffer), out = ring.alloc(N);
  const half = BigInt(MAX_PACK / 2), sh = BigInt(PACK_BITS);
  if (out instanceof BigUint64Array) {
    const m = (1n << BigInt(ring.ell)) - 1n;
    for (let i = 0; i < N; i++) out[i] = ((u[i] + half) >> sh) & m;
  } else {
    const mod = 2 ** ring.ell; // u < 2^36: exact in doubles
    for (let i = 0; i < N; i++) out[i] = Math.floor((Number(u[i]) + MAX_PACK / 2) / MAX_PACK) % mod;
  }
  return out;
}
