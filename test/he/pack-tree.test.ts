// The result-packing study of issue 15 (bench/bytes/tree.ts, docs/he.md "Bytes: levers studied"):
// the merge tree's algebra on plaintext polynomials (fast, every P), and the tree on node-seal 7
// ciphertexts (CIPHERPRUNE_SLOW=1: SEAL's 25 default Galois keys take seconds to make).
import { describe, expect, it } from 'vitest';
import { mergeTree } from '../../bench/bytes/tree.ts';
import { defaultSetElements as treeElements } from '../../src/crypto/he/pack.ts';

const N = 8192;

/** Negacyclic Y^s·a mod (Y^N + 1, t). */
function shift(a: Float64Array, s: number, t: number): Float64Array {
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const j = i + s;
    if (j < N) out[j] = a[i];
    else out[j - N] = (t - a[i]) % t;
  }
  return out;
}
/** sigma_g(a): Y -> Y^g. */
function automorph(a: Float64Array, g: number, t: number): Float64Array {
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const j = (i * g) % (2 * N);
    if (j < N) out[j] = (out[j] + a[i]) % t;
    else out[j - N] = (out[j - N] + t - a[i]) % t;
  }
  return out;
}
const lin = (a: Float64Array, b: Float64Array, sign: 1 | -1, t: number) => a.map((x, i) => (x + (sign === 1 ? b[i] : t - b[i])) % t);

describe('result packing: the merge tree', () => {
  it('picks, for every stride, an element of the default Galois keys that fixes multiples of 2s and negates s mod 2s', () => {
    for (const P of [2, 4, 8, 16, 32, 64]) {
      const elts = treeElements(P);
      expect(elts).toHaveLength(Math.log2(P));
      elts.forEach((g, level) => {
        const s = P / 2 ** (level + 1);
        expect((2 * s * g) % (2 * N)).toBe(2 * s); // Y^(2s) fixed
        expect((s * g) % (2 * N)).toBe((s + N) % (2 * N)); // Y^s -> -Y^s
      });
    }
  });

  it('merges P polynomials with garbage between their wanted coefficients into P times the interleaving, exactly (plaintext algebra)', () => {
    const ell = 20;
    for (const P of [2, 4, 16, 64]) {
      const t = 2 ** (ell + Math.log2(P));
      let x = 12345 + P;
      const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % t);
      const inputs = Array.from({ length: P }, () => Float64Array.from({ length: N }, rnd));
      let cur = inputs;
      treeElements(P).forEach((g, level) => {
        const s = P / 2 ** (level + 1), half = cur.length / 2;
        cur = cur.slice(0, half).map((a, j) => {
          const yb = shift(cur[j + half], s, t);
          return lin(lin(a, yb, 1, t), automorph(lin(a, yb, -1, t), g, t), 1, t);
        });
      });
      const [out] = cur;
      let wrong = 0;
      for (let i = 0; i < N / P; i++) for (let r = 0; r < P; r++) if (out[i * P + r] !== (P * inputs[r][i * P]) % t) wrong++;
      expect(wrong).toBe(0);
    }
  });

  it.runIf(process.env.CIPHERPRUNE_SLOW === '1')('is exact on node-seal 7 ciphertexts at level 0, ell = 32 and 37', async () => {
    for (const ell of [32, 37]) {
      const r = await mergeTree(4, ell, 0);
      expect(r.exact).toBe(N);
      expect(r.wrong).toBe(0);
      expect(r.budgetBitsLeft).toBeGreaterThan(60);
    }
  }, 120_000);
});
