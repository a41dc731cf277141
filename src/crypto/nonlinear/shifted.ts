// Corrections of bit-weighted correlated-OT products (ot-ops.ts `Chooser.products`), without
// their known-zero low bits.
import { ringOf, type Ring, type RingArray } from '../ring.ts';
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
    for (let e = 0; e < m; e++) {
      for (let l = 0; l < L; l++) {
        const q = (e * kb + j) * L + l;
        if (d instanceof Uint32Array) (v as Uint32Array)[e * L + l] = d[q] >>> j;
        else {
          const x = (d as BigUint64Array)[q] >> BigInt(j);
          if (v instanceof Uint32Array) v[e * L + l] = Number(x);
          else v[e * L + l] = x;
        }
      }
    }
    parts.push(rj.pack(v));
  }
  return concatBits(parts); // byte strings: the same concatenation
}

export function unpackShifted(r: Ring, bytes: Uint8Array, count: number, L: number, kb: number): RingArray {
  const m = count / kb, out = r.alloc(count * L);
  let at = 0;
  for (let j = 0; j < kb; j++) {
    const rj = ringOf(r.ell - j), len = rj.packedBytes(m * L), v = rj.unpack(bytes.subarray(at, at + len), m * L);
    at += len;
    for (let e = 0; e < m; e++) {
      for (let l = 0; l < L; l++) {
        const q = (e * kb + j) * L + l;
        if (out instanceof Uint32Array) out[q] = (v as Uint32Array)[e * L + l] << j;
        else out[q] = BigInt((v as Uint32Array | BigUint64Array)[e * L + l]) << BigInt(j);
      }
    }
  }
  return r.reduce(out);
}

