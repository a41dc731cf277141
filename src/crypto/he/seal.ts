// node-seal 7 (Microsoft SEAL 4.1, BFV) behind a small, memory-safe wrapper.
//
// Parameters (docs/he.md): N = 8192, three data primes plus a special prime for key switching,
// plaintext modulus t = 2^ell (the secret-sharing ring), or t' = 2^(ell + packBits) in a packed
// context (results merged by key switching, Chen, Dai, Kim, Song 2021, PackLWEs). The data primes
// form the level chain of the matmul protocol: products at level 0 (3 primes), noise flooding at
// level 1 (2 primes), download at level 2 (1 prime). Their sizes depend on ell (`chainFor`):
// 60 + 54 + 40 bits for ell <= 32 up to 60 + 60 + 48 at ell = 40 (noise.ts checks every product);
// the special prime takes what is left of 218 bits, the HomomorphicEncryption.org standard's bound
// for 128-bit security at N = 8192 with a ternary secret, up to 60 bits (60 at ell <= 34, 50 at 40).
//
// node-seal 7 exposes raw embind handles: every object must be freed with `.delete()`, and
// `.clone()` returns an alias of the same C++ object (use `.copy()` for a deep copy).
import SEAL from 'node-seal';
import type { MainModule, SEALContext, Evaluator, Plaintext, Ciphertext, ParmsIdType } from 'node-seal';
import { Ring } from '../ring.ts';
import { NETWORKS } from '../../transport/sim-channel.ts';
import type { RingArray } from '../ring.ts';

export type SealModule = MainModule;

/** SEAL objects alive in this process, by owner type (for leak checks in tests and `bench/serve`). */
export const sealLive = { contexts: 0, sessions: 0 };

let modulePromise: Promise<SealModule> | null = null;

/** Load the SEAL WASM module once per process (async). */
export function loadSeal(): Promise<SealModule> {
  if (!modulePromise) modulePromise = SEAL();
  return modulePromise;
}

/** True for a SEAL C++ exception (a WebAssembly.Exception whose message is [type, text]). */
export const isSealException = (e: unknown): boolean => Array.isArray((e as { message?: unknown } | null)?.message);

/** Turn a SEAL C++ exception or embind error into an Error with a readable message. */
export function sealError(e: unknown, what: string): Error {
  const m = (e as { message?: unknown } | null)?.message;
  if (Array.isArray(m)) return new Error(`${what}: SEAL ${m.join(': ')}`, { cause: e });
  if (e instanceof Error) return new Error(`${what}: ${e.message}`, { cause: e });
  return new Error(`${what}: ${String(e)}`, { cause: e });
}

/** Rethrow our own errors unchanged, wrap SEAL exceptions. */
export const rethrow = (e: unknown, what: string): never => {
  throw e instanceof Error && !isSealException(e) ? e : sealError(e, what);
};

export interface HeParams {
  /** Secret-sharing ring width: plaintext modulus t = 2^ell. 2 <= ell <= 40 (see docs/he.md). */
  ell: number;
  /** Statistical security parameter for noise flooding (total statistical distance <= 2^-kappa). */
  kappa: number;
  /** Bandwidth assumed by the blocking optimizer when it weighs bytes against time (bytes/s). */
  bandwidth: number;
  /** Packed results (docs/he.md "Packed results"): SEAL's plain modulus is 2^(ell + packBits), the setup sends Galois keys for the merge tree. */
  packed?: boolean;
  /**
   * Packed contexts: tree levels the setup sends Galois keys for (1..packBits; default packBits),
   * so no product merges more than 2^galoisDepth results (docs/he.md "Galois keys"). A program's
   * key plan (src/opt/he-keys.ts) sets it per ring width; both parties derive it before the run.
   */
  galoisDepth?: number;
  /** Packed: the merge tree's level, 0 (default) or 1 (smaller keys, P capped by the flood; docs/he.md "Merging at level 1"). */
  galoisLevel?: 0 | 1;
}

/**
 * The blocking policy prices bytes at 5 MB/s, a fifth of the WAN profile (transport/sim-channel.ts
 * NETWORKS.wan, 25 MB/s): with packed results (pack.ts) BERT-base CipherPrune predicts 2.07 GB
 * instead of 2.42 GB at the WAN price for about 8 % more estimated server time (docs/he.md,
 * "Packed results"; bench/bytes). Both parties and the cost model use this value, so they choose
 * the same blockings.
 */
