// The server's products outside SEAL (src/crypto/he/mac-wasm.ts, mac.ts): the kernel's lazy
// 128-bit multiply-accumulate and its reduction are exact against BigInt at the extremes (255
// products of (p − 1)², folding in place); whole products with the kernel equal the SEAL path's
// shares bit for bit under the same server randomness, and are exact against the twin. Plaintext
// blocks prepared in the kernel (lift + NTT) equal SEAL's encode + plainTransformToNtt residue
// for residue, at every chain.
import { describe, it, expect, afterEach } from 'vitest';
import { macKernel } from '../../src/crypto/he/mac-wasm.ts';
import { FOLD_EVERY, macConfig, moduli, kernelNtt, MacProducts } from '../../src/crypto/he/mac.ts';
import { chainFor, HeContext, PT_DATA_OFFSET } from '../../src/crypto/he/seal.ts';
import { fillRight } from '../../src/crypto/he/plain.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { heMatmulClient, heMatmulServer, heBatchMatmulClient, heBatchMatmulServer, makeBlocking, HeWeightCache, CACHED_BLOCK_BYTES } from '../../src/crypto/he/index.ts';
import { sessionPair, twin, firstMismatch } from './helpers.ts';

const P60 = 1n << 60n;

describe('HE products kernel', () => {
  afterEach(() => {
    macConfig.enabled = true;
    macConfig.ntt = true;
  });

  it('plaintext blocks prepared in the kernel equal SEAL\'s encode + NTT, at ℓ = 16, 32, 37, 40', async () => {
    for (const ell of [16, 32, 37, 40]) {
      const ctx = await HeContext.create({ ell });
      const mac = new MacProducts(ctx, 1);
      const pt = new ctx.seal.Plaintext(), nt = new ctx.seal.Plaintext();
      try {
        expect(kernelNtt(ctx), `kernel NTT plan at ℓ = ${ell}`).not.toBeNull();
        expect(mac.prepares).toBe(true);
        const [k, m] = [40, 30];
        const W = ctx.ring.random(k * m, Prg.fromInt(ell));
        W[0] = ctx.ring.wide ? (1n << BigInt(ell - 1)) as never : (2 ** (ell - 1)) as never; // t/2 exactly: lifted to -t/2
        const b = makeBlocking(9, k, m, 9, 20, 15);
        for (const [kbi, mbi] of [[0, 0], [1, 1], [1, 0]]) {
          const fill = fillRight(b, W, 0, k, m, false, kbi, mbi);
          const { w, nonzero } = mac.prepare(fill);
          expect(nonzero).toBe(true);
          const got = new BigUint64Array(mac['a'].k.memory.buffer, w, 3 * ctx.N).slice();
          ctx.encodeInto(pt, fill);
          ctx.evaluator.plainTransformToNtt(pt, ctx.topParms, nt);
          const bytes = nt.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array;
          const dv = new DataView(bytes.buffer, bytes.byteOffset + PT_DATA_OFFSET);
          let bad = -1;
          for (let i = 0; i < got.length && bad < 0; i++) if (got[i] !== dv.getBigUint64(8 * i, true)) bad = i;
          expect(bad, `ℓ = ${ell}, block ${kbi},${mbi}: first residue that differs`).toBe(-1);
        }
        // An all-zero block: nonzero false, residues zero.
        const Z = ctx.ring.alloc(k * m);
        expect(mac.prepare(fillRight(b, Z, 0, k, m, false, 0, 0)).nonzero).toBe(false);
      } finally {
        pt.delete();
        nt.delete();
        mac.delete();
        ctx.delete();
      }
    }
  });

  it('multiply-accumulate and reduction are exact at the extremes, for each prime of every chain', () => {
    const K = macKernel();
    K.memory.grow(1);
    const m = new BigUint64Array(K.memory.buffer);
    const prg = Prg.fromInt(3);
    const below = (p: bigint): bigint => new BigUint64Array(prg.bytes(8).buffer)[0] % p;
    const primes = [...new Set([32, 36, 37, 40].flatMap((ell) => chainFor(ell).primes))];
    expect(primes.every((p) => p < P60)).toBe(true);
    for (const { p, r, rs } of moduli(primes)) {
      // 8 lanes: acc at 0 (8 x 16 B), a at 128, w at 192, out at 256 (u64 indices 16, 24, 32).
      const a = [p - 1n, p - 1n, 0n, 1n, p - 2n, 12345n, below(p), below(p)];
      const w = [p - 1n, p - 3n, p - 1n, p - 1n, 7n, p - 1n, below(p), below(p)];
      m.fill(0n, 0, 16);
      a.forEach((v, i) => (m[16 + i] = v));
      w.forEach((v, i) => (m[24 + i] = v));
      // FOLD_EVERY products, fold in place, FOLD_EVERY more, reduce: 2·255 products in all.
      for (let r = 0; r < FOLD_EVERY; r++) K.mac(0, 128, 192, 8);
      K.reduce(0, 0, 8, p, r, rs, 16);
      for (let i = 0; i < 8; i++) expect(m[2 * i + 1], 'folded high word').toBe(0n);
      for (let r = 0; r < FOLD_EVERY; r++) K.mac(0, 128, 192, 8);
      K.reduce(256, 0, 8, p, r, rs, 8);
      for (let i = 0; i < 8; i++) expect(m[32 + i], `lane ${i}`).toBe((2n * BigInt(FOLD_EVERY) * a[i] * w[i]) % p);
      // mac2: both polynomials of a ciphertext (2 x 4 residues) by one plaintext (4 residues).
      m.fill(0n, 0, 16);
      K.mac2(0, 128, 192, 4);
      for (let j = 0; j < 2; j++) for (let i = 0; i < 4; i++) expect(m[2 * (4 * j + i)] + (m[2 * (4 * j + i) + 1] << 64n)).toBe(a[4 * j + i] * w[i]);
    }
  });

  it('whole products: the kernel gives the SEAL path\'s shares bit for bit; exact; cached weights too', async () => {
    const p = await sessionPair(32);
    const ring = p.ctx.ring;
    try {
      const [n, k, m] = [9, 40, 21];
      const b = makeBlocking(n, k, m, 3, 7, 4); // nb = 3, kb = 6, mb = 6
      const X = ring.random(n * k, Prg.fromInt(1));
      const W = ring.random(k * m, Prg.fromInt(2));
      for (let i = 0; i < 7 * m; i++) W[i] = 0; // all-zero weight blocks too
      const [Xc, Xs] = ring.share(X, Prg.fromInt(3));
      const cache = new HeWeightCache(64 * CACHED_BLOCK_BYTES);
      const run = async (kernel: boolean, weights?: HeWeightCache, ntt = true) => {
        macConfig.enabled = kernel;
        macConfig.ntt = ntt;
        return Promise.all([
          heMatmulClient(p.c, p.cs, Xc, n, k, m, { blocking: b }),
          heMatmulServer(p.s, p.ss, Xs, W, n, k, m, { blocking: b, prg: Prg.fromInt(9), ...(weights ? { weights } : {}) }),
        ]);
      };
      // The same server randomness (prg) and the same products: the same ciphertexts, so the same
      // shares, except for the fresh Enc_pk(0) of each result, which the client's decryption removes.
      // kern: blocks prepared in the kernel (lift + NTT); kernSealNtt: prepared by SEAL, products in the kernel.
      const [seal, kern, kernCached, kernHit, kernSealNtt] = [await run(false), await run(true), await run(true, cache), await run(true, cache), await run(true, undefined, false)];
      expect(cache.report().hits).toBe(36);
      const want = twin(ring, X, W, 1, n, k, m);
      for (const [Yc, Ys] of [seal, kern, kernCached, kernHit, kernSealNtt]) expect(firstMismatch(ring, Yc, Ys, want)).toBe(-1);
      for (const r of [kern, kernCached, kernHit, kernSealNtt]) {
        expect(r[1]).toEqual(seal[1]); // server share: -r + Xs·W, same prg
        expect(r[0]).toEqual(seal[0]);
      }
      cache.clear();
      // [A]·[B] over heads with the kernel.
      const shape = { heads: 3, n: 5, k: 11, m: 6, transposeB: true };
      const A = ring.random(3 * 5 * 11, Prg.fromInt(4)), B = ring.random(3 * 11 * 6, Prg.fromInt(5));
      const [Ac, As] = ring.share(A, Prg.fromInt(6)), [Bc, Bs] = ring.share(B, Prg.fromInt(7));
      const bl = makeBlocking(5, 11, 6, 2, 4, 3);
      const [Cc, Cs] = await Promise.all([
        heBatchMatmulClient(p.c, p.cs, Ac, Bc, shape, { blocking: bl }),
        heBatchMatmulServer(p.s, p.ss, As, Bs, shape, { blocking: bl }),
      ]);
      expect(firstMismatch(ring, Cc, Cs, twin(ring, A, B, 3, 5, 11, 6, true))).toBe(-1);
    } finally {
      p.close();
    }
  });

  it('accumulators folded every few products (as every FOLD_EVERY) stay exact', async () => {
    const p = await sessionPair(32);
    const ring = p.ctx.ring;
    macConfig.foldEvery = 2; // 6 k-blocks: folded after products 2, 4 and 6
    try {
      const [n, k, m] = [4, 30, 5];
      const b = makeBlocking(n, k, m, 2, 5, 3); // kb = 6
      const X = ring.random(n * k, Prg.fromInt(11)), W = ring.random(k * m, Prg.fromInt(12));
      const [Xc, Xs] = ring.share(X, Prg.fromInt(13));
      const [Yc, Ys] = await Promise.all([heMatmulClient(p.c, p.cs, Xc, n, k, m, { blocking: b }), heMatmulServer(p.s, p.ss, Xs, W, n, k, m, { blocking: b })]);
      expect(firstMismatch(ring, Yc, Ys, twin(ring, X, W, 1, n, k, m))).toBe(-1);
      const shape = { heads: 2, n: 3, k: 12, m: 4 }; // [A]·[B]: 2 products per k-block
      const A = ring.random(2 * 3 * 12, Prg.fromInt(14)), B = ring.random(2 * 12 * 4, Prg.fromInt(15));
      const [Ac, As] = ring.share(A, Prg.fromInt(16)), [Bc, Bs] = ring.share(B, Prg.fromInt(17));
      const bl = makeBlocking(3, 12, 4, 3, 3, 4); // kb = 4: 8 products per accumulator
      const [Cc, Cs] = await Promise.all([heBatchMatmulClient(p.c, p.cs, Ac, Bc, shape, { blocking: bl }), heBatchMatmulServer(p.s, p.ss, As, Bs, shape, { blocking: bl })]);
      expect(firstMismatch(ring, Cc, Cs, twin(ring, A, B, 2, 3, 12, 4))).toBe(-1);
    } finally {
      macConfig.foldEvery = FOLD_EVERY;
      p.close();
    }
  });
});
