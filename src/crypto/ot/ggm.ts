// GGM trees (Goldreich, Goldwasser, Micali, JACM 1986), the one implementation for Ferret's
// single-point COTs (Yang et al., CCS 2020, §3.2 and Fig. 5; ferret/extend.ts) and the shuffle's
// punctured trees (src/crypto/shuffle/ggm.ts): all t trees grow together, level by level, so every
// AES call covers a whole level (node:crypto ECB in slices of 2^13 blocks, aes.ts HASH_SLICE).
//
// Length-doubling PRG G(x) = (π0(x) ⊕ x, π1(x) ⊕ x), π0, π1 = AES-128 under two fixed public
// keys (Matyas–Meyer–Oseas form; pseudorandom for a uniform secret x in the ideal-permutation
// model, as the TCCR hash of aes.ts).
//
// Layout: level l of tree i is nodes [i·2^l, (i+1)·2^l) of one array, and node g's children are
// 2g (left, "0") and 2g + 1 (right, "1"), so leaf j of tree i sits at i·2^h + j and its path from
// the root follows the bits of j from the most significant one. Every level lives in the caller's
// output array, grown in place from the top slice down (children 2g, 2g + 1 never land on a parent
// still to be read), so an iteration touches no fresh memory beyond one slice: first touches of
// fresh pages cost more than the hashing here (≈ 3.5 ms per MB on the 2-core VM).
// Level sums: K_l^b(i) = ⊕ of tree i's level-l nodes with last bit b (l = 1..h). For Ferret the
// leaves' least significant bit is cleared before they are summed (`clearLeafLsb`: Ferret keeps
// lsb(Δ) = 1 and lsb = the choice bit on the receiver's side; ferret/cot.ts).
import { createCipheriv, createHash, type Cipher } from 'node:crypto';
import { words } from './bits.ts';
import { HASH_SLICE } from './aes.ts';

const SLICE = HASH_SLICE;

function fixedKey(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`cipherprune/ferret/ggm/${label}`).digest().subarray(0, 16));
}

function ecb(key: Uint8Array): Cipher {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return c;
}

/** Level sums of one expansion: word 8·((l−1)·t + i) + 4·b + w holds word w of K_l^b(i). */
export type LevelSums = Uint32Array;

export const sumAt = (t: number, l: number, i: number, b: number): number => 8 * ((l - 1) * t + i) + 4 * b;

export class Ggm {
  private readonly left = ecb(fixedKey('0'));
  private readonly right = ecb(fixedKey('1'));
  private readonly scratch = new Uint32Array(4 * SLICE);

