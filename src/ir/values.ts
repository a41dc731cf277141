// Real numbers in and out of an encoding (docs/runtime.md, "Fixed point"; docs/language.md,
// "Encodings"). Encoding never clamps and never wraps: NaN, ±Infinity, a value outside the
// encoding's range, or a fraction where an integer is needed is an error naming the value.
import type { Enc } from '../front/types.ts';
import { encodeInts } from '../crypto/fixed.ts';
import type { RingArray } from '../crypto/ring.ts';
import { fmt } from '../crypto/ranges.ts';
import { ringEnc, toFloat, type Data, type Mode, type Tensor } from './tensor.ts';

/** Integers (`int`, public or secret) live in [−2^31, 2^31): secret ones are shares in Z_2^32. */
export const INT_LIMIT = 2 ** 31;

export const scaleOf = (enc: Enc): number => (enc.kind === 'fix' ? enc.scale : 0);

/** Real value of element data (for functions evaluated in float64). */
export function realValues(t: Tensor, mode: Mode): Float64Array {
  const r = ringEnc(t.enc, mode);
  if (!r) return toFloat(t.data);
  const v = r.toSigned(t.data as RingArray);
  const s = scaleOf(t.enc);
  if (s) for (let i = 0; i < v.length; i++) v[i] /= 2 ** s;
  return v;
}

/**
 * Encode real values into `enc`. Fixed point rounds to nearest (ties away from zero); a value
 * whose scaled magnitude leaves [−2^(ℓ−1), 2^(ℓ−1)) is an error. `ring<ℓ>` takes integers in
 * [−2^(ℓ−1), 2^ℓ) (signed or unsigned readings), `int` integers in [−2^31, 2^31), `bool` 0 or 1.
 * `what(i)` names element i in errors (e.g. "input 'x' element 3").
 */
export function encodeReal(values: ArrayLike<number>, enc: Enc, mode: Mode, what: (i: number) => string = (i) => `element ${i}`): Data {
  const bad = (i: number, why: string): never => {
    throw new RangeError(`${what(i)} = ${fmt(values[i])} ${why}`);
  };
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad(i, 'is not a finite number');
  if (enc.kind === 'bool') {
    for (let i = 0; i < values.length; i++) if (values[i] !== 0 && values[i] !== 1) bad(i, 'is not a boolean (0 or 1)');
    return Uint8Array.from(values);
  }
  if (enc.kind === 'int' || enc.kind === 'ring') {
    const lo = enc.kind === 'int' ? -INT_LIMIT : -(2 ** (enc.ell - 1)), hi = enc.kind === 'int' ? INT_LIMIT : 2 ** enc.ell;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isInteger(values[i])) bad(i, `is not an integer (${enc.kind === 'int' ? 'int' : `ring<${enc.ell}>`} holds integers)`);
      if (!(values[i] >= lo && values[i] < hi)) bad(i, `is outside the range [${fmt(lo)}, ${fmt(hi)}) of ${enc.kind === 'int' ? 'int' : `ring<${enc.ell}>`}`);
    }
  }
  const r = ringEnc(enc, mode);
  if (enc.kind === 'ring' && r) {
    const half = 2 ** (r.ell - 1);
    return encodeInts(r, Float64Array.from(values, (v) => (v >= half ? v - 2 * half : v)), 1);
  }
  if (enc.kind !== 'fix') return Float64Array.from(values);
  const h = 2 ** (enc.ell - 1 - enc.scale);
  const outside = (i: number) => `${what(i)} = ${fmt(values[i])} is outside the range [${fmt(-h)}, ${fmt(h)}) of fix<${enc.ell}, ${enc.scale}>`;
  if (r) return encodeInts(r, values, 2 ** enc.scale, outside); // checks the rounded value
  for (let i = 0; i < values.length; i++) if (!(values[i] >= -h && values[i] < h)) throw new RangeError(outside(i));
  return Float64Array.from(values);
}

/** Results of public and private arithmetic on integers must stay in the int range. */
export function checkInts(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= -INT_LIMIT && v < INT_LIMIT)) throw new RangeError(`${what} = ${fmt(v)} (element ${i}) is outside the range [−2^31, 2^31) of int`);
  }
}
