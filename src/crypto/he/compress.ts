// Compact ciphertext frames. Uploads: a seeded ciphertext's c0 carries each residue in its prime's
// bits instead of a u64 (154 instead of 192 bits per coefficient with the ell <= 32 chain, seal.ts).
// Download compression of the result ciphertexts (Cheetah, Huang et al., USENIX Security 2022,
// Sec. 4.1): a level-2 result (c0, c1) mod p0 goes down as
//   c1: all N coefficients, each rounded to its high 60 - d1 bits;
//   c0: only the coefficients at the block's result positions, rounded to their high 60 - d0 bits;
// packed little-endian as a bit stream, one byte-aligned frame per result block. The client puts
// 2^d * value back (mod p0), zero elsewhere in c0, under a SEAL header of its own, and decrypts:
// the coefficient j of m depends on c0 only through c0[j]. The roundings are noise, bounded in
// noise.ts (downloadDrop); the frame is a function of the server's ciphertext only (post-processing
// of the flooded result, so circuit privacy is unchanged).
import type { Ciphertext } from 'node-seal';
import type { HeClientSession } from './keys.ts';
import type { Blocking, ProductKind, ProductShape } from './packing.ts';
import { noiseTerms, outIndex, packOf } from './packing.ts';
import { noiseReport, keySwitchNoise, type NoiseParams, type PackNoise } from './noise.ts';
import type { HeParams } from './seal.ts';
import { CT_DATA_OFFSET, POLY_DEGREE, SEEDED_OVERHEAD, ctBytes } from './seal.ts';

/** Bits of p0, the download prime of every chain (coefficients are < p0 < 2^60). */
export const PRIME_BITS = 60;
const TWO32 = 2 ** 32;

export interface Drop {
  d0: number;
  d1: number;
}

/** Result coefficients of one call, the C of the noise analysis (noise.ts: the client sees c0 only there). */
export const resultCoeffs = (shape: ProductShape): number => shape.heads * shape.n * shape.m;

/** The roundings of a product's results (noise.ts, downloadDrop): both parties compute them from the blocking. */
export function productDrop(np: NoiseParams & { params: Pick<HeParams, 'packed'> }, kind: ProductKind, b: Blocking, shape: ProductShape): Drop {
  const terms = noiseTerms(b, kind), coeffs = resultCoeffs(shape), pack = packNoise(np, b, !!np.params.packed);
  // Memoised per prime chain (the blocking search asks for many candidates).
  let memo = drops.get(np.primes);
  if (!memo) drops.set(np.primes, (memo = new Map()));
  const key = `${np.N} ${np.params.ell} ${np.params.kappa} ${terms} ${coeffs} ${pack ? pack.P : 0} ${np.params.galoisLevel ?? 0}`;
  let d = memo.get(key);
  if (!d) {
    const { d0, d1 } = noiseReport(np, terms, coeffs, pack).download;
    if (memo.size > 4096) memo.clear();
    memo.set(key, (d = { d0, d1 }));
  }
  return d;
}
const drops = new WeakMap<readonly bigint[], Map<string, Drop>>();

/** The merge tree of a product's results for the noise analysis (noise.ts), or undefined unpacked. */
export const packNoise = (np: NoiseParams, b: Blocking, packed: boolean): PackNoise | undefined => (packed ? { P: packOf(b), ks: keySwitchNoise(np) } : undefined);

/** Rows and columns of result block (nbi, mbi) inside the matrix (edge blocks are smaller). */
export function blockExtent(b: Blocking, shape: Pick<ProductShape, 'n' | 'm'>, nbi: number, mbi: number): [number, number] {
  return [Math.min(b.nw, shape.n - nbi * b.nw), Math.min(b.mw, shape.m - mbi * b.mw)];
}

/** Bytes of the frame of one result block with `positions` result coefficients. */
export const frameBytes = (positions: number, drop: Drop, N = POLY_DEGREE): number =>
  Math.ceil((N * (PRIME_BITS - drop.d1)) / 8) + Math.ceil((positions * (PRIME_BITS - drop.d0)) / 8);

/**
 * The frames of a row of result blocks: one per block (mb), or with packed results (pack.ts) one
 * per group of P consecutive column blocks, merged into one ciphertext.
 */
export const framesPerRow = (b: Blocking, packed: boolean): number => (packed ? Math.ceil(b.mb / packOf(b)) : b.mb);

/** The column blocks in frame `f` of a row: [first, first + count). */
export function frameMembers(b: Blocking, packed: boolean, f: number): { first: number; count: number } {
  if (!packed) return { first: f, count: 1 };
  const P = packOf(b);
  return { first: f * P, count: Math.min(P, b.mb - f * P) };
}

