// Galois keys for the merge tree of packed results (Chen, Dai, Kim, Song 2021, PackLWEs, Alg. 2;
// docs/he.md "Galois keys"). One key per tree level: at stride s (P/2, ..., 1) the automorphism
// Y -> Y^g with g = N/s + 1 fixes the multiples of 2s and negates those = s mod 2s.
//
// node-seal 7 makes keys for chosen elements only through `createGaloisKeys*WithSteps`, which SEAL
// allows only with batching (t prime, t = 1 mod 2N); t = 2^k does not batch. Key-switching keys do
// not depend on t (they encrypt P_sp * s(Y^g) under s mod the key-level primes), so the client
// makes them with a second context that differs only in t = 65537 and the same secret key, then
// relabels them: SEAL's parms_id is a hash of the parameters (t included), stored in each
// serialized object at bytes 16..48; we write the packed context's key parms_id there. SEAL's
// default set (24 elements: 3^(+-2^i) and 2N - 1) would need no relabelling but takes about 1.6x
// the client's time (keygen context included) for 4 useful keys (docs/he.md, measured).
//
// Frame (one per ring width): for each element of galoisElements(ctx.keyPack) (only the tree
// levels the program's products use: HeParams.galoisDepth), in order, the key's DATA_PRIMES
// decomposition components, each a seeded key-level ciphertext as SEAL serializes it (compression
// none: seededBytes(KEY_PRIMES) bytes). On the wire (inside the setup message) each component, like
// the public key, carries c0's residues in their primes' bits (compress.ts packUpload: 214 of 256
// bits per coefficient at ell = 32), the SEAL header and seed as they are (packKeyFrame). The server
// unpacks it, length and every residue checked (unpackKeyFrame), rebuilds SEAL's GaloisKeys layout
// around the components (header, parms_id, one u64 count per slot (g - 1)/2) and loads it: SEAL
// checks parms_id, sizes and residues again.
//
// Keys at level 1 (HeParams.galoisLevel 1: the tree runs after the first switch, finish.ts). SEAL's
// key switch of a level-1 ciphertext uses only the decomposition components of p0 and p1 and, of
// each, the residues mod p0, p1 and the special prime. So the client sends 2 components per key,
// each with c0's residues mod those three primes only (header and seed as they are: the seed gives
// c1 mod every prime), and the server puts SEAL's layout back with zeros for what is never read
// (residues mod p2, component 2 as component 1's header and seed with c0 = 0). A key used at level 0
// would then give wrong results, never a wrong key to the client (it sees nothing of them).
import type { GaloisKeys, SecretKey, SEALContext } from 'node-seal';
import { CT_DATA_OFFSET, DATA_PRIMES, POLY_DEGREE, SEEDED_OVERHEAD, chainFor, seededBytes, sealError, type HeContext } from './seal.ts';
import { packUpload, unpackUpload, uploadBytes } from './compress.ts';

/** Primes at the key level: the data primes and the special prime. */
export const KEY_PRIMES = DATA_PRIMES + 1;
/** Bytes of one Galois key as SEAL serializes it: DATA_PRIMES seeded key-level ciphertexts. */
export const GALOIS_KEY_BYTES = DATA_PRIMES * seededBytes(KEY_PRIMES);

/** Bit widths of the key-level primes at ring width `ell`: the chain's data primes, then the special prime. */
const keyBits = (ell: number): number[] => {
  const c = chainFor(ell);
  return [...c.bits, c.specialBits];
};

/** The key-level primes at ring width `ell`, in keyBits' order. */
const keyPrimes = (ell: number): bigint[] => {
  const c = chainFor(ell);
  return [...c.primes, c.specialPrime];
};

/** Bytes of one seeded key-level object (public key, Galois key component) on the wire at ring width `ell`. */
export const keyWireBytes = (ell: number): number => uploadBytes(keyBits(ell));

/** Bytes of a seeded object's seed (after c0). */
const SEED = SEEDED_OVERHEAD - CT_DATA_OFFSET;
/** Decomposition components a Galois key is sent with for a tree at `level` (header comment). */
export const galoisComponents = (level: 0 | 1): number => (level === 1 ? 2 : DATA_PRIMES);
/** 0, 1, …, k − 1. */
const ordinals = (k: number): number[] => Array.from({ length: k }, (_, i) => i);
/** Indices of the key-level primes whose residues a Galois key component carries for a tree at `level`: at 1 p0, p1, special. */
const residuesAt = (level: 0 | 1): number[] => (level === 1 ? [0, 1, DATA_PRIMES] : ordinals(KEY_PRIMES));
/** Bytes of one Galois key component on the wire at ring width `ell` for a tree at `level`. */
export const componentWireBytes = (ell: number, level: 0 | 1): number => uploadBytes(residuesAt(level).map((i) => keyBits(ell)[i]));

