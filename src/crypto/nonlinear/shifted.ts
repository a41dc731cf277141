// Corrections of bit-weighted correlated-OT products (ot-ops.ts `Chooser.products`), without
// their known-zero low bits.
import { ringOf, view32, type Ring, type RingArray } from '../ring.ts';
import { concatBits } from './context.ts';

// OT i of an operand's bits carries bit j = i mod kb, with correlation 2^j·Y (or ±2^j·Y) mod
// 2^ℓ: with the pads scaled by 2^j too, the correction is a multiple of 2^j and only its top
// ℓ − j bits are sent — the i-th COT of a Gilboa product carries ℓ − i bits, as in the COT-based
// multiplication of CrypTFlow2 (Rathee et al., CCS 2020) and SIRNN §4.1 (Rathee et al., S&P 2021).
// On the wire: for j = 0 .. kb − 1, the corrections of bit j (in OT order, L each) in Z_2^(ℓ−j).

/** Bytes of the corrections of `count` OTs (count/kb operand elements × kb bits), L values each. */
export function shiftedBytes(ell: number, count: number, L: number, kb: number): number {
  let bytes = 0;
  for (let j = 0; j < kb; j++) bytes += ringOf(ell - j).packedBytes((count / kb) * L);
  return bytes;
}

export function packShifted(r: Ring, d: RingArray, count: number, L: number, kb: number): Uint8Array {
  const m = count / kb, parts: Uint8Array[] = [];
  for (let j = 0; j < kb; j++) {
    const rj = ringOf(r.ell - j), v = rj.alloc(m * L);
    if (d instanceof Uint32Array) {
      const o = v as Uint32Array;
      for (let e = 0; e < m; e++) for (let l = 0, q = (e * kb + j) * L; l < L; l++, q++) o[e * L + l] = d[q] >>> j;
    } else {
      // 64-bit words through 32-bit views (BigInt shifts are slow): word q is (lo, hi) at 2q, 2q + 1.
      const d32 = view32(d), narrow = v instanceof Uint32Array, o32 = narrow ? (v as Uint32Array) : view32(v);
      for (let e = 0; e < m; e++) {
        for (let l = 0, q = (e * kb + j) * L; l < L; l++, q++) {
          const lo = d32[2 * q], hi = d32[2 * q + 1], k = e * L + l;
          const a = j === 0 ? lo : j < 32 ? (lo >>> j) | (hi << (32 - j)) : hi >>> (j - 32), b = j < 32 ? hi >>> j : 0;
          if (narrow) o32[k] = a;
          else {
            o32[2 * k] = a;
            o32[2 * k + 1] = b;
          }
        }
      }
    }
    parts.push(rj.pack(v));
  }
  return concatBits(parts); // byte strings: the same concatenation
}

export function unpackShifted(r: Ring, bytes: Uint8Array, count: number, L: number, kb: number): RingArray {
  const m = count / kb, out = r.alloc(count * L), o32 = out instanceof Uint32Array ? null : view32(out);
  let at = 0;
  for (let j = 0; j < kb; j++) {
    const rj = ringOf(r.ell - j), len = rj.packedBytes(m * L), v = rj.unpack(bytes.subarray(at, at + len), m * L);
    at += len;
    if (out instanceof Uint32Array) {
      const x = v as Uint32Array;
      for (let e = 0; e < m; e++) for (let l = 0, q = (e * kb + j) * L; l < L; l++, q++) out[q] = x[e * L + l] << j;
    } else {
      // value << j in (lo, hi) words; v's elements are one word (ℓ − j ≤ 32) or two.
      const narrow = v instanceof Uint32Array, x32 = narrow ? (v as Uint32Array) : view32(v), w = o32!;
      for (let e = 0; e < m; e++) {
        for (let l = 0, q = (e * kb + j) * L; l < L; l++, q++) {
          const k = e * L + l, lo = narrow ? x32[k] : x32[2 * k], hi = narrow ? 0 : x32[2 * k + 1];
          w[2 * q] = j < 32 ? lo << j : 0;
          w[2 * q + 1] = j === 0 ? hi : j < 32 ? (hi << j) | (lo >>> (32 - j)) : lo << (j - 32);
        }
      }
    }
  }
  return r.reduce(out);
}
