// Plain tensors for the reference interpreter and the executor's public/private values.
// Representation by encoding and mode:
//   fixed mode: fix<l,s> and ring<l> -> RingArray of Z_2^l (the exact values the protocol computes);
//               int -> Float64Array of integers; bool -> Uint8Array of 0/1; literals -> Float64Array.
//   float mode: every number -> Float64Array of real values; bool -> Uint8Array.
import type { Enc } from '../front/types.ts';
import { ringOf, type Ring, type RingArray } from '../crypto/ring.ts';

export type Mode = 'fixed' | 'float';
export type Data = Float64Array | RingArray | Uint8Array;

export interface Tensor {
  shape: number[];
  enc: Enc;
  data: Data;
}

export const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

export { ringOf };

/** Does this encoding live in a ring in the given mode? */
export function ringEnc(enc: Enc, mode: Mode): Ring | null {
  if (mode === 'fixed' && (enc.kind === 'fix' || enc.kind === 'ring')) return ringOf(enc.ell);
  return null;
}

export function alloc(enc: Enc, n: number, mode: Mode): Data {
  if (enc.kind === 'bool') return new Uint8Array(n);
  const r = ringEnc(enc, mode);
  return r ? r.alloc(n) : new Float64Array(n);
}

/** out[i] = data[idx[i]], for any representation. */
export function gather(data: Data, idx: ArrayLike<number>): Data {
  const n = idx.length;
  if (data instanceof BigUint64Array) {
    const out = new BigUint64Array(n);
    for (let i = 0; i < n; i++) out[i] = data[idx[i]];
    return out;
  }
  const out = new (data.constructor as new (n: number) => Float64Array | Uint32Array | Uint8Array)(n);
  for (let i = 0; i < n; i++) out[i] = (data as Float64Array)[idx[i]];
  return out;
}

/** Concatenate two arrays of the same representation. */
export function join(a: Data, b: Data): Data {
  const out = new (a.constructor as new (n: number) => Data)(a.length + b.length);
  (out as Float64Array).set(a as Float64Array);
  (out as Float64Array).set(b as Float64Array, a.length);
  return out;
}

/** Row-major strides. */
export function strides(shape: number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Index map for broadcasting `from` to `to` (trailing alignment; 1 stretches). */
export function broadcastIndex(from: number[], to: number[]): Uint32Array {
  const n = size(to);
  const idx = new Uint32Array(n);
  const off = to.length - from.length;
  const fs = strides(from);
  const ts = strides(to);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < to.length; d++) {
      const coord = Math.floor(i / ts[d]) % to[d];
      const fd = d - off;
      if (fd >= 0 && from[fd] !== 1) src += coord * fs[fd];
    }
    idx[i] = src;
  }
  return idx;
}

/** Index map of a permutation of axes: out has shape perm.map(p => shape[p]). */
export function permuteIndex(shape: number[], perm: number[]): Uint32Array {
  const outShape = perm.map((p) => shape[p]);
  const n = size(shape);
  const idx = new Uint32Array(n);
  const is = strides(shape);
  const os = strides(outShape);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let d = 0; d < outShape.length; d++) src += (Math.floor(o / os[d]) % outShape[d]) * is[perm[d]];
    idx[o] = src;
  }
  return idx;
}

/** Rows [from, to) of the second-to-last axis, for every leading index. */
export function rowRangeIndex(shape: number[], from: number, to: number): Uint32Array {
  const d = shape[shape.length - 1];
  const m = shape[shape.length - 2];
  const lead = size(shape.slice(0, -2));
  const rows = to - from;
  const idx = new Uint32Array(lead * rows * d);
  let o = 0;
  for (let b = 0; b < lead; b++) for (let r = from; r < to; r++) for (let c = 0; c < d; c++) idx[o++] = (b * m + r) * d + c;
  return idx;
}

/** Numbers as float64 (signed decoding of ring elements, without scale). */
export function toFloat(data: Data, ringEll?: number): Float64Array {
  if (data instanceof Float64Array) return data;
  if (data instanceof Uint8Array) return Float64Array.from(data);
  return ringOf(ringEll!).toSigned(data);
}

/** Concatenate arrays of one representation (the parts of a batched invocation). */
export function concatData(parts: Data[]): Data {
  const out = new (parts[0].constructor as new (n: number) => Data)(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    (out as Float64Array).set(p as Float64Array, o);
    o += p.length;
  }
  return out;
}

/** Split an array into consecutive parts of the given lengths (views, no copy). */
export function splitData(d: Data, lengths: number[]): Data[] {
  const out: Data[] = [];
  let o = 0;
  for (const n of lengths) {
    out.push(d.subarray(o, o + n) as Data);
    o += n;
  }
  if (o !== d.length) throw new Error(`internal: splitting ${d.length} values into parts of ${lengths.join(' + ')}`);
  return out;
}