/**
 * A seeded key-level object with its c0 residue blocks moved: block `from[i]` of `src` (which has
 * `n` blocks) to block `to[i]` of a result with `m` blocks (others zero); header and seed kept.
 */
function moveResidues(src: Uint8Array, n: number, m: number, from: number[], to: number[], N = POLY_DEGREE): Uint8Array {
  const out = new Uint8Array(seededBytes(m)), block = 8 * N;
  out.set(src.subarray(0, CT_DATA_OFFSET));
  from.forEach((r, i) => out.set(src.subarray(CT_DATA_OFFSET + r * block, CT_DATA_OFFSET + (r + 1) * block), CT_DATA_OFFSET + to[i] * block));
  out.set(src.subarray(CT_DATA_OFFSET + n * block), CT_DATA_OFFSET + m * block);
  return out;
}

/** Client: one SEAL key-level component (KEY_PRIMES residues) with only the residues of `level` (header, seed kept). */
function reduceComponent(ser: Uint8Array, level: 0 | 1): Uint8Array {
  const keep = residuesAt(level);
  return level === 0 ? ser : moveResidues(ser, KEY_PRIMES, keep.length, keep, ordinals(keep.length));
}

/** Server: reduceComponent's inverse, zeros for the residues it dropped (never read at `level`). */
function expandComponent(red: Uint8Array, level: 0 | 1): Uint8Array {
  const keep = residuesAt(level);
  return level === 0 ? red : moveResidues(red, keep.length, KEY_PRIMES, ordinals(keep.length), keep);
}

/** Client: a seeded key-level object (SEAL bytes, compression none) as it goes on the wire. */
export const packKey = (ser: Uint8Array, ell: number): Uint8Array => packUpload(ser, keyBits(ell));

/** Server: the SEAL bytes of a key-level object from the wire; its length and every residue checked (errors name `what`). */
export function unpackKey(wire: Uint8Array, ell: number, what: string): Uint8Array {
  return unpackUpload(wire, keyBits(ell), POLY_DEGREE, { primes: keyPrimes(ell), what });
}
/** A batching plain modulus (prime, 1 mod 2N) for the keygen context only. */
const KEYGEN_T = 65537n;
const SEAL_HEADER = 16;
const PARMS_ID = 32;

/** The tree's automorphisms for P results (power of two, 2 <= P <= N): strides s = P/2, ..., 1. */
export function galoisElements(P: number, N = POLY_DEGREE): number[] {
  if (!Number.isInteger(Math.log2(P)) || P < 1 || P > N) throw new RangeError(`merge tree of ${P} results: want a power of two in 1..${N}`);
  const out: number[] = [];
  for (let s = P / 2; s >= 1; s /= 2) out.push(N / s + 1);
  return out;
}

/** Refuse a merge of P results deeper than the session's Galois keys (keyPack results) go. */
export function checkKeyPack(P: number, keyPack: number): void {
  if (P > keyPack) {
    throw new RangeError(`HE product merges ${P} results per ciphertext, but the session's Galois keys cover merges of at most ${keyPack} (${Math.log2(keyPack)} tree levels): both parties must use the same key plan (HeParams.galoisDepth)`);
  }
}

/** Bytes of the Galois key frame for a tree of P results (SEAL's components: what the worker threads get). */
export const galoisFrameBytes = (P: number): number => galoisElements(P).length * GALOIS_KEY_BYTES;

/** Bytes of the Galois key frame for a tree of P results at `level` on the wire at ring width `ell` (packKeyFrame). */
export const galoisWireBytes = (P: number, ell: number, level: 0 | 1 = 0): number => galoisElements(P).length * galoisComponents(level) * componentWireBytes(ell, level);

