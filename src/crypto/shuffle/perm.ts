// Random permutations of [n] for the oblivious shuffle (docs/cipherprune.md). A permutation is a
// Uint32Array p with p[i] = π(i); applying it to rows gives out[i] = x[π(i)].
import type { Prg } from '../prg.ts';

/** Uniform integer in [0, bound) from 32-bit words (rejection sampling: no modulo bias). */
function uniform(words: () => number, bound: number): number {
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  for (;;) {
    const w = words();
    if (w < limit) return w % bound;
  }
}

/** A uniformly random permutation of [n] (Fisher–Yates, Knuth TAOCP vol. 2 §3.4.2, Algorithm P). */
export function randomPermutation(prg: Prg, n: number): Uint32Array {
  const p = Uint32Array.from({ length: n }, (_, i) => i);
  let buf: Uint32Array = new Uint32Array(0), at = 0;
  const next = (): number => {
    if (at === buf.length) {
      const b = prg.bytes(4 * Math.max(64, n));
      buf = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >>> 2);
      at = 0;
    }
    return buf[at++];
  };
  for (let i = n - 1; i > 0; i--) {
    const j = uniform(next, i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** The inverse permutation: inv[p[i]] = i. */
export function invert(p: Uint32Array): Uint32Array {
  const inv = new Uint32Array(p.length);
  for (let i = 0; i < p.length; i++) inv[p[i]] = i;
  return inv;
}

/** True if `d` holds every value of [0, n) exactly once. */
export function isPermutation(d: ArrayLike<number>, n: number): boolean {
  if (d.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = d[i];
    if (!(v >= 0 && v < n) || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}
