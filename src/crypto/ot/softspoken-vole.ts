// The pieces of SoftSpokenOT's small-field VOLE (L. Roy, "SoftSpokenOT: Quieter OT Extension from
// Small-Field Silent VOLE in the Minicrypt Model", CRYPTO 2022), semi-honest, κ = 128, split into
// T = 128/k blocks of k bits. Protocol and costs: softspoken.ts and docs/ot.md, "SoftSpokenOT".
//
// - Punctured PRF per block (an (N−1)-of-N OT with N = 2^k from k 1-of-2 OTs, the GGM form):
//   the COT receiver R grows T GGM trees of depth k (ggm.ts) and, per tree i and level l, sends
//   both level sums masked with pads of the base OT j = i·k + l − 1: e^0 = K_l^0 ⊕ H(k_j^1),
//   e^1 = K_l^1 ⊕ H(k_j^0). The COT sender S holds k_j^{Δ_j}, so it opens e^{1−Δ_j}: the sum on
//   the side off the path to leaf α_i = Δ's bits of block i (level 1 most significant), which is
//   what the punctured expansion needs. S then knows every leaf but α_i's.
// - Small-field VOLE (§3.1): leaf x seeds a PRG stream r_x ∈ F_2^m
//   (AES-128-CTR, aes.ts ColumnStreams). R: u_i = Σ_x r_x, v_i = Σ_x x·r_x; S: w_i =
//   Σ_{x≠α_i} (α_i ⊕ x)·r_x = u_i·α_i + v_i. Over F_2 bit by bit: bit-plane l of v_i is the sum of
//   r_x over the x whose level-l bit is 1; of w_i the same over x ⊕ α_i (x = α_i adds nothing).
//   `bitPlanes` sums them bottom-up (2^{k+1} vector additions per block, not k·2^{k−1}).
import { createHash } from 'node:crypto';
import type { BaseKeys } from './iknp.ts';
import { KAPPA } from './iknp.ts';
import type { LevelSums } from './ggm.ts';
import { sumAt } from './ggm.ts';

/** Bytes of the punctured-PRF message: two 16-byte sums per base OT (T trees × k levels = 128). */
export const PPRF_BYTES = 2 * 16 * KAPPA;

/** The block sizes k this implementation runs (k | 128; 2^k leaves per block). */
export const SOFTSPOKEN_KS = [1, 2, 4, 8] as const;

export function checkK(k: number): void {
  if (!(SOFTSPOKEN_KS as readonly number[]).includes(k)) throw new RangeError(`SoftSpokenOT: k must be one of ${SOFTSPOKEN_KS.join(', ')}, got ${k}`);
}

/** One-time pad of a base-OT key for the PPRF message (a PRF of the key under its own label). */
function pad(key: Uint8Array): Uint32Array {
  const d = createHash('sha256').update(key).update('cipherprune/softspoken/pprf').digest();
  return new Uint32Array(new Uint8Array(d.subarray(0, 16)).buffer);
}

/** R: the PPRF message from its trees' level sums (Ggm.expand with T trees of depth k). */
export function pprfMessage(sums: LevelSums, base: BaseKeys, k: number): Uint8Array {
  const T = KAPPA / k, msg = new Uint32Array(PPRF_BYTES / 4);
  for (let i = 0; i < T; i++) {
    for (let l = 1; l <= k; l++) {
      const j = i * k + l - 1, p0 = pad(base.k0[j]), p1 = pad(base.k1[j]);
      const s0 = sumAt(T, l, i, 0), s1 = sumAt(T, l, i, 1);
      for (let w = 0; w < 4; w++) {
        msg[8 * j + w] = sums[s0 + w] ^ p1[w];
        msg[8 * j + 4 + w] = sums[s1 + w] ^ p0[w];
      }
    }
  }
  return new Uint8Array(msg.buffer);
}

/** S: the puncture points α_i (Δ's bits of block i, level 1 = most significant). */
export function puncturePoints(deltaBits: Uint8Array, k: number): Uint32Array {
  const T = KAPPA / k, alpha = new Uint32Array(T);
  for (let i = 0; i < T; i++) for (let l = 1; l <= k; l++) alpha[i] |= deltaBits[i * k + l - 1] << (k - l);
  return alpha;
}

/** S: the level sum K_l^{1−Δ_j}(i) opened from R's message (Ggm.expandPunctured's `known`). */
export function openedSum(msg: Uint32Array, base: BaseKeys, k: number): (l: number, i: number) => Uint32Array {
  return (l, i) => {
    const j = i * k + l - 1, d = base.deltaBits[j], p = pad(base.received[j]);
    const o = 8 * j + 4 * (1 - d);
    return Uint32Array.from({ length: 4 }, (_, w) => msg[o + w] ^ p[w]);
  };
}

/**
 * Bit-planes of Σ_x x·r_x over F_{2^k} (x's level-l bit = bit k − l): planes[l − 1] = ⊕ of r_x
 * over the x with that bit set, and total = ⊕ of all r_x. `r` (2^k vectors of `nw` words, leaf
 * order) is overwritten. Bottom-up: at the stage of level l the array holds the subtree sums of
 * level-l nodes, and the odd ones (last bit 1) make plane l.
 */
export function bitPlanes(r: Uint32Array[], k: number, nw: number): { planes: Uint32Array[]; total: Uint32Array } {
  const planes: Uint32Array[] = new Array(k);
  for (let l = k; l >= 1; l--) {
    const plane = new Uint32Array(nw);
    for (let g = 0, half = 1 << (l - 1); g < half; g++) {
      const a = r[2 * g], b = r[2 * g + 1];
      for (let w = 0; w < nw; w++) {
        const bw = b[w];
        plane[w] ^= bw;
        a[w] ^= bw;
      }
      r[g] = a;
    }
    planes[l - 1] = plane;
  }
  return { planes, total: r[0] };
}
