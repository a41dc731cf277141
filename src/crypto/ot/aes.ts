// AES building blocks for OT extension, all through node:crypto in bulk (one cipher call per
// column per chunk; ECB passes over slices of 2^13 blocks, which run several times faster than
// one pass over 16 MiB): per-OT cipher calls would be 20–50× slower (docs/ot.md).
//
// - ColumnStreams: one AES-128-CTR stream per IKNP column, keyed by a base-OT output; a stream
//   continues across calls, so both parties stay in step as long as their calls pair up.
// - Tccr: the tweakable circular-correlation-robust hash of Guo, Katz, Wang, Yu ("Efficient and
//   Secure Multiparty Computation from Fixed-Key Block Ciphers", IEEE S&P 2020, §7),
//   H(x, i) = π(π(x) ⊕ i) ⊕ π(x), with π = AES-128 under a fixed public key (ideal-permutation
//   model). Outputs longer than 128 bits use distinct tweaks per 128-bit piece.
import { createCipheriv, type Cipher } from 'node:crypto';
import { msgBytes, words } from './bits.ts';

const ZERO_IV = new Uint8Array(16);

export class ColumnStreams {
  private readonly ciphers: Cipher[];
  private zeros = new Uint8Array(0);

  constructor(keys: readonly Uint8Array[]) {
    this.ciphers = keys.map((k) => {
      if (k.length !== 16) throw new RangeError(`column key must be 16 bytes, got ${k.length}`);
      return createCipheriv('aes-128-ctr', k, ZERO_IV);
    });
  }

  get length(): number {
    return this.ciphers.length;
  }

  /** Next `bytes` bytes of column j's stream as aligned words (`bytes` % 4 == 0). */
  next(j: number, bytes: number): Uint32Array {
    if (this.zeros.length < bytes) this.zeros = new Uint8Array(bytes);
    const z = this.zeros.length === bytes ? this.zeros : this.zeros.subarray(0, bytes);
    let out: Uint8Array = this.ciphers[j].update(z);
    if (out.byteOffset % 4 !== 0) out = out.slice();
    return new Uint32Array(out.buffer, out.byteOffset, bytes >>> 2);
  }
}

/** Fixed public key of π (the digits of π, as is customary for nothing-up-my-sleeve constants). */
const FIXED_KEY = Uint8Array.from([0x24, 0x3f, 0x6a, 0x88, 0x85, 0xa3, 0x08, 0xd3, 0x13, 0x19, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x44]);

/** Domains keep tweaks of different uses apart (tweak word 3). */
export const Domain = {
  rot: 1,
  oneOfNKey: 2,
  oneOfNPad: 3,
  /** Ferret's GGM level sums (ferret/extend.ts). */
  ferret: 4,
} as const;

export interface Tweak {
  /** Counter of the first message (an integer < 2^53): unique per OT per direction per session. */
  base: number;
  /** Domain | direction: keeps different uses apart. */
  domain: number;
  /** Optional per-message third word (1-of-N: the message index). */
  sub?: Uint32Array;
  /** Messages per counter step (default 1): ctr = base + floor(index / group) · stride. */
  group?: number;
  /** Counter step (default 1). */
  stride?: number;
}

const word = (b: Uint8Array, i: number): number =>
  (b[4 * i] | (b[4 * i + 1] << 8) | (b[4 * i + 2] << 16) | (b[4 * i + 3] << 24)) >>> 0;

/**
 * Blocks per ECB call inside hash() (and ggm.ts): 2^13 blocks = 128 KB. node:crypto allocates
 * each call's output; at 128–256 KB that costs ≈ 0.2 ms of CPU per MB on the 2-core VM, at
 * 512 KB ≈ 0.5 and at 4 MB ≈ 4 (fresh pages), at 16–32 KB the per-call overhead dominates.
 */
export const HASH_SLICE = 1 << 13;
const SLICE = HASH_SLICE;

export class Tccr {
  private readonly ecb: Cipher;
  private readonly scratch = new Uint32Array(4 * SLICE);
  constructor() {
    this.ecb = createCipheriv('aes-128-ecb', FIXED_KEY, null);
    this.ecb.setAutoPadding(false);
  }

  /** π over whole blocks (16n bytes), one call. */
  perm(x: Uint8Array): Uint32Array {
    let out: Uint8Array = this.ecb.update(x);
    if (out.byteOffset % 4 !== 0) out = out.slice();
    return new Uint32Array(out.buffer, out.byteOffset, out.byteLength >>> 2);
  }

