// The ring Z_{2^ell}, 1 <= ell <= 64, on typed arrays: Uint32Array for ell <= 32 (Math.imul),
// BigUint64Array above (V8 keeps 64-bit BigInt arithmetic unboxed when the result is stored into
// a BigUint64Array). No BigInt scalars in hot loops.
import { Prg } from './prg.ts';

export type RingArray = Uint32Array | BigUint64Array;

const rings = new Map<number, Ring>();
/** The shared Ring instance for a width (rings are immutable, so one per width serves all). */
export function ringOf(ell: number): Ring {
  let r = rings.get(ell);
  if (!r) rings.set(ell, (r = new Ring(ell)));
  return r;
}

export class Ring {
  readonly ell: number;
  /** True when elements live in a BigUint64Array. */
  readonly wide: boolean;
  /** 2^ell - 1 for the narrow form (as uint32). */
  private readonly mask32: number;
  private readonly mask64: bigint;
  /** Bytes per element on the wire. */
  readonly bytes: number;

  constructor(ell: number) {
    if (!Number.isInteger(ell) || ell < 1 || ell > 64) throw new RangeError(`ring width must be 1..64, got ${ell}`);
    this.ell = ell;
    this.wide = ell > 32;
    this.mask32 = ell >= 32 ? 0xffffffff : (2 ** ell - 1) >>> 0;
    this.mask64 = (1n << BigInt(ell)) - 1n;
    this.bytes = Math.ceil(ell / 8);
  }

  alloc(n: number): RingArray {
    return this.wide ? new BigUint64Array(n) : new Uint32Array(n);
  }

  /** Reduce every element mod 2^ell in place. */
  reduce<T extends RingArray>(a: T): T {
    if (this.ell === 32 || this.ell === 64) return a;
    if (a instanceof Uint32Array) {
      const m = this.mask32;
      for (let i = 0; i < a.length; i++) a[i] = a[i] & m;
    } else {
      const m = this.mask64;
      for (let i = 0; i < a.length; i++) a[i] = a[i] & m;
    }
    return a;
  }