/**
 * Coefficient of result (i, c) of the block in slot `s` of its frame: outIndex without packing;
 * packed, i·dw·mw + c·dw + s (the raw result shifted by Y^-(dw-1), merged at stride P: pack.ts).
 */
export const framePosition = (b: Blocking, packed: boolean, i: number, c: number, s: number): number =>
  packed ? i * b.dw * b.mw + c * b.dw + s : outIndex(b, i, c);

/** Byte offsets of the frames of row block `nbi` (frames + 1 entries; the last is the message length). */
export function rowOffsets(b: Blocking, shape: Pick<ProductShape, 'n' | 'm'>, nbi: number, drop: Drop, packed = false): number[] {
  const out = [0];
  for (let f = 0; f < framesPerRow(b, packed); f++) out.push(out[f] + frameBytes(resultPositions(b, shape, nbi, f, packed).length, drop));
  return out;
}

/** Result positions (coefficient indices) of frame `f` of row `nbi`: each member block's results, row-major, in slot order. */
export function resultPositions(b: Blocking, shape: Pick<ProductShape, 'n' | 'm'>, nbi: number, f: number, packed = false): Uint32Array {
  const { first, count } = frameMembers(b, packed, f);
  const out: number[] = [];
  for (let s = 0; s < count; s++) {
    const [rows, cols] = blockExtent(b, shape, nbi, first + s);
    for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) out.push(framePosition(b, packed, i, c, s));
  }
  return Uint32Array.from(out);
}

/** 32-bit mask of the low n bits, 1 <= n <= 32. */
const maskOf = (n: number): number => (n === 32 ? 0xffffffff : (1 << n) - 1);

/** A position in a little-endian bit stream over bytes: pending bits `acc` (`bits` of them). */
class BitCursor {
  protected acc = 0;
  protected bits = 0;
  protected pos = 0;
  protected readonly buf: Uint8Array;
  constructor(buf: Uint8Array) {
    this.buf = buf;
  }
}

/** Little-endian bit stream writer (values of at most 32 bits). */
class BitWriter extends BitCursor {
  private word(w: number): void {
    const o = this.buf, p = this.pos;
    o[p] = w;
    o[p + 1] = w >>> 8;
    o[p + 2] = w >>> 16;
    o[p + 3] = w >>> 24;
    this.pos = p + 4;
  }
  /** Append x < 2^n, 1 <= n <= 32. */
  put(x: number, n: number): void {
    const b = this.bits;
    if (b + n < 32) {
      this.acc |= x << b;
      this.bits = b + n;
      return;
    }
    this.word(this.acc | (x << b));
    this.acc = b === 0 ? 0 : x >>> (32 - b);
    this.bits = b + n - 32;
  }
  /** Pad to a byte boundary. */
  align(): void {
    for (let i = 0; i < this.bits; i += 8) this.buf[this.pos++] = this.acc >>> i;
    this.acc = 0;
    this.bits = 0;
  }
}

/** Little-endian bit stream reader (values of at most 32 bits). */
class BitReader extends BitCursor {
  private word(): number {
    const s = this.buf, p = this.pos;
    this.pos = p + 4;
    return ((s[p] ?? 0) | ((s[p + 1] ?? 0) << 8) | ((s[p + 2] ?? 0) << 16) | ((s[p + 3] ?? 0) << 24)) >>> 0;
  }
  get(n: number): number {
    const b = this.bits;
    if (b >= n) {
      const x = (this.acc & maskOf(n)) >>> 0;
      this.acc = n === 32 ? 0 : this.acc >>> n;
      this.bits = b - n;
      return x;
    }
    const w = this.word();
    const x = ((this.acc | (w << b)) & maskOf(n)) >>> 0;
    const used = n - b;
    this.acc = used === 32 ? 0 : w >>> used;
    this.bits = 32 - used;
    return x;
  }
  /** Skip to the next byte boundary (give back whole bytes read ahead). */
  align(): void {
    this.pos -= this.bits >>> 3;
    this.acc = 0;
    this.bits = 0;
  }
}

/** Append round(v / 2^d) mod 2^(60-d) for v = hi*2^32 + lo < 2^60, 0 <= d < 60. */
function putRounded(w: BitWriter, hi: number, lo: number, d: number): void {
  if (d === 0) {
    w.put(lo, 32);
    w.put(hi, PRIME_BITS - 32);
    return;
  }
  if (d <= 32) {
    lo += 2 ** (d - 1);
    if (lo >= TWO32) {
      lo -= TWO32;
      hi += 1;
    }
  } else hi += 2 ** (d - 33);
  const b = PRIME_BITS - d;
  if (d < 32) {
    const l = ((lo >>> d) | (hi << (32 - d))) >>> 0;
    if (b > 32) {
      w.put(l, 32);
      w.put((hi >>> d) & maskOf(b - 32), b - 32);
    } else w.put((l & maskOf(b)) >>> 0, b);
  } else w.put(((hi >>> (d - 32)) & maskOf(b)) >>> 0, b);
}

