// Permute-and-share (Chase, Ghosh, Poburinnaya, "Secret-Shared Shuffle", ASIACRYPT 2020, §4, the
// one-level case): party A holds a permutation π of [n], both hold additive shares of n rows x;
// afterwards they hold fresh shares of the rows x_{π(i)}, and B has learned nothing about π.
//
// Correlation (data independent): B owns n GGM trees; A learns every leaf of tree i except
// s_{i,π(i)} (ggm.ts). With G the leaf PRG, B sets a_j = Σ_i G(s_{i,j}) (column sums) and
// b_i = Σ_j G(s_{i,j}) (row sums); A computes δ_i = a_{π(i)} − b_i = Σ_{i'≠i} G(s_{i',π(i)}) −
// Σ_{j≠π(i)} G(s_{i,j}), which needs no leaf it lacks (π is a permutation).
// Online: B sends m = x_B − a; A outputs m_{π(i)} + δ_i + (x_A)_{π(i)}, B outputs b_i. The sum is
// x_{π(i)}; m is pseudorandom to A because a_j contains the leaf s_{π⁻¹(j), j} that A lacks.
// The PRG output (n² rows) is streamed tree by tree into the sums, never held at once.
import { leafRows, type Trees } from './ggm.ts';
import { addTwice, type Layout, type Rows } from './layout.ts';
import { invert } from './perm.ts';

export interface SenderCorrelation {
  a: Rows;
  b: Rows;
}

/** B's column sums a and row sums b over all n × n leaves. */
export function senderCorrelation(t: Trees, layout: Layout): SenderCorrelation {
  const { n, h } = t, N = 1 << h, P = layout.pieces, stride = 4 * P;
  const a = layout.alloc(n), b = layout.alloc(n), buf = new Uint32Array(n * stride);
  for (let i = 0; i < n; i++) {
    const g = leafRows(t.leaves, i * N, n, P, buf);
    for (const [k, blk] of layout.blocks.entries()) {
      const w = blk.words;
      for (let j = 0; j < n; j++) addTwice(blk.group, g, j * stride + blk.off, a[k], j * w, b[k], i * w, w, 1);
    }
  }
  return { a, b };
}

/** A's δ_i = a_{π(i)} − b_i from the punctured trees (tree i lacks leaf π(i)). */
export function receiverCorrelation(t: Trees, pi: Uint32Array, layout: Layout): Rows {
  const { n, h } = t, N = 1 << h, P = layout.pieces, stride = 4 * P;
  const inv = invert(pi);
  const d = layout.alloc(n), buf = new Uint32Array(n * stride);
  for (let i = 0; i < n; i++) {
    const g = leafRows(t.leaves, i * N, n, P, buf), skip = pi[i];
    for (const [k, blk] of layout.blocks.entries()) {
      const w = blk.words;
      for (let j = 0; j < n; j++) {
        if (j !== skip) addTwice(blk.group, g, j * stride + blk.off, d[k], inv[j] * w, d[k], i * w, w, -1);
      }
    }
  }
  return d;
}

/** B's message: x_B − a. */
export const senderMessage = (layout: Layout, x: Rows, c: SenderCorrelation): Rows => layout.combine(x, c.a, -1);

/** A's output share: m_{π(i)} + δ_i + (x_A)_{π(i)}. */
export function receiverOutput(layout: Layout, m: Rows, delta: Rows, x: Rows, pi: Uint32Array): Rows {
  return layout.combine(layout.combine(layout.gather(m, pi), layout.gather(x, pi), 1), delta, 1);
}