  random(n: number, prg: Prg = new Prg()): RingArray {
    const out = this.alloc(n);
    prg.fill(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    return this.reduce(out);
  }

  add(a: RingArray, b: RingArray, out: RingArray = this.alloc(a.length)): RingArray {
    if (out instanceof Uint32Array) {
      const x = a as Uint32Array, y = b as Uint32Array;
      if (this.ell < 32) {
        const m = this.mask32;
        for (let i = 0; i < out.length; i++) out[i] = (x[i] + y[i]) & m;
      } else for (let i = 0; i < out.length; i++) out[i] = x[i] + y[i];
    } else {
      const x = a as BigUint64Array, y = b as BigUint64Array;
      if (this.ell < 64) {
        const m = this.mask64; // fused reduction: one pass instead of two
        for (let i = 0; i < out.length; i++) out[i] = (x[i] + y[i]) & m;
      } else for (let i = 0; i < out.length; i++) out[i] = x[i] + y[i];
    }
    return out;
  }

  sub(a: RingArray, b: RingArray, out: RingArray = this.alloc(a.length)): RingArray {
    if (out instanceof Uint32Array) {
      const x = a as Uint32Array, y = b as Uint32Array;
      if (this.ell < 32) {
        const m = this.mask32;
        for (let i = 0; i < out.length; i++) out[i] = (x[i] - y[i]) & m;
      } else for (let i = 0; i < out.length; i++) out[i] = x[i] - y[i];
    } else {
      const x = a as BigUint64Array, y = b as BigUint64Array;
      if (this.ell < 64) {
        const m = this.mask64; // fused reduction: one pass instead of two
        for (let i = 0; i < out.length; i++) out[i] = (x[i] - y[i]) & m;
      } else for (let i = 0; i < out.length; i++) out[i] = x[i] - y[i];
    }
    return out;
  }

  neg(a: RingArray, out: RingArray = this.alloc(a.length)): RingArray {
    if (out instanceof Uint32Array) {
      const x = a as Uint32Array;
      for (let i = 0; i < out.length; i++) out[i] = -x[i];
    } else {
      const x = a as BigUint64Array;
      for (let i = 0; i < out.length; i++) out[i] = -x[i];
    }
    return this.reduce(out);
  }

  /** Elementwise product. */
  mul(a: RingArray, b: RingArray, out: RingArray = this.alloc(a.length)): RingArray {
    if (out instanceof Uint32Array) {
      const x = a as Uint32Array, y = b as Uint32Array;
      if (this.ell < 32) {
        const m = this.mask32;
        for (let i = 0; i < out.length; i++) out[i] = (Math.imul(x[i], y[i])) & m;
      } else for (let i = 0; i < out.length; i++) out[i] = Math.imul(x[i], y[i]);
    } else {
      const x = a as BigUint64Array, y = b as BigUint64Array;
      if (this.ell < 64) {
        const m = this.mask64; // fused reduction: one pass instead of two
        for (let i = 0; i < out.length; i++) out[i] = (x[i] * y[i]) & m;
      } else for (let i = 0; i < out.length; i++) out[i] = x[i] * y[i];
    }
    return out;
  }

  /** Encode signed integers (|v| < 2^53) as ring elements (two's complement mod 2^ell). */
  fromSigned(values: ArrayLike<number>): RingArray {
    const n = values.length, out = this.alloc(n);
    if (out instanceof Uint32Array) {
      for (let i = 0; i < n; i++) out[i] = Math.trunc(values[i]); // ToUint32: exact mod 2^32 below 2^53
    } else {
      const o32 = view32(out);
      for (let i = 0; i < n; i++) {
        const v = Math.trunc(values[i]), hi = Math.floor(v / 4294967296);
        o32[2 * i] = v - hi * 4294967296;
        o32[2 * i + 1] = hi; // ToUint32 of a negative high word: two's complement
      }
    }
    return this.reduce(out);
  }

  /** Decode ring elements as signed integers in [-2^(ell-1), 2^(ell-1)). Exact for ell <= 53. */
  toSigned(a: RingArray): Float64Array {
    const out = new Float64Array(a.length);
    if (a instanceof Uint32Array) {
      const half = 2 ** (this.ell - 1), mod = 2 ** this.ell;
      for (let i = 0; i < a.length; i++) out[i] = a[i] >= half ? a[i] - mod : a[i];
    } else {
      const a32 = view32(a), k = 64 - this.ell;
      for (let i = 0; i < a.length; i++) out[i] = ((a32[2 * i + 1] << k) >> k) * 4294967296 + a32[2 * i];
    }
    return out;
  }

  /** Secret-share `x` additively: returns [x - r, r] with r from `prg`. */
  share(x: RingArray, prg: Prg = new Prg()): [RingArray, RingArray] {
    const r = this.random(x.length, prg);
    return [this.sub(x, r), r];
  }

  /** Serialize to little-endian bytes (4 or 8 per element; views share memory when aligned). */
  toBytes(a: RingArray): Uint8Array {
    return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  }

  fromBytes(bytes: Uint8Array): RingArray {
    const width = this.wide ? 8 : 4;
    if (bytes.byteLength % width !== 0) throw new RangeError(`ring payload of ${bytes.byteLength} bytes is not a multiple of ${width}`);
    const copy = bytes.byteOffset % width === 0 ? bytes : bytes.slice();
    return this.wide
      ? new BigUint64Array(copy.buffer, copy.byteOffset, copy.byteLength / 8)
      : new Uint32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
  }

  // ---- Kernels for fixed point and plaintext twins (all results reduced mod 2^ell) ----
  // 64-bit shifts go through 32-bit lo/hi views: V8 lowers BigInt add/sub/mul/and stored into a
  // BigUint64Array, but not BigInt shifts (about 20-30 ns/element instead of about 3).

  /**
   * Arithmetic shift right by `s` (0 <= s <= ell) of the signed value: floor(v / 2^s) mod 2^ell,
   * v in [-2^(ell-1), 2^(ell-1)). This is exact fixed-point truncation (`truncExact`).
   */
  shr(a: RingArray, s: number, out: RingArray = this.alloc(a.length)): RingArray {
    this.checkShift(s);
    const ell = this.ell;
    if (out instanceof Uint32Array) {
      const x = a as Uint32Array;
      const k = 32 - ell, sh = Math.min(k + s, 31), m = this.mask32;
      for (let i = 0; i < out.length; i++) out[i] = ((x[i] << k) >> sh) & m;
      return out;
    }
    const x32 = view32(a), o32 = view32(out);
    const k = 64 - ell; // sign-extension shift for the high word (0..31)
    const hm = 0xffffffff >>> k; // mask of the high word: the reduction, fused
    const n2 = 2 * out.length;
    if (s === 0) {
      o32.set(x32.subarray(0, n2));
    } else if (s < 32) {
      const r = 32 - s;
      for (let i = 0; i < n2; i += 2) {
        const hi = (x32[i + 1] << k) >> k;
        o32[i] = (x32[i] >>> s) | (hi << r);
        o32[i + 1] = (hi >> s) & hm;
      }
    } else {
      const t = Math.min(s - 32, 31);
      for (let i = 0; i < n2; i += 2) {
        const hi = (x32[i + 1] << k) >> k;
        o32[i] = hi >> t;
        o32[i + 1] = (hi >> 31) & hm;
      }
    }
    return out;
  }

  /** Logical shift right by `s` (0 <= s <= ell) of the unsigned value: floor(x / 2^s). */
  shrLogical(a: RingArray, s: number, out: RingArray = this.alloc(a.length)): RingArray {
    this.checkShift(s);
    if (out instanceof Uint32Array) {
      const x = a as Uint32Array;
      if (s >= 32) out.fill(0);
      else for (let i = 0; i < out.length; i++) out[i] = x[i] >>> s;
      return out;
    }
    const x32 = view32(a), o32 = view32(out);
    const n2 = 2 * out.length;
    if (s === 0) o32.set(x32.subarray(0, n2));
    else if (s < 32) {
      const r = 32 - s;
      for (let i = 0; i < n2; i += 2) {
        const hi = x32[i + 1];
        o32[i] = (x32[i] >>> s) | (hi << r);
        o32[i + 1] = hi >>> s;
      }
    } else {
      const t = s - 32;
      for (let i = 0; i < n2; i += 2) {
        o32[i] = t >= 32 ? 0 : x32[i + 1] >>> t;
        o32[i + 1] = 0;
      }
    }
    return out;
  }

  /** Shift left by `s` (0 <= s < ell): multiplication by 2^s. */
  shl(a: RingArray, s: number, out: RingArray = this.alloc(a.length)): RingArray {
    this.checkShift(s);
    if (out instanceof Uint32Array) {
      const x = a as Uint32Array;
      if (s >= 32) out.fill(0);
      else for (let i = 0; i < out.length; i++) out[i] = x[i] << s;
      return this.reduce(out);
    }
    return this.mulScalar(a, 2n ** BigInt(s), out);
  }

  /** Multiply every element by the public constant `c` (an integer, taken mod 2^ell). */
  mulScalar(a: RingArray, c: number | bigint, out: RingArray = this.alloc(a.length)): RingArray {
    const cb = BigInt.asUintN(64, typeof c === 'bigint' ? c : BigInt(checkInt(c)));
    if (out instanceof Uint32Array) {
      const x = a as Uint32Array, k = Number(cb & 0xffffffffn);
      const m = this.mask32;
      for (let i = 0; i < out.length; i++) out[i] = (Math.imul(x[i], k)) & m;
    } else {
      const x = a as BigUint64Array;
      const m = this.mask64;
      for (let i = 0; i < out.length; i++) out[i] = (x[i] * cb) & m;
    }
    return out;
  }

  /** Add the public constant `c` (an integer, taken mod 2^ell) to every element. */
  addScalar(a: RingArray, c: number | bigint, out: RingArray = this.alloc(a.length)): RingArray {
    const cb = BigInt.asUintN(64, typeof c === 'bigint' ? c : BigInt(checkInt(c)));
    if (out instanceof Uint32Array) {
      const x = a as Uint32Array, k = Number(cb & 0xffffffffn);
      const m = this.mask32;
      for (let i = 0; i < out.length; i++) out[i] = (x[i] + k) & m;
    } else {
      const x = a as BigUint64Array;
      const m = this.mask64;
      for (let i = 0; i < out.length; i++) out[i] = (x[i] + cb) & m;
    }
    return out;
  }

  /** Row-major matrix product: a is m x k, b is k x n, result m x n (mod 2^ell). */
  matmul(a: RingArray, b: RingArray, m: number, k: number, n: number, out: RingArray = this.alloc(m * n)): RingArray {
    if (a.length !== m * k || b.length !== k * n || out.length !== m * n)
      throw new RangeError(`matmul shapes: a has ${a.length} (want ${m}x${k}), b has ${b.length} (want ${k}x${n}), out has ${out.length}`);
    if (out instanceof Uint32Array) {
      const x = a as Uint32Array, y = b as Uint32Array;
      out.fill(0);
      for (let i = 0; i < m; i++) {
        const co = i * n;
        for (let t = 0; t < k; t++) {
          const xit = x[i * k + t], bo = t * n;
          for (let j = 0; j < n; j++) out[co + j] += Math.imul(xit, y[bo + j]);
        }
      }
    } else {
      const x = a as BigUint64Array, y = b as BigUint64Array;
      out.fill(0n);
      for (let i = 0; i < m; i++) {
        const co = i * n;
        for (let t = 0; t < k; t++) {
          const xit = x[i * k + t], bo = t * n;
          for (let j = 0; j < n; j++) out[co + j] += xit * y[bo + j];
        }
      }
    }
    return this.reduce(out);
  }

  /** Sum along the last axis: a is rows x cols (row-major), result has `rows` elements. */
  sumLast(a: RingArray, cols: number, out?: RingArray): RingArray {
    if (!Number.isInteger(cols) || cols < 1 || a.length % cols !== 0)
      throw new RangeError(`sumLast: ${a.length} elements do not split into rows of ${cols}`);
    const rows = a.length / cols;
    const o = out ?? this.alloc(rows);
    if (o.length !== rows) throw new RangeError(`sumLast: out has ${o.length} elements, want ${rows}`);
    if (o instanceof Uint32Array) {
      const x = a as Uint32Array;
      for (let r = 0; r < rows; r++) {
        let acc = 0;
        const base = r * cols;
        for (let j = 0; j < cols; j++) acc = (acc + x[base + j]) | 0;
        o[r] = acc;
      }
    } else {
      const x = a as BigUint64Array;
      o.fill(0n);
      for (let r = 0; r < rows; r++) {
        const base = r * cols;
        for (let j = 0; j < cols; j++) o[r] += x[base + j];
      }
    }
    return this.reduce(o);
  }

  // ---- Compact wire format: exactly ceil(ell * n / 8) bytes ----

  /** Bytes that `pack` produces for `n` elements. */
  packedBytes(n: number): number {
    return Math.ceil((this.ell * n) / 8);
  }

  /**
   * Bit-pack `a` into exactly ceil(ell * n / 8) bytes: element i occupies bits
   * [i*ell, (i+1)*ell) of the little-endian bit string (least significant bit first); unused
   * bits of the last byte are zero. Elements must be reduced (as every Ring op leaves them).
   */
  pack(a: RingArray): Uint8Array {
    const n = a.length, ell = this.ell, len = this.packedBytes(n);
    if (ell === 8 || ell === 16 || ell === 32 || ell === 64) {
      if (ell === 32 || ell === 64) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
      const out = ell === 8 ? new Uint8Array(n) : new Uint16Array(n);
      out.set(a as Uint32Array);
      return new Uint8Array(out.buffer, 0, len);
    }
    const words = new Uint32Array(Math.ceil(len / 4) + 1);
    if (a instanceof Uint32Array) packBits(words, a, 1, 0, ell, 0);
    else {
      const a32 = view32(a);
      packBits(words, a32, 2, 0, 32, 0, ell); // low words, 32 bits each, then high bits
    }
    return new Uint8Array(words.buffer, 0, len);
  }

  /** Inverse of `pack`; `bytes` must be exactly ceil(ell * n / 8) long with zero padding bits. */
  unpack(bytes: Uint8Array, n: number): RingArray {
    const ell = this.ell, len = this.packedBytes(n);
    if (bytes.byteLength !== len) throw new RangeError(`packed Z_2^${ell} payload for ${n} elements must be ${len} bytes, got ${bytes.byteLength}`);
    const out = this.alloc(n);
    if (ell === 8 || ell === 16 || ell === 32 || ell === 64) {
      const src = ell === 8 ? bytes : ell === 16 ? new Uint16Array(bytes.slice().buffer) : null;
      if (src) (out as Uint32Array).set(src);
      else new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    const words = new Uint32Array(Math.ceil(len / 4) + 1);
    new Uint8Array(words.buffer).set(bytes);
    const padBits = len * 8 - ell * n;
    if (padBits > 0 && bytes[len - 1] >>> (8 - padBits) !== 0) throw new RangeError(`packed Z_2^${ell} payload has nonzero padding bits`);
    if (out instanceof Uint32Array) unpackBits(words, out, 1, 0, ell, 0);
    else unpackBits(words, view32(out), 2, 0, 32, 0, ell);
    return out;
  }

  private checkShift(s: number): void {
    if (!Number.isInteger(s) || s < 0 || s > this.ell) throw new RangeError(`shift must be an integer in 0..${this.ell}, got ${s}`);
  }
}

/** 32-bit little-endian view of a ring array (lo word at even index for BigUint64Array). */
export function view32(a: RingArray): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.byteLength / 4);
}

