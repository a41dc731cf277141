// Fixed point fix<ell, s> over Z_{2^ell}: a real x is the signed ring element round(x * 2^s).
//
// Semantics (docs/runtime.md, "Fixed point"):
// - encode rounds to nearest, ties away from zero; values outside the signed range
//   [-2^(ell-1), 2^(ell-1)) after scaling are an error (no silent wrap-around).
// - decode reads the two's-complement signed value v and returns v / 2^s.
// - truncation by s bits is the arithmetic shift right of the signed value, i.e. floor division
//   by 2^s (rounds toward -infinity): `truncExact`. This is the plaintext twin. A secure
//   truncation protocol must state its error against it in ULPs (one ULP = 2^-s of the result);
//   e.g. local share truncation (Mohassel-Zhang, SecureML, IEEE S&P 2017) is off by at most 1
//   with overwhelming probability, faithful truncation (Huang et al., Cheetah, USENIX Sec 2022)
//   likewise. `ulpDistance` measures it in tests.
import { Ring, view32, type RingArray } from './ring.ts';

export class Fixed {
  readonly ring: Ring;
  /** Fractional bits s. */
  readonly scale: number;
  /** Size of one unit in the last place: 2^-s. */
  readonly ulp: number;

  constructor(ell: number | Ring, scale: number) {
    this.ring = typeof ell === 'number' ? new Ring(ell) : ell;
    if (!Number.isInteger(scale) || scale < 0 || scale >= this.ring.ell)
      throw new RangeError(`fixed-point scale must be an integer in 0..${this.ring.ell - 1} for Z_2^${this.ring.ell}, got ${scale}`);
    this.scale = scale;
    this.ulp = 2 ** -scale;
  }

  /** Largest and smallest representable reals (largest double that encodes, for ell > 54). */
  get max(): number {
    return (2 ** (this.ring.ell - 1) - Math.max(1, 2 ** (this.ring.ell - 54))) * this.ulp;
  }
  get min(): number {
    return -(2 ** (this.ring.ell - 1)) * this.ulp;
  }

  /** round(x * 2^s) (ties away from zero) as ring elements. Throws RangeError when out of range. */
  encode(values: ArrayLike<number>): RingArray {
    return encodeInts(this.ring, values, 2 ** this.scale, `fix<${this.ring.ell},${this.scale}>`);
  }

  /** Signed value / 2^s. Exact when |v| < 2^53. */
  decode(a: RingArray): Float64Array {
    return decodeInts(this.ring, a, this.ulp);
  }

  /** Plaintext twin of truncation: floor(v / 2^bits) (default bits = scale). */
  trunc(a: RingArray, bits = this.scale): RingArray {
    return truncExact(this.ring, a, bits);
  }

  /** Plaintext twin of a fixed-point product: trunc(a * b) by s bits. */
  mul(a: RingArray, b: RingArray): RingArray {
    return this.trunc(this.ring.mul(a, b));
  }
}

/** Exact truncation: arithmetic shift right by `bits` of the signed value (floor division by 2^bits). */
export function truncExact(ring: Ring, a: RingArray, bits: number, out?: RingArray): RingArray {
  return ring.shr(a, bits, out);
}

/**
 * Truncate and reduce: floor(v / 2^bits) as an element of Z_{2^(ell - bits)}. Equal to the low
 * ell - bits bits of the logical shift (signed and unsigned readings agree mod 2^(ell - bits)).
 */
export function truncReduce(ring: Ring, a: RingArray, bits: number): { ring: Ring; value: RingArray } {
  if (!Number.isInteger(bits) || bits < 1 || bits >= ring.ell) throw new RangeError(`truncReduce: bits must be in 1..${ring.ell - 1}, got ${bits}`);
  const to = new Ring(ring.ell - bits);
  return { ring: to, value: convertWidth(ring.shrLogical(a, bits), ring, to, false) };
}

/**
 * Change the ring width. Narrowing keeps the low `to.ell` bits (a ring homomorphism, so it is
 * also valid on additive shares). Widening sign-extends (`signed`) or zero-extends the value;
 * that is a plaintext operation only: on shares it needs a protocol (the wrap bit).
 */
export function convertWidth(a: RingArray, from: Ring, to: Ring, signed: boolean): RingArray {
  const n = a.length, out = to.alloc(n);
  const sext = signed && to.ell > from.ell;
  if (a instanceof Uint32Array) {
    const k = 32 - from.ell;
    if (out instanceof Uint32Array) {
      if (sext) for (let i = 0; i < n; i++) out[i] = (a[i] << k) >> k;
      else out.set(a);
    } else {
      const o32 = view32(out);
      for (let i = 0; i < n; i++) {
        const x = sext ? (a[i] << k) >> k : a[i];
        o32[2 * i] = x;
        o32[2 * i + 1] = sext ? x >> 31 : 0;
      }
    }
  } else {
    const a32 = view32(a);
    if (out instanceof Uint32Array) {
      for (let i = 0; i < n; i++) out[i] = a32[2 * i];
    } else {
      out.set(a);
      if (sext) {
        const o32 = view32(out), k = 64 - from.ell;
        for (let i = 1; i < 2 * n; i += 2) o32[i] = (o32[i] << k) >> k;
      }
    }
  }
  return to.reduce(out);
}

/** Largest |signed(a_i - b_i)| over i: the distance in ULPs between two fixed-point arrays. */
export function ulpDistance(ring: Ring, a: RingArray, b: RingArray): number {
  const d = ring.toSigned(ring.sub(a, b));
  let max = 0;
  for (let i = 0; i < d.length; i++) max = Math.max(max, Math.abs(d[i]));
  return max;
}

/**
 * Encode round(x * factor) as signed ring elements; `what` names the type in errors, or, as a
 * function of the element's index, gives the whole message for a value out of range.
 */
export function encodeInts(ring: Ring, values: ArrayLike<number>, factor: number, what: string | ((i: number) => string) = `Z_2^${ring.ell}`): RingArray {
  const n = values.length, out = ring.alloc(n), half = 2 ** (ring.ell - 1);
  const o32 = out instanceof Uint32Array ? out : view32(out);
  const wide = ring.wide;
  for (let i = 0; i < n; i++) {
    const v = values[i] * factor;
    let r = Math.round(v);
    if (r - v === 0.5 && v < 0) r -= 1; // ties away from zero
    if (!(r >= -half && r < half)) {
      if (typeof what === 'function') throw new RangeError(what(i));
      throw new RangeError(`cannot encode ${values[i]} (index ${i}) as ${what}: ` + (Number.isFinite(v) ? `scaled value ${r} is outside [-2^${ring.ell - 1}, 2^${ring.ell - 1})` : 'not a finite number'));
    }
    if (wide) {
      const hi = Math.floor(r / 4294967296);
      o32[2 * i] = r - hi * 4294967296;
      o32[2 * i + 1] = hi;
    } else o32[i] = r;
  }
  return ring.reduce(out);
}

/** Signed value * factor (factor = 2^-s for fixed point). */
export function decodeInts(ring: Ring, a: RingArray, factor = 1): Float64Array {
  const n = a.length, out = new Float64Array(n);
  if (a instanceof Uint32Array) {
    const k = 32 - ring.ell;
    for (let i = 0; i < n; i++) out[i] = ((a[i] << k) >> k) * factor;
  } else {
    const a32 = view32(a), k = 64 - ring.ell;
    for (let i = 0; i < n; i++) out[i] = (((a32[2 * i + 1] << k) >> k) * 4294967296 + a32[2 * i]) * factor;
  }
  return out;
}
