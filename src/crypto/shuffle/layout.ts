// Rows of the shuffle's payload as 32-bit words, one array per block: a ring Z_2^ℓ (ℓ ≤ 32: one
// word per element, ℓ > 32: two words, low first, as a BigUint64Array's memory) or XOR-shared
// bits (32 per word, each row padded to whole words). Arithmetic is mod 2^32 / 2^64 / XOR on the
// words; reducing mod 2^ℓ is a homomorphism, so it is applied only on the wire and at the end.
import { concatBits } from '../nonlinear/context.ts';
import { packMsgs, unpackMsgs } from '../ot/bits.ts';
import { ringOf, type RingArray } from '../ring.ts';

export type BlockSpec = { kind: 'ring'; ell: number; width: number } | { kind: 'bits'; width: number };
export type Group = 'add32' | 'add64' | 'xor';

export interface Block {
  spec: BlockSpec;
  group: Group;
  /** Words per row. */
  words: number;
  /** Word offset of this block in a PRG row (the expansion of one GGM leaf). */
  off: number;
}

/** One word array per block, n rows of `block.words` each. */
export type Rows = Uint32Array[];

export function groupOf(s: BlockSpec): Group {
  return s.kind === 'bits' ? 'xor' : s.ell > 32 ? 'add64' : 'add32';
}

export function wordsPerRow(s: BlockSpec): number {
  if (s.kind === 'bits') return Math.ceil(s.width / 32);
  return s.ell > 32 ? 2 * s.width : s.width;
}

/** dst[dOff..+len] += src[sOff..+len] in the block's group. */
export function addInto(g: Group, dst: Uint32Array, dOff: number, src: Uint32Array, sOff: number, len: number): void {
  if (g === 'add32') {
    for (let i = 0; i < len; i++) dst[dOff + i] += src[sOff + i];
  } else if (g === 'xor') {
    for (let i = 0; i < len; i++) dst[dOff + i] ^= src[sOff + i];
  } else {
    for (let i = 0; i < len; i += 2) {
      const lo = dst[dOff + i] + src[sOff + i];
      dst[dOff + i] = lo;
      dst[dOff + i + 1] += src[sOff + i + 1] + (lo > 0xffffffff ? 1 : 0);
    }
  }
}

/** dst[dOff..+len] -= src[sOff..+len] in the block's group. */
export function subInto(g: Group, dst: Uint32Array, dOff: number, src: Uint32Array, sOff: number, len: number): void {
  if (g === 'add32') {
    for (let i = 0; i < len; i++) dst[dOff + i] -= src[sOff + i];
  } else if (g === 'xor') {
    for (let i = 0; i < len; i++) dst[dOff + i] ^= src[sOff + i];
  } else {
    for (let i = 0; i < len; i += 2) {
      const lo = dst[dOff + i] - src[sOff + i];
      dst[dOff + i] = lo;
      dst[dOff + i + 1] -= src[sOff + i + 1] + (lo < 0 ? 1 : 0);
    }
  }
}

/** x[xOff..+len] += g[gOff..+len] and y[yOff..+len] ±= g[gOff..+len] in one pass (sign of y: ySign). */
export function addTwice(gr: Group, g: Uint32Array, gOff: number, x: Uint32Array, xOff: number, y: Uint32Array, yOff: number, len: number, ySign: 1 | -1): void {
  if (gr === 'add32') {
    if (ySign > 0) {
      for (let i = 0; i < len; i++) {
        const v = g[gOff + i];
        x[xOff + i] += v;
        y[yOff + i] += v;
      }
    } else {
      for (let i = 0; i < len; i++) {
        const v = g[gOff + i];
        x[xOff + i] += v;
        y[yOff + i] -= v;
      }
    }
  } else if (gr === 'xor') {
    for (let i = 0; i < len; i++) {
      const v = g[gOff + i];
      x[xOff + i] ^= v;
      y[yOff + i] ^= v;
    }
  } else {
    addInto(gr, x, xOff, g, gOff, len);
    (ySign > 0 ? addInto : subInto)(gr, y, yOff, g, gOff, len);
  }
}

export class Layout {
  readonly blocks: Block[];
  /** Words of one PRG row (all blocks). */
  readonly words: number;
  /** 16-byte AES blocks per PRG row. */
  readonly pieces: number;