  /**
   * Grow one level in place: parents [0, count) of `nodes` → children [0, 2·count), adding each
   * tree's children to its level sums at `sums[base + 8i ..]` (`per` parents per tree). With
   * `clearLsb` the children's least significant bit is cleared first (the leaf level).
   */
  private grow(nodes: Uint32Array, count: number, per: number, sums: Uint32Array, base: number, clearLsb: boolean): void {
    const mask = clearLsb ? ~1 : ~0;
    const par = this.scratch;
    for (let from = Math.floor((count - 1) / SLICE) * SLICE; from >= 0; from -= SLICE) {
      const m = Math.min(SLICE, count - from);
      par.set(nodes.subarray(4 * from, 4 * (from + m)));
      const src = new Uint8Array(par.buffer, 0, 16 * m);
      const a = words(this.left.update(src)), b = words(this.right.update(src));
      let tree = Math.floor(from / per), left = per - (from % per), s = base + 8 * tree;
      // The current tree's level sums stay in locals and go to `sums` when the tree changes.
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let g = 0, p = 0, o = 8 * from; g < m; g++, p += 4, o += 8) {
        const x0 = par[p], x1 = par[p + 1], x2 = par[p + 2], x3 = par[p + 3];
        const l0 = (a[p] ^ x0) & mask, l1 = a[p + 1] ^ x1, l2 = a[p + 2] ^ x2, l3 = a[p + 3] ^ x3;
        const r0 = (b[p] ^ x0) & mask, r1 = b[p + 1] ^ x1, r2 = b[p + 2] ^ x2, r3 = b[p + 3] ^ x3;
        nodes[o] = l0;
        nodes[o + 1] = l1;
        nodes[o + 2] = l2;
        nodes[o + 3] = l3;
        nodes[o + 4] = r0;
        nodes[o + 5] = r1;
        nodes[o + 6] = r2;
        nodes[o + 7] = r3;
        s0 ^= l0;
        s1 ^= l1;
        s2 ^= l2;
        s3 ^= l3;
        s4 ^= r0;
        s5 ^= r1;
        s6 ^= r2;
        s7 ^= r3;
        if (--left === 0 || g === m - 1) {
          sums[s] ^= s0;
          sums[s + 1] ^= s1;
          sums[s + 2] ^= s2;
          sums[s + 3] ^= s3;
          sums[s + 4] ^= s4;
          sums[s + 5] ^= s5;
          sums[s + 6] ^= s6;
          sums[s + 7] ^= s7;
          s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0;
          if (left === 0) {
            left = per;
            s += 8;
          }
        }
      }
    }
  }

  /**
   * Sender: t full trees of depth h from their roots (16t bytes), grown in `out` (at least
   * 4·t·2^h words), which ends up holding the leaves (lsb cleared). Returns the level sums of
   * every level 1..h.
   */
  expand(roots: Uint8Array, t: number, h: number, out: Uint32Array, clearLeafLsb = true): LevelSums {
    checkOut(out, t, h);
    const sums = new Uint32Array(8 * t * h);
    out.set(words(roots.slice(0, 16 * t)));
    for (let l = 1; l <= h; l++) this.grow(out, t * 2 ** (l - 1), 2 ** (l - 1), sums, sumAt(t, l, 0, 0), clearLeafLsb && l === h);
    return sums;
  }

  /**
   * Receiver: the same trees punctured at leaf alpha[i] of each tree, grown in `out`. `known(l, i)`
   * is the level sum K_l^{σ}(i) on the side σ = 1 − (bit l of alpha[i]) (from the sender's
   * message). Leaves the leaves in `out` (the punctured one is 0) and returns, per tree, ⊕ of its
   * other leaves (4 words each).
   */
  expandPunctured(t: number, h: number, alpha: Uint32Array, known: (l: number, i: number) => Uint32Array, out: Uint32Array, clearLeafLsb = true): Uint32Array {
    checkOut(out, t, h);
    const sums = new Uint32Array(8 * t * h);
    out.fill(0, 0, 4 * t); // roots unknown: 0, and their subtrees are garbage until fixed
    for (let l = 1; l <= h; l++) {
      const per = 2 ** (l - 1), size = 2 * per;
      this.grow(out, t * per, per, sums, sumAt(t, l, 0, 0), clearLeafLsb && l === h);
      for (let i = 0; i < t; i++) {
        const bit = (alpha[i] >>> (h - l)) & 1, path = alpha[i] >>> (h - l + 1);
        const sib = 4 * (i * size + 2 * path + (1 - bit)), on = 4 * (i * size + 2 * path + bit);
        const k = known(l, i), s = sumAt(t, l, i, 1 - bit), o = sumAt(t, l, i, bit);
        for (let w = 0; w < 4; w++) {
          // Every node on the sibling's side is right except the sibling itself: solve for it.
          const fixed = k[w] ^ sums[s + w] ^ out[sib + w];
          sums[s + w] = k[w];
          if (l === h) sums[o + w] ^= out[on + w]; // the path leaf leaves the sum of the others
          out[sib + w] = fixed;
          out[on + w] = 0;
        }
      }
    }
    const others = new Uint32Array(4 * t);
    if (h === 0) return others; // one-leaf trees: nothing known
    for (let i = 0; i < t; i++) {
      const s = sumAt(t, h, i, 0);
      for (let w = 0; w < 4; w++) others[4 * i + w] = sums[s + w] ^ sums[s + 4 + w];
    }
    return others;
  }
}

function checkOut(out: Uint32Array, t: number, h: number): void {
  if (out.length < 4 * t * 2 ** h) throw new RangeError(`GGM: ${t} trees of depth ${h} need ${t * 2 ** h} blocks, got ${out.length / 4}`);
}
