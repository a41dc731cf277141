// Head groups of a batched secret x secret product (docs/he.md "Small products: head groups").
// g heads of [A]·[B] are one product with a block-diagonal right operand:
//   A' = [A_1 | … | A_g]  (n × g·k),   B' = diag(B_1, …, B_g)  (g·k × g·m),
//   A'·B' = [A_1·B_1 | … | A_g·B_g]  (n × g·m),
// so a product whose per-head blocks fill a small part of a ciphertext (few tokens after pruning,
// CipherPrune §4) shares its uploads and results with the group's other heads. Both shares are
// laid out the same way, so the cross terms Enc(A'c)·B's + A's·Enc(B'c) and the local terms are
// the group's products exactly; every result position of A'·B' is a result of one head (nothing
// else is decrypted), and the zeros of B' sit at public positions. Pure re-layouts, both parties.
import type { Ring, RingArray } from '../ring.ts';

export interface GroupShape {
  heads: number;
  n: number;
  k: number;
  m: number;
  transposeB?: boolean;
}

/** The product that `g` heads per group make: heads/g products of n × g·k · g·k × g·m. */
export function groupedShape<S extends GroupShape>(shape: S, g: number): S {
  if (!Number.isInteger(g) || g < 1 || shape.heads % g !== 0) throw new RangeError(`head group of ${g} does not divide ${shape.heads} heads`);
  return { ...shape, heads: shape.heads / g, k: shape.k * g, m: shape.m * g };
}

/** Head-group sizes worth trying: the divisors of `heads` (groups are whole; no ragged group). */
export const groupSizes = (heads: number): number[] => Array.from({ length: heads }, (_, i) => i + 1).filter((g) => heads % g === 0);

/** A (heads × n × k) → A' (heads/g × n × g·k): head gi of a group at columns [gi·k, (gi+1)·k). */
export function groupLeft(ring: Ring, A: RingArray, s: GroupShape, g: number): RingArray {
  if (g === 1) return A;
  const { heads, n, k } = s, out = ring.alloc(heads * n * k);
  for (let h = 0; h < heads; h++) {
    const G = Math.floor(h / g), gi = h % g;
    for (let i = 0; i < n; i++) {
      const src = (h * n + i) * k, dst = (G * n + i) * g * k + gi * k;
      copy(out, dst, A, src, k);
    }
  }
  return out;
}

/**
 * B (heads × k × m, or heads × m × k when transposed) → B' block-diagonal (heads/g × g·k × g·m,
 * or its transpose): head gi of a group at rows [gi·k, …) and columns [gi·m, …), zeros elsewhere.
 */
export function groupRight(ring: Ring, B: RingArray, s: GroupShape, g: number): RingArray {
  if (g === 1) return B;
  const { heads, k, m } = s, t = !!s.transposeB;
  const [rows, cols] = t ? [m, k] : [k, m];
  const out = ring.alloc((heads / g) * g * rows * g * cols);
  for (let h = 0; h < heads; h++) {
    const G = Math.floor(h / g), gi = h % g;
    for (let r = 0; r < rows; r++) {
      const src = (h * rows + r) * cols, dst = G * g * rows * g * cols + (gi * rows + r) * g * cols + gi * cols;
      copy(out, dst, B, src, cols);
    }
  }
  return out;
}

/** C' (heads/g × n × g·m) → C (heads × n × m): the group's diagonal blocks, per head. */
export function ungroupResult(ring: Ring, C: RingArray, s: GroupShape, g: number): RingArray {
  if (g === 1) return C;
  const { heads, n, m } = s, out = ring.alloc(heads * n * m);
  for (let h = 0; h < heads; h++) {
    const G = Math.floor(h / g), gi = h % g;
    for (let i = 0; i < n; i++) copy(out, (h * n + i) * m, C, (G * n + i) * g * m + gi * m, m);
  }
  return out;
}

function copy(dst: RingArray, at: number, src: RingArray, from: number, len: number): void {
  if (dst instanceof Uint32Array) dst.set((src as Uint32Array).subarray(from, from + len), at);
  else dst.set((src as BigUint64Array).subarray(from, from + len), at);
}
