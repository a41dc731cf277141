// The ring Z_{2^ell}, 1 <= ell <= 64, on typed arrays: Uint32Array for ell <= 32 (Math.imul),
// BigUint64Array above (V8 keeps 64-bit BigInt arithmetic unboxed when the result is stored into
// a BigUint64Array). No BigInt scalars in hot loops.
import { Prg } from './prg.ts';

export type RingArray = Uint32Array | BigUint64Array;

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
      for (let i = 0; i < out.length; i++) out[i] = x[i] + y[i];
    } else {
      const x = a as BigUint64Array, y = b as BigUint64Array;
      for (let i = 0; i < out.length; i++) out[i] = x[i] + y[i];
    }
    return this.reduce(out);
  }

  sub(a: RingArray, b: RingArray, out: RingArray = this.alloc(a.length)): RingArray {
    if (out instanceof Uint32Array) {
      const x = a as Uint32Array, y = b as Uint32Array;
      for (let i = 0; i < out.length; i++) out[i] = x[i] - y[i];
    } else {
      const x = a as BigUint64Array, y = b as BigUint64Array;
      for (let i = 0; i < out.length; i++) out[i] = x[i] - y[i];
    }
    return this.reduce(out);
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
      for (let i = 0; i < out.length; i++) out[i] = Math.imul(x[i], y[i]);
    } else {
      const x = a as BigUint64Array, y = b as BigUint64Array;
      for (let i = 0; i < out.length; i++) out[i] = x[i] * y[i];
    }
    return this.reduce(out);
  }

  /** Encode signed integers (|v| < 2^53) as ring elements (two's complement mod 2^ell). */
  fromSigned(values: ArrayLike<number>): RingArray {
    const out = this.alloc(values.length);
    if (out instanceof Uint32Array) {
      for (let i = 0; i < values.length; i++) out[i] = Number(BigInt.asUintN(32, BigInt(Math.trunc(values[i]))));
    } else {
      for (let i = 0; i < values.length; i++) out[i] = BigInt.asUintN(64, BigInt(Math.trunc(values[i])));
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
      for (let i = 0; i < a.length; i++) out[i] = Number(BigInt.asIntN(this.ell, a[i]));
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
}