/** Client: the frame (makeGaloisFrame) as it goes on the wire for a tree at `level`, each component it needs reduced and packed. */
export function packKeyFrame(frame: Uint8Array, ell: number, level: 0 | 1 = 0): Uint8Array {
  const one = seededBytes(KEY_PRIMES), keys = frame.byteLength / GALOIS_KEY_BYTES, w = componentWireBytes(ell, level), comps = galoisComponents(level);
  if (!Number.isInteger(keys)) throw new Error(`internal: Galois key frame of ${frame.byteLength} bytes`);
  const bits = residuesAt(level).map((i) => keyBits(ell)[i]), out = new Uint8Array(keys * comps * w);
  for (let k = 0; k < keys; k++) {
    for (let j = 0; j < comps; j++) {
      const at = k * GALOIS_KEY_BYTES + j * one;
      out.set(packUpload(reduceComponent(frame.subarray(at, at + one), level), bits), (k * comps + j) * w);
    }
  }
  return out;
}

/** Server: SEAL's frame of galoisElements(ctx.keyPack) from the wire (packKeyFrame's inverse at ctx.treeLevel), length and every residue checked. */
export function unpackKeyFrame(ctx: HeContext, wire: Uint8Array): Uint8Array {
  const ell = ctx.params.ell, level = ctx.treeLevel, expected = galoisWireBytes(ctx.keyPack, ell, level);
  const w = componentWireBytes(ell, level), one = seededBytes(KEY_PRIMES), comps = galoisComponents(level);
  if (wire.byteLength !== expected) throw new Error(`HE setup: Galois key frame has ${wire.byteLength} bytes on the wire, expected ${expected}`);
  const all = keyPrimes(ell), idx = residuesAt(level);
  const bits = idx.map((i) => keyBits(ell)[i]), primes = idx.map((i) => all[i]);
  const keys = expected / (comps * w), out = new Uint8Array(keys * GALOIS_KEY_BYTES);
  for (let k = 0; k < keys; k++) {
    for (let j = 0; j < comps; j++) {
      const what = `HE setup: Galois key ${k} component ${j}`;
      const red = unpackUpload(wire.subarray((k * comps + j) * w, (k * comps + j + 1) * w), bits, POLY_DEGREE, { primes, what });
      out.set(expandComponent(red, level), k * GALOIS_KEY_BYTES + j * one);
    }
    // Components a level-1 key switch never reads: the last one sent's header and seed, c0 = 0.
    for (let j = comps; j < DATA_PRIMES; j++) {
      const at = k * GALOIS_KEY_BYTES + j * one, prev = at - one;
      out.set(out.subarray(prev, prev + CT_DATA_OFFSET), at);
      out.set(out.subarray(prev + one - SEED, prev + one), at + one - SEED);
    }
  }
  return out;
}

/** Row-rotation step k with 3^k = g mod 2N (SEAL's GaloisTool generator 3; g = 1 mod 4). */
function stepOf(g: number, N: number): number {
  let x = 1;
  for (let k = 0; k < N / 2; k++, x = (x * 3) % (2 * N)) if (x === g) return k;
  throw new RangeError(`Galois element ${g} is not a power of 3 mod ${2 * N}`);
}

/** The 32 bytes of a context's key-level parms_id as SEAL serializes them. */
function keyParmsBytes(context: SEALContext): Uint8Array {
  const id = context.keyParmsId();
  try {
    return new Uint8Array(BigUint64Array.from(id.values()).buffer);
  } finally {
    id.delete();
  }
}

const u64 = (b: Uint8Array, at: number): number => Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true));