export const HE_BYTES_PRICE = NETWORKS.wan.bitsPerSecond / 8 / 5;
export const DEFAULT_HE_PARAMS: HeParams = { ell: 32, kappa: 40, bandwidth: HE_BYTES_PRICE, packed: true };

/** Fixed lattice parameters (see the header comment and docs/he.md). */
export const POLY_DEGREE = 8192;
/** Data primes of every chain: products at 3 primes, flooding at 2, download at 1. */
export const DATA_PRIMES = 3;
export const MAX_ELL = 40;
/** log2 of the merge tree's P (packFactor): one Galois key per tree level. */
export const PACK_BITS = 4;
/** log2 q at N = 8192 allowed for 128-bit security (HomomorphicEncryption.org standard, Table 1). */
export const MAX_LOG_Q = 218;
/** Half-width exponent of the flooding draw's high digit: E = u1 + p0*u2, u2 in [-2^U, 2^U). */
export const FLOOD_HIGH_BITS = 16;

/**
 * A level chain: the data primes' bit sizes, first (p0, kept for download) to last (p2, dropped
 * first), and the primes SEAL's CoeffModulus.Create(8192, [...bits, specialBits]) returns for them
 * (checked when a context is created), so that cost functions, which have no SEAL context, see the
 * same chain. Upload ciphertexts carry each residue of c0 in its prime's bits (compress.ts,
 * packUpload); the special prime is only in keys (key level), never in a ciphertext we send.
 */
export interface Chain {
  readonly bits: readonly number[];
  readonly primes: readonly bigint[];
  /** The special prime (key level, key switching): min(60, 218 - sum(bits)) bits. */
  readonly specialBits: number;
  readonly specialPrime: bigint;
  /** log2 P of the merge tree a packed context supports (t' = 2^(ell + packBits)). */
  readonly packBits: number;
}

/**
 * The chain for ring width e = max(ell, 32): data primes of 60, min(60, e + 22) and e + 8 bits
 * (docs/he.md, "Level chain by ring width"). p2 = 2^(e+8) divides the product noise
 * 22 T 2^(e-1) (<= 2^(e+20) for T <= 2^16.5) down to the switch's own rounding; p0 p1 >= 2^(e+82)
 * holds the 2^76 flood with 5 bits of margin (4 and 3 at e = 39, 40, where p1 reaches 60 bits); the
 * level-2 bound F/p1 = 2^(54-e) stays 2^5 below q0/(2t) = 2^(59-e) up to e = 38, so the download
 * roundings are those of three 60-bit primes. At e = 32: 60 + 54 + 40 = 154 bits per upload
 * coefficient instead of 180; at e = 37 (attention scores): 164; at e = 40: 168. The primes are
 * SEAL's CoeffModulus.Create(8192, [...bits, 20]) (checked when a context is created).
 */
// Data primes, then the special prime (at e <= 34 a second 60-bit prime: SEAL gives p0 the smaller).
const CHAIN_PRIMES: Record<number, readonly bigint[]> = {
  32: [1152921504606748673n, 18014398508400641n, 1099511480321n, 1152921504606830593n],
  33: [1152921504606748673n, 36028797018652673n, 2199023190017n, 1152921504606830593n],
  34: [1152921504606748673n, 72057594037616641n, 4398046150657n, 1152921504606830593n],
  35: [1152921504606830593n, 144115188075593729n, 8796092858369n, 288230376150876161n],
  36: [1152921504606830593n, 288230376150876161n, 17592186028033n, 72057594037616641n],
  37: [1152921504606830593n, 576460752303210497n, 35184371613697n, 18014398508400641n],
  38: [1152921504606748673n, 1152921504606830593n, 70368743669761n, 4503599627124737n],
  39: [1152921504606748673n, 1152921504606830593n, 140737488273409n, 2251799813554177n],
  40: [1152921504606748673n, 1152921504606830593n, 281474976694273n, 1125899906826241n],
};
const CHAINS = new Map<number, Chain>();

/** The level chain for ring width `ell` (both parties and the cost model derive it from ell alone). */
export function chainFor(ell: number): Chain {
  const e = Math.max(32, Math.min(MAX_ELL, ell));
  let c = CHAINS.get(e);
  if (!c) {
    const bits = [60, Math.min(60, e + 22), e + 8];
    const specialBits = Math.min(60, MAX_LOG_Q - bits.reduce((a, b) => a + b));
    const primes = CHAIN_PRIMES[e];
    CHAINS.set(e, (c = { bits, primes: primes.slice(0, DATA_PRIMES), specialBits, specialPrime: primes[DATA_PRIMES], packBits: PACK_BITS }));
  }
  return c;
}