/** Read one rounded value and write 2^d * value mod p0 = P_HI * 2^32 + P_LO into words[2j] (low) and words[2j+1] (high). */
function getScaled(r: BitReader, words: Uint32Array, j: number, d: number, P_HI: number, P_LO: number): void {
  const b = PRIME_BITS - d;
  let lo: number, hi: number;
  if (b > 32) {
    const l = r.get(32), h = r.get(b - 32);
    if (d === 0) [lo, hi] = [l, h];
    else [lo, hi] = [(l << d) >>> 0, ((h << d) | (l >>> (32 - d))) >>> 0];
  } else {
    const v = r.get(b);
    if (d < 32) [lo, hi] = [(v << d) >>> 0, v >>> (32 - d)];
    else [lo, hi] = [0, v * 2 ** (d - 32)];
  }
  if (hi > P_HI || (hi === P_HI && lo >= P_LO)) {
    lo -= P_LO;
    hi -= P_HI;
    if (lo < 0) {
      lo += TWO32;
      hi -= 1;
    }
  }
  words[2 * j] = lo;
  words[2 * j + 1] = hi;
}

/**
 * Server: the frame of one serialized level-2 result ciphertext (ctBytes(1) bytes): c1 whole, c0
 * at `positions`, rounded (module comment).
 */
export function compressResult(ct: Uint8Array, positions: Uint32Array, drop: Drop, N = POLY_DEGREE): Uint8Array {
  if (ct.byteLength !== ctBytes(1, N)) throw new Error(`compress: expected a one-prime ciphertext of ${ctBytes(1, N)} bytes, got ${ct.byteLength}`);
  const words = new Uint32Array(ct.slice(CT_DATA_OFFSET).buffer); // c0 then c1, u64 LE as word pairs
  const out = new Uint8Array(frameBytes(positions.length, drop, N));
  const w = new BitWriter(out);
  for (let j = N; j < 2 * N; j++) putRounded(w, words[2 * j + 1], words[2 * j], drop.d1);
  w.align();
  for (const j of positions) putRounded(w, words[2 * j + 1], words[2 * j], drop.d0);
  w.align();
  return out;
}

/** Client: rebuild the SEAL ciphertext bytes of a frame under `header` (a level-2 ciphertext's first bytes) mod `p0`. */
export function expandResult(frame: Uint8Array, positions: Uint32Array, drop: Drop, header: Uint8Array, p0: bigint, N = POLY_DEGREE): Uint8Array {
  if (frame.byteLength !== frameBytes(positions.length, drop, N)) {
    throw new Error(`HE product: result frame has ${frame.byteLength} bytes, expected ${frameBytes(positions.length, drop, N)}`);
  }
  const words = new Uint32Array(4 * N); // c0 then c1, u64 little-endian as word pairs
  const r = new BitReader(frame);
  const hi = Number(p0 >> 32n), lo = Number(p0 & 0xffffffffn);
  for (let j = 0; j < N; j++) getScaled(r, words, N + j, drop.d1, hi, lo);
  r.align();
  for (const j of positions) getScaled(r, words, j, drop.d0, hi, lo);
  const out = new Uint8Array(CT_DATA_OFFSET + 16 * N);
  out.set(header.subarray(0, CT_DATA_OFFSET));
  out.set(new Uint8Array(words.buffer), CT_DATA_OFFSET);
  return out;
}

const headers = new WeakMap<HeClientSession, Uint8Array>();

/** The serialization header of a level-2 (one prime), size-2 ciphertext: from one made by the client. */
export function resultHeader(sess: HeClientSession): Uint8Array {
  let h = headers.get(sess);
  if (h) return h;
  const ctx = sess.ctx;
  const pt = new ctx.seal.Plaintext();
  const ct: Ciphertext = new ctx.seal.Ciphertext();
  const ev = new ctx.seal.Evaluator(ctx.context); // the client's own: ctx.evaluator's operations are the server's
  try {
    ctx.encodeInto(pt, () => false);
    sess.encryptor.encryptSymmetric(pt, ct);
    ev.cipherModSwitchToNextInplace(ct);
    ev.cipherModSwitchToNextInplace(ct);
    const bytes = ct.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array;
    if (bytes.byteLength !== ctBytes(1, ctx.N)) throw new Error(`internal: level-2 ciphertext has ${bytes.byteLength} bytes`);
    h = bytes.slice(0, CT_DATA_OFFSET);
  } finally {
    pt.delete();
    ct.delete();
    ev.delete();
  }
  headers.set(sess, h);
  return h;
}

