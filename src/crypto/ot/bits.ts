// Bit-level formats shared by the OT engine.
//
// Choice bits: Uint8Array, one byte per OT, each 0 or 1 (never packed in the API; the engine packs
//   them internally where IKNP needs columns).
// Messages ("bit strings"): n messages of `bits` bits as one Uint8Array with a stride of
//   msgBytes(bits) = ceil(bits/8) bytes per message; bit k of a message is bit (k & 7) of its byte
//   k >> 3 (little-endian). Unused high bits of the last byte are zero in every output and are
//   ignored (masked) in every input. A 1-bit message is one byte 0/1, like a choice bit.
// Wire: messages are packed densely, n·bits bits in ceil(n·bits/8) bytes (packMsgs).
import type { RingArray } from '../ring.ts';

export const BLOCK = 16;

export const msgBytes = (bits: number): number => (bits + 7) >>> 3;

export function checkBits(bits: number, what = 'bitsPerMsg'): void {
  if (!Number.isInteger(bits) || bits < 1) throw new RangeError(`${what} must be an integer >= 1, got ${bits}`);
}

export function checkChoices(choices: Uint8Array, limit = 2, what = 'choice'): void {
  if (!(choices instanceof Uint8Array)) throw new TypeError(`${what}s must be a Uint8Array (one byte per OT)`);
  for (let i = 0; i < choices.length; i++) {
    if (choices[i] >= limit) throw new RangeError(`${what} ${i} is ${choices[i]}, must be < ${limit}`);
  }
}

/** View a byte array as 32-bit words (copies if it is not 4-byte aligned). */
export function words(b: Uint8Array): Uint32Array {
  if (b.byteOffset % 4 !== 0 || b.byteLength % 4 !== 0) {
    const c = new Uint8Array((b.byteLength + 3) & ~3);
    c.set(b);
    b = c;
  }
  return new Uint32Array(b.buffer, b.byteOffset, b.byteLength >>> 2);
}

/** Pack choice bytes [from, from+n) into columns: bit i of the result = choices[from+i]. */
export function packChoices(choices: Uint8Array, from: number, n: number, outWords: number): Uint32Array {
  const out = new Uint32Array(outWords);
  for (let i = 0; i < n; i++) out[i >>> 5] |= (choices[from + i] & 1) << (i & 31);
  return out;
}

/** Mask the unused high bits of every message in place. */
export function maskMsgs(m: Uint8Array, bits: number): Uint8Array {
  const r = bits & 7;
  if (r === 0) return m;
  const s = msgBytes(bits), mask = (1 << r) - 1;
  for (let o = s - 1; o < m.length; o += s) m[o] &= mask;
  return m;
}

/** Dense wire form of n messages (stride ceil(bits/8)) : ceil(n·bits/8) bytes. */
export function packMsgs(m: Uint8Array, n: number, bits: number): Uint8Array {
  const s = msgBytes(bits);
  if ((bits & 7) === 0) return m.byteLength === n * s ? m : m.slice(0, n * s);
  const out = new Uint8Array((n * bits + 7) >>> 3);
  if (bits === 1) {
    // Eight messages per byte, one word of output at a time.
    const full = n >>> 3;
    for (let q = 0, i = 0; q < full; q++, i += 8) {
      out[q] = (m[i] & 1) | ((m[i + 1] & 1) << 1) | ((m[i + 2] & 1) << 2) | ((m[i + 3] & 1) << 3) |
        ((m[i + 4] & 1) << 4) | ((m[i + 5] & 1) << 5) | ((m[i + 6] & 1) << 6) | ((m[i + 7] & 1) << 7);
    }
    for (let i = full << 3; i < n; i++) out[i >>> 3] |= (m[i] & 1) << (i & 7);
    return out;
  }
  if (bits === 2 || bits === 4) {
    const per = 8 / bits, lg = bits === 2 ? 2 : 1, mask = (1 << bits) - 1;
    for (let i = 0; i < n; i++) out[i >>> lg] |= (m[i] & mask) << ((i & (per - 1)) * bits);
    return out;
  }
  const last = (1 << (bits & 7)) - 1;
  let p = 0;
  for (let i = 0; i < n; i++) {
    const o = i * s;
    for (let k = 0; k < s; k++) {
      const v = k === s - 1 ? m[o + k] & last : m[o + k];
      const nb = k === s - 1 ? bits & 7 : 8;
      const q = p >>> 3, sh = p & 7;
      out[q] |= v << sh;
      if (sh + nb > 8) out[q + 1] |= v >>> (8 - sh);
      p += nb;
    }
  }
  return out;
}

