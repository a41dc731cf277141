// Local ring matrix products (the parties' own terms) and operand block encoders for packing.
import type { Ring, RingArray } from '../ring.ts';
import type { Blocking } from './packing.ts';
import { leftIndex, rightIndex } from './packing.ts';

/** out[h] += A[h]·B[h] mod 2^ell; A: heads×n×k, B: heads×k×m (or heads×m×k if transposeB). Constant time in the values. */
export function ringMatmulAdd(
  ring: Ring,
  out: RingArray,
  A: RingArray,
  B: RingArray,
  heads: number,
  n: number,
  k: number,
  m: number,
  transposeB: boolean,
): RingArray {
  if (out instanceof Uint32Array) {
    const a = A as Uint32Array, b = B as Uint32Array;
    const row = new Uint32Array(m);
    for (let h = 0; h < heads; h++) {
      const ao = h * n * k, bo = h * k * m, oo = h * n * m;
      for (let i = 0; i < n; i++) {
        row.fill(0);
        for (let j = 0; j < k; j++) {
          // No shortcut for x = 0: the server folds its own share in here (matmul.ts), and its
          // time must not depend on where that share, which may be its private value, is zero.
          const x = a[ao + i * k + j];
          if (transposeB) for (let c = 0; c < m; c++) row[c] += Math.imul(x, b[bo + c * k + j]);
          else for (let c = 0, base = bo + j * m; c < m; c++) row[c] += Math.imul(x, b[base + c]);
        }
        for (let c = 0; c < m; c++) out[oo + i * m + c] += row[c];
      }
    }
  } else {
    const a = A as BigUint64Array, b = B as BigUint64Array, o = out;
    const row = new BigUint64Array(m);
    for (let h = 0; h < heads; h++) {
      const ao = h * n * k, bo = h * k * m, oo = h * n * m;
      for (let i = 0; i < n; i++) {
        row.fill(0n);
        for (let j = 0; j < k; j++) {
          const x = a[ao + i * k + j];
          if (transposeB) for (let c = 0; c < m; c++) row[c] += x * b[bo + c * k + j];
          else for (let c = 0, base = bo + j * m; c < m; c++) row[c] += x * b[base + c];
        }
        for (let c = 0; c < m; c++) o[oo + i * m + c] += row[c];
      }
    }
  }
  return ring.reduce(out);
}

/** A coefficient writer as given to HeContext.encode; returns whether anything nonzero was written. */
export type Fill = (lo: Uint32Array, wide: BigUint64Array | null) => boolean;

/** Left-block encoder: X (rows n, cols k, row-major at `off`), block (nbi, kbi). */
export function fillLeft(b: Blocking, X: RingArray, off: number, n: number, k: number, nbi: number, kbi: number): Fill {
  return (lo, wide) => {
    let any = false;
    const r0 = nbi * b.nw, c0 = kbi * b.dw;
    const rows = Math.min(b.nw, n - r0), cols = Math.min(b.dw, k - c0);
    for (let i = 0; i < rows; i++) {
      const src = off + (r0 + i) * k + c0;
      const dst = leftIndex(b, i, 0);
      if (wide) {
        const x = X as BigUint64Array;
        for (let j = 0; j < cols; j++) {
          const v = x[src + j];
          wide[dst + j] = v;
          if (v !== 0n) any = true;
        }
      } else {
        const x = X as Uint32Array;
        for (let j = 0; j < cols; j++) {
          const v = x[src + j];
          lo[2 * (dst + j)] = v;
          if (v !== 0) any = true;
        }
      }
    }
    return any;
  };
}

/** Right-block encoder: W (k×m row-major, or m×k if transposed) at `off`, block (kbi, mbi). */
export function fillRight(
  b: Blocking,
  W: RingArray,
  off: number,
  k: number,
  m: number,
  transposed: boolean,
  kbi: number,
  mbi: number,
): Fill {
  return (lo, wide) => {
    let any = false;
    const r0 = kbi * b.dw, c0 = mbi * b.mw;
    const rows = Math.min(b.dw, k - r0), cols = Math.min(b.mw, m - c0);
    for (let c = 0; c < cols; c++) {
      for (let j = 0; j < rows; j++) {
        const src = transposed ? off + (c0 + c) * k + r0 + j : off + (r0 + j) * m + c0 + c;
        const dst = rightIndex(b, j, c);
        if (wide) {
          const v = (W as BigUint64Array)[src];
          wide[dst] = v;
          if (v !== 0n) any = true;
        } else {
          const v = (W as Uint32Array)[src];
          lo[2 * dst] = v;
          if (v !== 0) any = true;
        }
      }
    }
    return any;
  };
}

/** Writes nothing (an absent block of a joint upload). */
export const NO_FILL: Fill = () => false;

/**
 * `target` plus Y^off·`source` mod (Y^N + 1), |off| < N (packing.ts jointOffset): every source
 * coefficient is moved, negated where it wraps, whatever its value (constant time in the values).
 */
export function withShifted(target: Fill, source: Fill, off: number, N: number): Fill {
  return (lo, wide) => {
    const lo2 = new Uint32Array(2 * N), wide2 = wide ? new BigUint64Array(N) : null;
    const any = target(lo, wide), anySource = source(lo2, wide2);
    for (let j = 0; j < N; j++) {
      const p = j + off, q = ((p % N) + N) % N, neg = p < 0 || p >= N;
      if (wide) wide[q] += neg ? -wide2![j] : wide2![j]; // BigUint64Array stores mod 2^64
      else lo[2 * q] = (lo[2 * q] + (neg ? -lo2[2 * j] : lo2[2 * j])) >>> 0;
    }
    return any || anySource;
  };
}