/** Bytes of an upload: a seeded ciphertext with c0's residues mod the chain's primes in `bits` bits each. */
export const uploadBytes = (bits: readonly number[], N = POLY_DEGREE): number =>
  SEEDED_OVERHEAD + Math.ceil((N * bits.reduce((a, b) => a + b, 0)) / 8);

/**
 * Client: the upload frame of a serialized seeded ciphertext (compression none): its header and
 * seed as they are; between them c0's residues mod prime i (< p_i < 2^bits[i], 32 < bits[i] <= 60)
 * as their low 32-bit words (3N words, a plain copy), then their high bits[i] - 32 bits as a bit
 * stream.
 */
export function packUpload(ser: Uint8Array, bits: readonly number[], N = POLY_DEGREE): Uint8Array {
  const L = bits.length, dataEnd = CT_DATA_OFFSET + 8 * L * N;
  if (ser.byteLength !== dataEnd + SEEDED_OVERHEAD - CT_DATA_OFFSET) throw new Error(`upload: expected a seeded ciphertext of ${dataEnd + SEEDED_OVERHEAD - CT_DATA_OFFSET} bytes, got ${ser.byteLength}`);
  const out = new Uint8Array(uploadBytes(bits, N));
  out.set(ser.subarray(0, CT_DATA_OFFSET));
  const words = new Uint32Array(ser.slice(CT_DATA_OFFSET, dataEnd).buffer);
  const lows = new Uint32Array(L * N);
  const hiBytes = new Uint8Array(out.byteLength - SEEDED_OVERHEAD - 4 * L * N);
  const w = new BitWriter(hiBytes);
  bits.forEach((b, i) => {
    if (!(b > 32 && b <= 60)) throw new RangeError(`upload: prime of ${b} bits (32 < bits <= 60)`);
    const n = b - 32;
    for (let j = i * N; j < (i + 1) * N; j++) {
      const hi = words[2 * j + 1];
      if (hi >>> n !== 0) throw new Error(`upload: residue above 2^${b}`);
      lows[j] = words[2 * j];
      w.put(hi, n);
    }
  });
  w.align();
  out.set(new Uint8Array(lows.buffer), CT_DATA_OFFSET);
  out.set(hiBytes, CT_DATA_OFFSET + 4 * L * N);
  out.set(ser.subarray(dataEnd), out.byteLength - (ser.byteLength - dataEnd));
  return out;
}

/**
 * Server: the SEAL bytes of an upload frame (packUpload's inverse; SEAL's load checks the residues).
 * With `check` (the keys, galois.ts) every residue is also checked against its prime here, and the
 * errors name `check.what`: a residue at or above its prime is refused, never loaded as another key.
 */
export function unpackUpload(frame: Uint8Array, bits: readonly number[], N = POLY_DEGREE, check?: { primes: readonly bigint[]; what: string }): Uint8Array {
  const what = check?.what ?? 'HE product: upload ciphertext';
  if (check && check.primes.length !== bits.length) throw new Error(`internal: ${check.primes.length} primes for ${bits.length} bit widths`);
  if (frame.byteLength !== uploadBytes(bits, N)) throw new Error(`${what} has ${frame.byteLength} bytes, expected ${uploadBytes(bits, N)}`);
  const L = bits.length, dataEnd = CT_DATA_OFFSET + 8 * L * N;
  const tail = SEEDED_OVERHEAD - CT_DATA_OFFSET;
  const out = new Uint8Array(dataEnd + tail);
  out.set(frame.subarray(0, CT_DATA_OFFSET));
  const lows = new Uint32Array(frame.slice(CT_DATA_OFFSET, CT_DATA_OFFSET + 4 * L * N).buffer);
  const words = new Uint32Array(L * N * 2);
  const r = new BitReader(frame.subarray(CT_DATA_OFFSET + 4 * L * N, frame.byteLength - tail));
  bits.forEach((b, i) => {
    const n = b - 32;
    for (let j = i * N; j < (i + 1) * N; j++) {
      words[2 * j] = lows[j];
      words[2 * j + 1] = r.get(n);
    }
    if (check) {
      const p = check.primes[i], pHi = Number(p >> 32n), pLo = Number(p & 0xffffffffn);
      for (let j = i * N; j < (i + 1) * N; j++) {
        const hi = words[2 * j + 1];
        if (hi > pHi || (hi === pHi && words[2 * j] >= pLo)) throw new Error(`${what}: coefficient ${j - i * N} mod prime ${i} (${p}) is out of range`);
      }
    }
  });
  out.set(new Uint8Array(words.buffer), CT_DATA_OFFSET);
  out.set(frame.subarray(frame.byteLength - tail), dataEnd);
  return out;
}