  constructor(specs: BlockSpec[]) {
    let off = 0;
    this.blocks = specs.map((spec) => {
      if (spec.kind === 'ring' && !(Number.isInteger(spec.ell) && spec.ell >= 1 && spec.ell <= 64)) throw new RangeError(`ring width must be 1..64, got ${spec.ell}`);
      const b = { spec, group: groupOf(spec), words: wordsPerRow(spec), off };
      off += b.words;
      return b;
    });
    this.words = off;
    this.pieces = Math.max(1, Math.ceil(off / 4));
  }

  alloc(n: number): Rows {
    return this.blocks.map((b) => new Uint32Array(n * b.words));
  }

  /** x + y (or x − y) blockwise. */
  combine(x: Rows, y: Rows, sign: 1 | -1): Rows {
    return this.blocks.map((b, k) => {
      const out = x[k].slice();
      (sign > 0 ? addInto : subInto)(b.group, out, 0, y[k], 0, out.length);
      return out;
    });
  }

  /** Rows in the order `idx`: row i of the result is row idx[i] of x. */
  gather(x: Rows, idx: Uint32Array): Rows {
    return this.blocks.map((b, k) => {
      const w = b.words, out = new Uint32Array(idx.length * w);
      for (let i = 0; i < idx.length; i++) out.set(x[k].subarray(idx[i] * w, (idx[i] + 1) * w), i * w);
      return out;
    });
  }

  /** Exact wire size of n rows: ⌈n·width·ℓ / 8⌉ bytes per block. */
  packedBytes(n: number): number {
    return this.blocks.reduce((s, b) => s + blockBytes(b.spec, n), 0);
  }

  pack(x: Rows, n: number): Uint8Array {
    return concatBits(this.blocks.map((b, k) => packBlock(b, x[k], n)));
  }

  unpack(bytes: Uint8Array, n: number): Rows {
    if (bytes.length !== this.packedBytes(n)) throw new Error(`shuffle: expected a ${this.packedBytes(n)}-byte message, got ${bytes.length} (parties out of step)`);
    let o = 0;
    return this.blocks.map((b) => {
      const len = blockBytes(b.spec, n);
      const part = bytes.subarray(o, o + len);
      o += len;
      return unpackBlock(b, part, n);
    });
  }
}

export function blockBytes(s: BlockSpec, n: number): number {
  return s.kind === 'bits' ? Math.ceil((n * s.width) / 8) : ringOf(s.ell).packedBytes(n * s.width);
}

/** A share as block words: ring elements as they are (64-bit ones as word pairs), bits packed per row. */
export function toWords(s: BlockSpec, share: RingArray | Uint8Array, n: number): Uint32Array {
  if (s.kind === 'ring') {
    const a = share as RingArray;
    return a instanceof BigUint64Array ? new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)) : a.slice();
  }
  const bits = share as Uint8Array, w = s.width, rw = Math.ceil(w / 32), out = new Uint32Array(n * rw);
  for (let r = 0; r < n; r++) for (let j = 0; j < w; j++) out[r * rw + (j >>> 5)] |= (bits[r * w + j] & 1) << (j & 31);
  return out;
}

/** Block words back to a share (reduced mod 2^ℓ; bits one per byte). */
export function fromWords(s: BlockSpec, words: Uint32Array, n: number): RingArray | Uint8Array {
  if (s.kind === 'ring') {
    const ring = ringOf(s.ell);
    const a = s.ell > 32 ? new BigUint64Array(words.buffer.slice(words.byteOffset, words.byteOffset + words.byteLength)) : words.slice();
    return ring.reduce(a);
  }
  const w = s.width, rw = Math.ceil(w / 32), out = new Uint8Array(n * w);
  for (let r = 0; r < n; r++) for (let j = 0; j < w; j++) out[r * w + j] = (words[r * rw + (j >>> 5)] >>> (j & 31)) & 1;
  return out;
}

function packBlock(b: Block, words: Uint32Array, n: number): Uint8Array {
  const s = b.spec;
  if (s.kind === 'bits') return packMsgs(fromWords(s, words, n) as Uint8Array, n * s.width, 1);
  return ringOf(s.ell).pack(fromWords(s, words, n) as RingArray);
}

function unpackBlock(b: Block, bytes: Uint8Array, n: number): Uint32Array {
  const s = b.spec;
  if (s.kind === 'bits') return toWords(s, unpackMsgs(bytes, n * s.width, 1), n);
  return toWords(s, ringOf(s.ell).unpack(bytes, n * s.width), n);
}
