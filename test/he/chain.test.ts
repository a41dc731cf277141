// The level chains (seal.ts chainFor) against the noise analysis (noise.ts): every product shape of
// the bundled models, with the blocking both parties choose, passes checkNoise (flooding within
// 2^-40, more than one bit of margin at every level, the download roundings with one bit), and
// the chains stay within the 128-bit bound; SEAL picks the primes chainFor lists for every ell.
import { describe, it, expect } from 'vitest';
import { checkNoise, keySwitchNoise, noiseReport, packLimit } from '../../src/crypto/he/noise.ts';
import { chainFor, HeContext, MAX_LOG_Q, POLY_DEGREE, DEFAULT_HE_PARAMS, packFactor } from '../../src/crypto/he/seal.ts';
import { heBatchMatmulCost, heMatmulCost } from '../../src/crypto/he/matmul.ts';
import { noiseTerms } from '../../src/crypto/he/packing.ts';
import { resultCoeffs } from '../../src/crypto/he/compress.ts';

type Shape = { heads: number; n: number; k: number; m: number; shared: boolean };
const plain = (n: number, k: number, m: number): Shape => ({ heads: 1, n, k, m, shared: false });
const shared = (heads: number, n: number, k: number, m: number): Shape => ({ heads, n, k, m, shared: true });

// BERT-base and GPT-2 at 128 tokens, BERT-large at 512: projections, FFN, attention, embeddings, LM head.
const SHAPES: Shape[] = [
  plain(128, 768, 2304), plain(128, 768, 768), plain(128, 768, 3072), plain(128, 3072, 768), plain(1, 768, 768),
  shared(12, 128, 64, 128), shared(12, 128, 128, 64), plain(55, 768, 768), shared(12, 2, 64, 2),
  plain(128, 30522, 768), plain(128, 50257, 768), plain(128, 768, 50257),
  plain(512, 1024, 3072), plain(512, 1024, 4096), plain(512, 4096, 1024), shared(16, 512, 64, 512), shared(16, 512, 512, 64),
  plain(512, 30522, 1024),
];