  /**
   * Hash n blocks `x` (16n bytes, each XORed with `delta` first if given) to n messages of `bits`
   * bits (stride ceil(bits/8)). Message i, 128-bit piece k, uses the tweak block
   * (ctr mod 2^32, ctr / 2^32, sub[i] or 0, domain | k << 16) with ctr = tweak.base + i (or
   * base + floor(i / group) · stride).
   */
  hash(x: Uint8Array, n: number, bits: number, tweak: Tweak, delta?: Uint8Array): Uint8Array {
    const s = msgBytes(bits);
    const out = new Uint8Array(n * s);
    const pieces = Math.ceil(bits / 128);
    const xw = words(x.subarray(0, 16 * n));
    // Work in cache-sized slices: one ECB call on ~1 MiB is several times faster than on 16 MiB.
    for (let from = 0; from < n; from += SLICE) {
      const m = Math.min(SLICE, n - from);
      let input = x.subarray(16 * from, 16 * (from + m));
      if (delta) {
        const c = this.scratch.subarray(0, 4 * m);
        const d0 = word(delta, 0), d1 = word(delta, 1), d2 = word(delta, 2), d3 = word(delta, 3);
        for (let o = 0, p = 4 * from; o < 4 * m; o += 4, p += 4) {
          c[o] = xw[p] ^ d0;
          c[o + 1] = xw[p + 1] ^ d1;
          c[o + 2] = xw[p + 2] ^ d2;
          c[o + 3] = xw[p + 3] ^ d3;
        }
        input = new Uint8Array(c.buffer, 0, 16 * m);
      }
      const a = this.perm(input);
      for (let k = 0; k < pieces; k++) {
        const b = this.scratch.subarray(0, 4 * m);
        tweakInto(a, b, m, from, tweak, (tweak.domain | (k << 16)) >>> 0);
        const c = this.perm(new Uint8Array(b.buffer, 0, 16 * m));
        for (let o = 0; o < c.length; o++) c[o] ^= a[o];
        copyPieces(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), c, out, from, m, s, k);
      }
    }
    const r = bits & 7;
    if (r !== 0) {
      const mask = (1 << r) - 1;
      for (let o = s - 1; o < out.length; o += s) out[o] &= mask;
    }
    return out;
  }

}

/** b = a ⊕ tweak for messages from .. from+m (tweak words: see hash()). */
function tweakInto(a: Uint32Array, b: Uint32Array, m: number, from: number, tw: Tweak, w3: number): void {
  const group = tw.group ?? 1, stride = tw.stride ?? 1, sub = tw.sub;
  if (group === 1 && stride === 1 && !sub) {
    for (let i = 0, o = 0; i < m; i++, o += 4) {
      const ctr = tw.base + from + i;
      b[o] = a[o] ^ (ctr >>> 0);
      b[o + 1] = a[o + 1] ^ ((ctr / 4294967296) >>> 0);
      b[o + 2] = a[o + 2];
      b[o + 3] = a[o + 3] ^ w3;
    }
    return;
  }
  for (let i = 0; i < m; ) {
    const idx = from + i;
    const ctr = tw.base + Math.floor(idx / group) * stride, lo = ctr >>> 0, hi = (ctr / 4294967296) >>> 0;
    const end = Math.min(m, i + group - (idx % group));
    for (; i < end; i++) {
      const o = 4 * i;
      b[o] = a[o] ^ lo;
      b[o + 1] = a[o + 1] ^ hi;
      b[o + 2] = sub ? a[o + 2] ^ sub[from + i] : a[o + 2];
      b[o + 3] = a[o + 3] ^ w3;
    }
  }
}

/** Copy piece k (bytes 16k .. 16k+15) of messages from .. from+m out of the hashed blocks. */
function copyPieces(cb: Uint8Array, cw: Uint32Array, out: Uint8Array, from: number, m: number, s: number, k: number): void {
  const take = Math.min(16, s - 16 * k);
  if (s === 16) {
    out.set(cb, 16 * from);
  } else if ((take & 3) === 0 && (s & 3) === 0) {
    const ow = new Uint32Array(out.buffer, out.byteOffset, out.byteLength >>> 2);
    const tw = take >>> 2, sw = s >>> 2;
    for (let i = 0, o = from * sw + 4 * k; i < m; i++, o += sw) for (let b = 0; b < tw; b++) ow[o + b] = cw[4 * i + b];
  } else if (take === 1) {
    for (let i = 0, o = from * s + 16 * k; i < m; i++, o += s) out[o] = cb[16 * i];
  } else {
    for (let i = 0, o = from * s + 16 * k; i < m; i++, o += s) for (let b = 0; b < take; b++) out[o + b] = cb[16 * i + b];
  }
}