/** P of the merge tree a packed context supports at ring width `ell` (docs/he.md, "Noise": the P limit). */
export const packFactor = (ell: number): number => 2 ** chainFor(ell).packBits;

/**
 * The largest merge the setup's Galois keys allow: 2^galoisDepth (default packFactor(ell)) in a
 * packed context, 1 unpacked. Throws on a depth outside 1..packBits.
 */
export function keyPackOf(p: Pick<HeParams, 'ell' | 'packed' | 'galoisDepth'>): number {
  if (!p.packed) return 1;
  const max = chainFor(p.ell).packBits, d = p.galoisDepth ?? max;
  if (!Number.isInteger(d) || d < 1 || d > max) throw new RangeError(`HE parameters: galoisDepth ${d} outside 1..${max} (a packed context keys at least one tree level; unpacked: packed false)`);
  return 2 ** d;
}
/** The merge tree's level (HeParams.galoisLevel): 0 or 1, 1 only in a packed context; throws otherwise. */
export function treeLevelOf(p: Pick<HeParams, 'packed' | 'galoisLevel'>): 0 | 1 {
  const l = p.galoisLevel ?? 0;
  if (l !== 0 && (l !== 1 || !p.packed)) throw new RangeError(`HE parameters: galoisLevel ${String(l)} (the merge tree runs at level 0, or 1 in a packed context)`);
  return l;
}

/** Bits of SEAL's plain modulus: ell, or ell + packBits in a packed context. */
export const plainBitsOf = (p: Pick<HeParams, 'ell' | 'packed'>): number => p.ell + (p.packed ? chainFor(p.ell).packBits : 0);

// Serialized layouts with compression "none" (SEAL 4.1): fixed sizes make the cost model exact.
/** Plaintext: SEAL header 16, parms_id 32, coeff_count 8, scale 8, DynArray header 16 + size 8. */
export const PT_DATA_OFFSET = 88;
export const PT_COUNT_OFFSET = 48;
/** Ciphertext: header 16, parms_id 32, ntt flag 1, size/N/L 24, scale 8, correction 8, DynArray 24. */
export const CT_DATA_OFFSET = 113;
/** Bytes of a ciphertext with `primes` RNS primes and 2 polynomials. */
export const ctBytes = (primes: number, n = POLY_DEGREE): number => CT_DATA_OFFSET + 2 * primes * n * 8;
/** Bytes of a seeded (symmetric or public-key) object with one expanded polynomial. */
export const seededBytes = (primes: number, n = POLY_DEGREE): number => SEEDED_OVERHEAD + primes * n * 8;
/** A seeded object is the header (CT_DATA_OFFSET bytes), c0 (primes * N u64), then the seed's 81 bytes. */
export const SEEDED_OVERHEAD = CT_DATA_OFFSET + 81;

/** The BFV context shared by both parties; create once with `await HeContext.create()`. */
export class HeContext {
  readonly seal: SealModule;
  readonly params: HeParams;
  readonly ring: Ring;
  readonly N: number;
  readonly context: SEALContext;
  readonly evaluator: Evaluator;
  /** The level chain for this ell (chainFor). */
  readonly chain: Chain;
  /** Data primes, first (kept for download) to last (dropped first). */
  readonly primes: bigint[];
  /** The share ring's modulus 2^ell (the noise rooms use it: packed results hold P*y at t'). */
  readonly t: bigint;
  /** SEAL's plain modulus is 2^plainBits: ell, or ell + packBits in a packed context (plainBitsOf). */
  readonly plainBits: number;
  /** P of the merge tree (packFactor) in a packed context, else 1. */
  readonly pack: number;
  /** The largest merge the session's Galois keys allow (keyPackOf): 2^galoisDepth packed, else 1. */
  readonly keyPack: number;
  readonly treeLevel: 0 | 1; // the merge tree's level (treeLevelOf), its Galois keys sent for it
  /** parms_id of level 0 (all data primes): where encryption and products happen. */
  readonly topParms: ParmsIdType;
  private readonly ptTemplate: Uint8Array;
  private readonly scratch: Plaintext;
  private floodTable: BigUint64Array | null = null;
  private onesNtt: Plaintext | null = null;
  private deleted = false;