/** Inverse of packMsgs. */
export function unpackMsgs(w: Uint8Array, n: number, bits: number): Uint8Array {
  const s = msgBytes(bits);
  const need = (n * bits + 7) >>> 3;
  if (w.byteLength !== need) throw new RangeError(`packed messages: expected ${need} bytes, got ${w.byteLength}`);
  if ((bits & 7) === 0) return w;
  const out = new Uint8Array(n * s);
  if (bits === 1) {
    for (let i = 0; i < n; i++) out[i] = (w[i >>> 3] >>> (i & 7)) & 1;
    return out;
  }
  if (bits === 2 || bits === 4) {
    const lg = bits === 2 ? 2 : 1, per = 8 / bits, mask = (1 << bits) - 1;
    for (let i = 0; i < n; i++) out[i] = (w[i >>> lg] >>> ((i & (per - 1)) * bits)) & mask;
    return out;
  }
  let p = 0;
  for (let i = 0; i < n; i++) {
    const o = i * s;
    for (let k = 0; k < s; k++) {
      const nb = k === s - 1 ? bits & 7 : 8;
      const q = p >>> 3, sh = p & 7;
      let v = w[q] >>> sh;
      if (sh + nb > 8) v |= w[q + 1] << (8 - sh);
      out[o + k] = v & ((1 << nb) - 1);
      p += nb;
    }
  }
  return out;
}

/**
 * XOR message `index` of densely packed messages (`packed`, the wire form of packMsgs) into
 * out[o .. o + ceil(bits/8)), without unpacking the others (a 1-of-N receiver keeps one of N).
 */
export function xorPackedMsg(packed: Uint8Array, index: number, bits: number, out: Uint8Array, o: number): void {
  const s = msgBytes(bits);
  if ((bits & 7) === 0) {
    for (let b = 0, q = index * s; b < s; b++) out[o + b] ^= packed[q + b];
    return;
  }
  let p = index * bits;
  for (let k = 0; k < s; k++, p += 8) {
    const nb = k === s - 1 ? bits & 7 : 8, q = p >>> 3, sh = p & 7;
    let v = packed[q] >>> sh;
    if (sh + nb > 8) v |= packed[q + 1] << (8 - sh);
    out[o + k] ^= v & ((1 << nb) - 1);
  }
}

/** XOR `b` into `a` (same length), word-wise where aligned. Returns a. */
export function xorInto(a: Uint8Array, b: Uint8Array): Uint8Array {
  const n = a.length;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const nw = n >>> 2;
    const aw = new Uint32Array(a.buffer, a.byteOffset, nw), bw = new Uint32Array(b.buffer, b.byteOffset, nw);
    for (let i = 0; i < nw; i++) aw[i] ^= bw[i];
    for (let i = nw << 2; i < n; i++) a[i] ^= b[i];
  } else {
    for (let i = 0; i < n; i++) a[i] ^= b[i];
  }
  return a;
}

/** Ring elements (ell bits) to messages of `ell` bits (stride ceil(ell/8)). */
export function ringToMsgs(v: RingArray, ell: number): Uint8Array {
  const s = msgBytes(ell), n = v.length;
  const src = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const w = v instanceof Uint32Array ? 4 : 8;
  if (s === w) return maskMsgs(src.slice(), ell);
  const out = new Uint8Array(n * s);
  for (let i = 0, o = 0; i < n; i++, o += s) for (let b = 0; b < s; b++) out[o + b] = src[i * w + b];
  return maskMsgs(out, ell);
}

/** Messages of `ell` bits to ring elements (Uint32Array for ell <= 32, else BigUint64Array). */
export function msgsToRing(m: Uint8Array, n: number, ell: number): RingArray {
  const s = msgBytes(ell);
  const w = ell > 32 ? 8 : 4;
  const buf = new Uint8Array(n * w);
  if (s === w) buf.set(m.subarray(0, n * s));
  else for (let i = 0, o = 0; i < n; i++, o += s) for (let b = 0; b < s; b++) buf[i * w + b] = m[o + b];
  maskRingBytes(buf, w, ell);
  return w === 8 ? new BigUint64Array(buf.buffer) : new Uint32Array(buf.buffer);
}

function maskRingBytes(buf: Uint8Array, w: number, ell: number): void {
  const r = ell & 7;
  const s = msgBytes(ell);
  if (r === 0) return;
  const mask = (1 << r) - 1;
  for (let o = s - 1; o < buf.length; o += w) buf[o] &= mask;
}