function checkInt(c: number): number {
  if (!Number.isSafeInteger(c)) throw new RangeError(`ring scalar must be a safe integer or a bigint, got ${c}`);
  return c;
}

/**
 * Write elements of `width` bits (1..32) taken from src[first], src[first + stride], ... into the
 * bit stream `words`. For 64-bit rings `hiWidth` > 32 means each element is a (lo, hi) word pair:
 * lo is written with 32 bits, then hi with hiWidth - 32 bits.
 */
function packBits(words: Uint32Array, src: Uint32Array, stride: number, first: number, width: number, bit: number, hiWidth = 0): void {
  const hw = hiWidth - 32;
  for (let i = first; i < src.length; i += stride) {
    bit = putBits(words, bit, src[i], width);
    if (hw > 0) bit = putBits(words, bit, src[i + 1], hw);
  }
}

function putBits(words: Uint32Array, bit: number, x: number, width: number): number {
  const w = bit >>> 5, off = bit & 31;
  words[w] |= x << off;
  if (off + width > 32) words[w + 1] |= x >>> (32 - off);
  return bit + width;
}

function unpackBits(words: Uint32Array, dst: Uint32Array, stride: number, first: number, width: number, bit: number, hiWidth = 0): void {
  const hw = hiWidth - 32;
  for (let i = first; i < dst.length; i += stride) {
    dst[i] = getBits(words, bit, width);
    bit += width;
    if (hw > 0) {
      dst[i + 1] = getBits(words, bit, hw);
      bit += hw;
    }
  }
}

function getBits(words: Uint32Array, bit: number, width: number): number {
  const w = bit >>> 5, off = bit & 31;
  let x = words[w] >>> off;
  if (off + width > 32) x |= words[w + 1] << (32 - off);
  return width === 32 ? x >>> 0 : (x & (0xffffffff >>> (32 - width))) >>> 0;
}