/** Client: Galois keys for galoisElements(ctx.keyPack) under `sk`, as the wire frame. */
export function makeGaloisFrame(ctx: HeContext, sk: SecretKey): Uint8Array {
  const s = ctx.seal;
  const elts = galoisElements(ctx.keyPack);
  const none = s.ComprModeType.none;
  const live: { delete(): void }[] = [];
  const keep = <T extends { delete(): void }>(x: T): T => (live.push(x), x);
  try {
    const parms = keep(new s.EncryptionParameters(s.SchemeType.bfv));
    const coeff = keep(s.CoeffModulus.Create(ctx.N, Int32Array.from([...ctx.chain.bits, ctx.chain.specialBits])));
    parms.setPolyModulusDegree(ctx.N);
    parms.setCoeffModulus(coeff);
    parms.setPlainModulus(keep(new s.Modulus(KEYGEN_T)));
    // No modulus switching chain: key generation needs the key level only.
    const kctx = keep(new s.SEALContext(parms, false, s.SecLevelType.tc128));
    if (!kctx.parametersSet()) throw new Error('SEAL rejected the keygen parameters');
    const ours = keyParmsBytes(ctx.context);
    const theirs = keyParmsBytes(kctx);
    const skBytes = (sk.saveToArray(none) as Uint8Array).slice();
    skBytes.set(theirs, SEAL_HEADER);
    const ksk = keep(new s.SecretKey());
    ksk.loadFromArray(kctx, skBytes);
    skBytes.fill(0);
    const kg = keep(new s.KeyGenerator(kctx, ksk));
    const ser = keep(kg.createGaloisKeysSerializableWithSteps(Int32Array.from(elts.map((g) => stepOf(g, ctx.N)))));
    const all = ser.saveToArray(none) as Uint8Array;
    // Walk SEAL's layout: header, parms_id, dim1, then per slot a count and that many keys.
    const frame = new Uint8Array(elts.length * GALOIS_KEY_BYTES);
    const want = new Map(elts.map((g, i) => [(g - 1) / 2, i]));
    let at = SEAL_HEADER + PARMS_ID;
    const slots = u64(all, at);
    at += 8;
    let found = 0;
    for (let slot = 0; slot < slots; slot++) {
      const parts = u64(all, at);
      at += 8;
      if (parts === 0) continue;
      const i = want.get(slot);
      const len = u64(all, at + 8) * parts;
      if (i === undefined || parts !== DATA_PRIMES || len !== GALOIS_KEY_BYTES) throw new Error(`unexpected Galois key layout at slot ${slot}`);
      const key = all.subarray(at, at + len);
      for (let j = 0; j < DATA_PRIMES; j++) key.set(ours, j * seededBytes(KEY_PRIMES) + SEAL_HEADER);
      frame.set(key, i * GALOIS_KEY_BYTES);
      at += len;
      found++;
    }
    if (found !== elts.length || at !== all.length) throw new Error('unexpected Galois key layout');
    return frame;
  } catch (e) {
    throw sealError(e, 'HE setup (client): Galois keys');
  } finally {
    for (const x of live.reverse()) x.delete();
  }
}

/** Server: load a Galois key frame for galoisElements(ctx.keyPack) on `ctx`; clear errors on a bad frame. */
export function loadGaloisFrame(ctx: HeContext, frame: Uint8Array): GaloisKeys {
  const s = ctx.seal;
  const elts = galoisElements(ctx.keyPack);
  const expected = elts.length * GALOIS_KEY_BYTES;
  if (frame.byteLength !== expected) throw new Error(`HE setup: Galois key frame has ${frame.byteLength} bytes, expected ${expected} (${elts.length} keys)`);
  const slots = (elts[elts.length - 1] - 1) / 2 + 1;
  const size = SEAL_HEADER + PARMS_ID + 8 + 8 * slots + expected;
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  // SEAL's header (magic, version, compression none) as this build writes it, then the total size.
  const empty = new s.GaloisKeys();
  try {
    bytes.set((empty.saveToArray(s.ComprModeType.none) as Uint8Array).subarray(0, 8));
  } finally {
    empty.delete();
  }
  dv.setBigUint64(8, BigInt(size), true);
  bytes.set(keyParmsBytes(ctx.context), SEAL_HEADER);
  let at = SEAL_HEADER + PARMS_ID;
  dv.setBigUint64(at, BigInt(slots), true);
  at += 8;
  const index = new Map(elts.map((g, i) => [(g - 1) / 2, i]));
  for (let slot = 0; slot < slots; slot++) {
    const i = index.get(slot);
    dv.setBigUint64(at, BigInt(i === undefined ? 0 : DATA_PRIMES), true);
    at += 8;
    if (i === undefined) continue;
    bytes.set(frame.subarray(i * GALOIS_KEY_BYTES, (i + 1) * GALOIS_KEY_BYTES), at);
    at += GALOIS_KEY_BYTES;
  }
  const gk = new s.GaloisKeys();
  try {
    gk.loadFromArray(ctx.context, bytes);
    for (const g of elts) if (!gk.hasKey(g)) throw new Error(`no key for Galois element ${g}`);
    return gk;
  } catch (e) {
    gk.delete();
    throw sealError(e, 'HE setup (server): malformed Galois keys');
  }
}