  private constructor(seal: SealModule, params: HeParams) {
    this.seal = seal;
    this.params = params;
    this.ring = new Ring(params.ell);
    this.N = POLY_DEGREE;
    this.t = 1n << BigInt(params.ell);
    this.chain = chainFor(params.ell);
    this.plainBits = plainBitsOf(params);
    this.pack = params.packed ? packFactor(params.ell) : 1;
    this.keyPack = keyPackOf(params);
    this.treeLevel = treeLevelOf(params);
    const parms = new seal.EncryptionParameters(seal.SchemeType.bfv);
    const coeff = seal.CoeffModulus.Create(this.N, Int32Array.from([...this.chain.bits, this.chain.specialBits]));
    const plain = new seal.Modulus(1n << BigInt(this.plainBits));
    try {
      parms.setPolyModulusDegree(this.N);
      parms.setCoeffModulus(coeff);
      parms.setPlainModulus(plain);
      this.context = new seal.SEALContext(parms, true, seal.SecLevelType.tc128);
      if (!this.context.parametersSet()) throw new Error('SEAL rejected the encryption parameters');
      const all: bigint[] = [];
      for (let i = 0; i <= DATA_PRIMES; i++) {
        const m = coeff.get(i)!;
        all.push(m.value());
        m.delete();
      }
      this.primes = all.slice(0, DATA_PRIMES);
      if (all.some((p, i) => p !== (i < DATA_PRIMES ? this.chain.primes[i] : this.chain.specialPrime))) {
        throw new Error(`SEAL chose other primes than chainFor(${params.ell}): ${all.join(', ')}`);
      }
    } catch (e) {
      throw sealError(e, 'HeContext.create');
    } finally {
      parms.delete();
      coeff.delete();
      plain.delete();
    }
    this.evaluator = new seal.Evaluator(this.context);
    this.topParms = this.context.firstParmsId();
    this.scratch = new seal.Plaintext();
    sealLive.contexts++;
    const pt = new seal.Plaintext(this.N);
    this.ptTemplate = pt.saveToArray(seal.ComprModeType.none) as Uint8Array;
    pt.delete();
    if (this.ptTemplate.length !== PT_DATA_OFFSET + 8 * this.N) {
      this.delete();
      throw new Error('unexpected SEAL plaintext layout');
    }
  }

  static async create(params: Partial<HeParams> = {}): Promise<HeContext> {
    const p: HeParams = { ...DEFAULT_HE_PARAMS, ...params };
    if (!Number.isInteger(p.ell) || p.ell < 2 || p.ell > MAX_ELL) {
      throw new RangeError(`HE ring width ell must be an integer in 2..${MAX_ELL} (noise budget, docs/he.md), got ${p.ell}`);
    }
    if (!(p.kappa >= 40)) throw new RangeError(`statistical parameter kappa must be >= 40, got ${p.kappa}`);
    return new HeContext(await loadSeal(), p);
  }

  /**
   * Load coefficients into `pt`: `fill` writes ring elements into a zeroed coefficient view (low
   * 32-bit words `lo[2*i]` for ell <= 32, else `wide[i]`). Returns what `fill` returns (by
   * convention: whether any coefficient is nonzero). Coefficients are ring elements, reduced mod
   * 2^ell; a packed context then lifts them centred to its plain modulus t' = 2^plainBits
   * (`centre`), so SEAL sees [-2^(ell-1), 2^(ell-1)) as at t = 2^ell.
   */
  encodeInto(pt: Plaintext, fill: (lo: Uint32Array, wide: BigUint64Array | null) => boolean | void): boolean {
    const buf = this.ptTemplate.slice();
    // The coefficient area starts at byte 88 (8-aligned), so aligned typed views work.
    const lo = new Uint32Array(buf.buffer, PT_DATA_OFFSET, 2 * this.N);
    const wide = this.ring.wide ? new BigUint64Array(buf.buffer, PT_DATA_OFFSET, this.N) : null;
    const any = fill(lo, wide);
    if (this.params.ell < 32 && !wide) for (let i = 0; i < this.N; i++) lo[2 * i] &= 0xffffffff >>> (32 - this.params.ell);
    if (wide && this.params.ell < 64) {
      const m = (1n << BigInt(this.params.ell)) - 1n;
      for (let i = 0; i < this.N; i++) wide[i] &= m;
    }
    if (this.pack > 1) this.centre(lo, wide);
    try {
      pt.loadFromArray(this.context, buf);
    } catch (e) {
      throw sealError(e, 'encode plaintext');
    }
    return any !== false;
  }