describe('HE level chains', () => {
  it('within 128-bit security, narrower for ell <= 32, a special prime for key switching', () => {
    const special: Record<number, number> = { 2: 60, 16: 60, 32: 60, 33: 60, 34: 60, 35: 58, 36: 56, 37: 54, 38: 52, 39: 51, 40: 50 };
    for (const ell of [2, 16, 32, 33, 34, 35, 36, 37, 38, 39, 40]) {
      const c = chainFor(ell);
      expect(c.bits.length).toBe(3);
      expect(c.specialBits, `ell = ${ell}`).toBe(special[ell]);
      expect(c.bits.reduce((a, b) => a + b) + c.specialBits).toBeLessThanOrEqual(MAX_LOG_Q);
      [...c.primes, c.specialPrime].forEach((p, i) => {
        expect(p.toString(2).length).toBe(i < 3 ? c.bits[i] : c.specialBits);
        expect(p % BigInt(2 * POLY_DEGREE)).toBe(1n);
      });
      expect(new Set([...c.primes, c.specialPrime]).size).toBe(4);
      expect(packFactor(ell)).toBe(16);
    }
    expect(chainFor(16)).toBe(chainFor(32));
    expect(chainFor(32).bits).toEqual([60, 54, 40]);
    expect(chainFor(37).bits).toEqual([60, 59, 45]);
    expect(chainFor(40).bits).toEqual([60, 60, 48]);
  });

  it('SEAL chooses the listed primes for every ring width (HeContext checks them, special prime included)', async () => {
    for (let ell = 32; ell <= 40; ell++) {
      const ctx = await HeContext.create({ ell, packed: ell % 2 === 0 });
      try {
        expect(ctx.primes).toEqual([...chainFor(ell).primes]);
        expect(ctx.plainBits).toBe(ell % 2 === 0 ? ell + 4 : ell);
        expect(ctx.pack).toBe(ell % 2 === 0 ? 16 : 1);
      } finally {
        ctx.delete();
      }
    }
  });

  it('key-switch noise at level 0: 2^17.4 with the 60-bit special prime, 2^24.0 at ell = 37, 2^28.4 with the 50-bit one at ell = 40', () => {
    const ks = (ell: number) => Math.log2(keySwitchNoise({ N: POLY_DEGREE, primes: chainFor(ell).primes, params: { ell, kappa: 40 } }));
    expect(ks(32)).toBeCloseTo(17.45, 1);
    expect(ks(37)).toBeCloseTo(23.98, 1);
    expect(ks(40)).toBeCloseTo(28.39, 1);
  });

  for (const ell of [16, 32, 36, 37, 40]) {
    it(`every bundled product shape passes the noise analysis at ell = ${ell}`, () => {
      const np = { N: POLY_DEGREE, primes: chainFor(ell).primes, params: { ell, kappa: 40 } };
      const params = { ...DEFAULT_HE_PARAMS, ell };
      for (const s of SHAPES) {
        const { blocking: b } = s.shared ? heBatchMatmulCost(s, params) : heMatmulCost(s.n, s.k, s.m, params);
        const r = checkNoise(np, noiseTerms(b, s.shared ? 'shared' : 'plain'), resultCoeffs(s));
        const what = `${s.heads}x${s.n}x${s.k}x${s.m}`;
        expect(r.statDistance, what).toBeLessThanOrEqual(-40);
        for (const m of r.margin) expect(m, what).toBeGreaterThan(1);
        expect(r.download.margin, what).toBeGreaterThanOrEqual(1);
        if (ell === 32) {
          // The roundings of the 60+60+60 chain, but one bit less on c0 from about 2^20 result positions (2^19.95).
          expect(r.download.d1, what).toBe(17);
          expect(r.download.d0, what).toBe(resultCoeffs(s) >= 2 ** 20 ? 23 : 24);
        }
      }
    });
  }

  // The merge tree's P limit: every bundled shape, C = its result positions (the frame may carry
  // only those), with the server's plaintext coefficients centred at t' or written in [0, 2^ell).
  for (const ell of [16, 32, 37, 40]) {
    it(`packed results: the merge tree's noise and P limit at ell = ${ell}`, () => {
      const np = { N: POLY_DEGREE, primes: chainFor(ell).primes, params: { ell, kappa: 40 } };
      const params = { ...DEFAULT_HE_PARAMS, ell };
      const ks = keySwitchNoise(np);
      const limits: Record<'centred' | 'uncentred', number[]> = { centred: [], uncentred: [] };
      for (const s of SHAPES) {
        const { blocking: b } = s.shared ? heBatchMatmulCost(s, params) : heMatmulCost(s.n, s.k, s.m, params);
        const terms = noiseTerms(b, s.shared ? 'shared' : 'plain');
        const C = resultCoeffs(s);
        const what = `${s.heads}x${s.n}x${s.k}x${s.m}`;
        for (const centred of [true, false]) {
          const P = packLimit(np, terms, C, centred);
          limits[centred ? 'centred' : 'uncentred'].push(P);
          if (P < 16) expect(() => checkNoise(np, terms, C, { P: Math.max(1, 2 * P), ks, centred }), what).toThrow(/split the product|noise budget/);
          if (P === 0) continue;
          const r = checkNoise(np, terms, C, { P, ks, centred });
          // The tree and the scaling to 16 multiply the worst case by about 16 P (32 P uncentred); the first switch then divides by p2.
          const plain = noiseReport(np, terms, C);
          expect(r.level0 - plain.level0, what).toBeLessThanOrEqual(Math.log2(16 * P) + (centred ? 0 : 1) + 0.01);
          expect(r.statDistance, what).toBeLessThanOrEqual(-40);
          expect(Math.min(...r.margin), what).toBeGreaterThan(1);
        }
      }
      if (ell === 16) {
        expect(limits.uncentred).toEqual(Array(SHAPES.length).fill(16));
        return;
      }
      // Centred: BERT-base at 128 tokens (projections, FFN, attention, pruned rows, the 30,522-row
      // embedding) P = 16; GPT-2's embedding 8, its 128-token LM head none (2^-40.0 unpacked: 16x the
      // noise does not fit, split it); BERT-large at 512 tokens 2 to 16. Uncentred: one bit more noise, P halves where it binds.
      // With the blockings of the 5 MB/s byte price (docs/he.md "Packed results"). Centred (as packed
      // contexts encode): BERT-base at 128 tokens (projections, FFN, attention, pruned rows, the 30,522-row
      // embedding) P = 16; GPT-2's embedding 16, its 128-token LM head none (2^-40.0 unpacked: 16x the
      // noise does not fit, split it); BERT-large at 512 tokens 2 to 16. Uncentred: one bit more noise,
      // P halves where it binds (BERT-base still 16).
      const big = ell === 32 ? [16, 0, 8, 4, 16, 8, 16, 2] : [16, 0, 8, 4, 16, 16, 16, 2];
      expect(limits.centred, `ell = ${ell}`).toEqual([...Array(10).fill(16), ...big]);
      expect(limits.uncentred, `ell = ${ell}`).toEqual([...Array(10).fill(16), 8, 0, 4, 2, 8, ell === 32 ? 4 : 8, 8, 1]);
    });
  }

  it('a call too large to flood within 2^-40 is refused', () => {
    const np = { N: POLY_DEGREE, primes: chainFor(32).primes, params: { ell: 32, kappa: 40 } };
    expect(noiseReport(np, 1 << 14, 2 ** 24).statDistance).toBeLessThanOrEqual(-40);
    expect(() => checkNoise(np, 1 << 14, 2 ** 26)).toThrow(/split the product/);
  });
});
