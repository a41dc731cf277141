// GGM trees (Goldreich, Goldwasser, Micali, "How to construct random functions", JACM 1986) for
// the permutation correlations of the shuffle — grown by the OT layer's implementation
// (src/crypto/ot/ggm.ts, shared with Ferret), in the layout the shuffle's OTs use — and the PRG
// that expands a leaf to a payload row.
//
// The leaf PRG is fixed-key AES π (aes.ts) in the Matyas–Meyer–Oseas form H(x) = π(x) ⊕ x,
// which is correlation robust in the random-permutation model (Guo, Katz, Wang, Yu, IEEE S&P 2020,
// §7): for a secret random seed s and distinct public offsets c, the values H(s ⊕ c) are
// pseudorandom; a leaf s expands to the 16-byte pieces H(s ⊕ (p, 0, 0, c_leaf)), p = 0, 1, ….
// Batched: one AES call per slice of 2^15 blocks (per-seed cipher objects would be 20–50× slower).
//
// Punctured trees (the single-point form used by Ferret, Yang et al. CCS 2020, and by
// Chase–Ghosh–Poburinnaya, ASIACRYPT 2020): the holder of a tree offers, for each level l, the
// XOR of all left nodes K_l^0 and of all right nodes K_l^1; the other party, by one 1-of-2 OT per
// level choosing the side opposite its path to a point p, learns every leaf except leaf p.
import { Tccr } from '../ot/aes.ts';
import { Ggm, sumAt } from '../ot/ggm.ts';
import type { Prg } from '../prg.ts';

const pi = new Tccr();
const SLICE = 1 << 15;
/** Offset in word 3 that keeps leaf pieces apart from the leaves themselves. */
const C_LEAF = 0x4c45_4146;

/** Tree depth for n leaves: ⌈log2 n⌉ (0 for n ≤ 1). */
export const depth = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));

/** H(x) = π(x) ⊕ x for every 16-byte block of `x`, in place. */
function mmoInPlace(x: Uint32Array): Uint32Array {
  const blocks = x.length >>> 2;
  for (let from = 0; from < blocks; from += SLICE) {
    const m = Math.min(SLICE, blocks - from);
    const part = x.subarray(4 * from, 4 * (from + m));
    const c = pi.perm(new Uint8Array(part.buffer, part.byteOffset, 16 * m));
    for (let i = 0; i < part.length; i++) part[i] ^= c[i];
  }
  return x;
}

export interface Trees {
  n: number;
  h: number;
  /** n trees × 2^h leaves × 4 words. */
  leaves: Uint32Array;
}

export interface SenderTrees extends Trees {
  /** Per tree and level (1..h): K^0 then K^1, 4 words each: (t·h + l − 1)·8 + side·4. */
  keys: Uint32Array;
}

/** The GGM trees of the OT layer (src/crypto/ot/ggm.ts), leaves kept whole. */
const ggm = new Ggm();

/** n full trees from fresh random roots, with the level sums the other party will choose from. */
export function senderTrees(prg: Prg, n: number): SenderTrees {
  const h = depth(n);
  const leaves = new Uint32Array(4 * n * 2 ** h);
  const sums = ggm.expand(prg.bytes(16 * n), n, h, leaves, false);
  const keys = new Uint32Array(n * h * 8);
  for (let t = 0; t < n; t++) for (let l = 1; l <= h; l++) keys.set(sums.subarray(sumAt(n, l, t, 0), sumAt(n, l, t, 0) + 8), (t * h + l - 1) * 8);
  return { n, h, leaves, keys };
}

/** OT choices of the party that punctures tree t at points[t]: at level l, the side off its path. */
export function punctureChoices(points: Uint32Array, h: number): Uint8Array {
  const c = new Uint8Array(points.length * h);
  for (let t = 0; t < points.length; t++) for (let l = 1; l <= h; l++) c[t * h + l - 1] = 1 - ((points[t] >>> (h - l)) & 1);
  return c;
}

/**
 * Every leaf of tree t except leaf points[t] (left zero), from the chosen level sums
 * `chosen` (4 words per tree and level, in punctureChoices order).
 */
export function puncturedTrees(n: number, h: number, chosen: Uint32Array, points: Uint32Array): Trees {
  const leaves = new Uint32Array(4 * n * 2 ** h);
  ggm.expandPunctured(n, h, points, (l, t) => chosen.subarray(4 * (t * h + l - 1), 4 * (t * h + l)), leaves, false);
  return { n, h, leaves };
}

/**
 * PRG rows of `count` consecutive leaves starting at leaf `from`: P pieces (4P words) per leaf,
 * leaf-major. Written into `into` when it is large enough (callers reuse one buffer per tree).
 */
export function leafRows(leaves: Uint32Array, from: number, count: number, P: number, into?: Uint32Array): Uint32Array {
  const len = count * 4 * P;
  const out = into && into.length >= len ? into.subarray(0, len) : new Uint32Array(len);
  for (let j = 0; j < count; j++) {
    const s = 4 * (from + j), s0 = leaves[s], s1 = leaves[s + 1], s2 = leaves[s + 2], s3 = leaves[s + 3] ^ C_LEAF;
    for (let p = 0, o = j * 4 * P; p < P; p++, o += 4) {
      out[o] = s0 ^ p;
      out[o + 1] = s1;
      out[o + 2] = s2;
      out[o + 3] = s3;
    }
  }
  return mmoInPlace(out);
}