  /**
   * Packed contexts (pack.ts): a ring element v >= 2^(ell-1) goes in as v - 2^ell mod t' (the same
   * mod 2^ell, all a packed result needs), so SEAL lifts every coefficient into [-2^(ell-1), 2^(ell-1))
   * as at t = 2^ell and the product noise keeps its bound 22·T·2^(ell-1) (noise.ts).
   */
  private centre(lo: Uint32Array, wide: BigUint64Array | null): void {
    const ell = this.params.ell, up = (1n << BigInt(this.plainBits)) - (1n << BigInt(ell));
    if (wide) {
      const half = 1n << BigInt(ell - 1);
      for (let i = 0; i < this.N; i++) if (wide[i] >= half) wide[i] += up;
      return;
    }
    // ell <= 32: t' - 2^ell as words; v + up < t' <= 2^36 (no carry out of the high word beyond it).
    const half = 2 ** (ell - 1), upLo = Number(up & 0xffffffffn), upHi = Number(up >> 32n);
    for (let i = 0; i < this.N; i++) {
      const v = lo[2 * i];
      if (v < half) continue;
      const s = v + upLo;
      lo[2 * i] = s >>> 0;
      lo[2 * i + 1] = upHi + (s >= 2 ** 32 ? 1 : 0);
    }
  }

  /** Coefficients of a (decrypted) plaintext, N of them, as a RingArray. */
  decode(pt: Plaintext): RingArray {
    const bytes = pt.saveToArray(this.seal.ComprModeType.none) as Uint8Array;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = Number(dv.getBigUint64(PT_COUNT_OFFSET, true));
    const out = this.ring.alloc(this.N);
    const aligned = new Uint8Array(8 * count);
    aligned.set(bytes.subarray(PT_DATA_OFFSET, PT_DATA_OFFSET + 8 * count));
    if (out instanceof Uint32Array) {
      const words = new Uint32Array(aligned.buffer);
      for (let i = 0; i < count; i++) out[i] = words[2 * i];
    } else {
      out.set(new BigUint64Array(aligned.buffer));
    }
    return this.ring.reduce(out);
  }

  /** A reusable scratch plaintext owned by the context (do not delete). */
  get scratchPlain(): Plaintext {
    return this.scratch;
  }

  /**
   * Table for the flooding draw at level 1: T[i] = ((i - 2^U) * p0) mod p1, i < 2^(U+1).
   * Built once (about 10 ms), 1 MiB.
   */
  floodResidues(): BigUint64Array {
    if (this.floodTable) return this.floodTable;
    const [p0, p1] = this.primes;
    const size = 2 ** (FLOOD_HIGH_BITS + 1);
    const table = new BigUint64Array(size);
    const step = p0 % p1;
    let v = (((-(1n << BigInt(FLOOD_HIGH_BITS)) * p0) % p1) + p1) % p1;
    for (let i = 0; i < size; i++) {
      table[i] = v;
      v += step;
      if (v >= p1) v -= p1;
    }
    this.floodTable = table;
    return table;
  }

  /**
   * A fixed nonzero plaintext (every coefficient 1) in NTT form at level 0: the stand-in that an
   * all-zero weight block is multiplied by, so the work does not depend on the weights (docs/he.md).
   * Owned by the context (do not delete).
   */
  nonzeroNtt(): Plaintext {
    if (this.onesNtt) return this.onesNtt;
    const ones = new this.seal.Plaintext();
    const ntt = new this.seal.Plaintext();
    try {
      this.encodeInto(ones, (lo, wide) => {
        if (wide) wide.fill(1n);
        else for (let i = 0; i < this.N; i++) lo[2 * i] = 1;
      });
      this.evaluator.plainTransformToNtt(ones, this.topParms, ntt);
    } catch (e) {
      ntt.delete();
      throw sealError(e, 'nonzero stand-in plaintext');
    } finally {
      ones.delete();
    }
    this.onesNtt = ntt;
    return ntt;
  }

  newCiphertext(): Ciphertext {
    return new this.seal.Ciphertext();
  }

  /** Free every SEAL object the context owns. Idempotent. */
  delete(): void {
    if (this.deleted) return;
    this.deleted = true;
    sealLive.contexts--;
    this.onesNtt?.delete();
    this.scratch.delete();
    this.topParms.delete();
    this.evaluator.delete();
    this.context.delete();
  }
}
