// GGM trees (Goldreich, Goldwasser, Micali, "How to construct random functions", JACM 1986) for
// the permutation correlations of the shuffle, and the PRG that expands a leaf to a payload row.
//
// Both are built from fixed-key AES π (aes.ts) in the Matyas–Meyer–Oseas form H(x) = π(x) ⊕ x,
// which is correlation robust in the random-permutation model (Guo, Katz, Wang, Yu, IEEE S&P 2020,
// §7): for a secret random seed s and distinct public offsets c, the values H(s ⊕ c) are
// pseudorandom. A node s has children H(s ⊕ c_L) and H(s ⊕ c_R); a leaf s expands to the 16-byte
// pieces H(s ⊕ (p, 0, 0, c_leaf)), p = 0, 1, …. Everything is batched: one AES call per slice of
// 2^15 blocks over all trees at once (per-seed cipher objects would be 20–50× slower).
//
// Punctured trees (the single-point form used by Ferret, Yang et al. CCS 2020, and by
// Chase–Ghosh–Poburinnaya, ASIACRYPT 2020): the holder of a tree offers, for each level l, the
// XOR of all left nodes K_l^0 and of all right nodes K_l^1; the other party, by one 1-of-2 OT per
// level choosing the side opposite its path to a point p, learns every leaf except leaf p.
import { Tccr } from '../ot/aes.ts';
import type { Prg } from '../prg.ts';

const pi = new Tccr();
const SLICE = 1 << 15;
/** Offsets in word 3 that keep left children, right children and leaf pieces apart. */
const C_LEFT = 0x4747_4d00, C_RIGHT = 0x4747_4d01, C_LEAF = 0x4c45_4146;

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

/** Children of every node of a level (trees side by side): node i has children 2i, 2i + 1. */
function expandLevel(nodes: Uint32Array): Uint32Array {
  const m = nodes.length >>> 2, out = new Uint32Array(8 * m);
  for (let i = 0; i < m; i++) {
    const s = 4 * i, l = 8 * i;
    out[l] = out[l + 4] = nodes[s];
    out[l + 1] = out[l + 5] = nodes[s + 1];
    out[l + 2] = out[l + 6] = nodes[s + 2];
    out[l + 3] = nodes[s + 3] ^ C_LEFT;
    out[l + 7] = nodes[s + 3] ^ C_RIGHT;
  }
  return mmoInPlace(out);
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

/** n full trees from fresh random roots, with the level sums the other party will choose from. */
export function senderTrees(prg: Prg, n: number): SenderTrees {
  const h = depth(n);
  const rb = prg.bytes(16 * n);
  let level: Uint32Array = new Uint32Array(rb.buffer.slice(rb.byteOffset, rb.byteOffset + rb.byteLength));
  const keys = new Uint32Array(n * h * 8);
  for (let l = 1; l <= h; l++) {
    level = expandLevel(level);
    const width = 1 << l;
    for (let t = 0; t < n; t++) {
      const k = ((t * h + l - 1) * 8);
      for (let i = 0; i < width; i++) {
        const o = 4 * (t * width + i), side = 4 * (i & 1);
        keys[k + side] ^= level[o];
        keys[k + side + 1] ^= level[o + 1];
        keys[k + side + 2] ^= level[o + 2];
        keys[k + side + 3] ^= level[o + 3];
      }
    }
  }
  return { n, h, leaves: level, keys };
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
  let level: Uint32Array = new Uint32Array(4 * n); // the roots: unknown
  for (let l = 1; l <= h; l++) {
    level = expandLevel(level);
    const width = 1 << l;
    for (let t = 0; t < n; t++) {
      const path = points[t] >>> (h - l), sib = path ^ 1, base = t * width;
      // The path node's children are garbage: the next path node stays unknown (zero), the
      // sibling is the chosen level sum minus every other node on its side.
      const ps = 4 * (base + path), ss = 4 * (base + sib), k = 4 * (t * h + l - 1);
      level.fill(0, ps, ps + 4);
      level.fill(0, ss, ss + 4);
      let w0 = chosen[k], w1 = chosen[k + 1], w2 = chosen[k + 2], w3 = chosen[k + 3];
      for (let i = sib & 1; i < width; i += 2) {
        const o = 4 * (base + i);
        w0 ^= level[o];
        w1 ^= level[o + 1];
        w2 ^= level[o + 2];
        w3 ^= level[o + 3];
      }
      level[ss] = w0;
      level[ss + 1] = w1;
      level[ss + 2] = w2;
      level[ss + 3] = w3;
    }
  }
  return { n, h, leaves: level };
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
