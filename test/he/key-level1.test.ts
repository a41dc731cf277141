// Galois keys at level 1 (HeParams.galoisLevel 1; docs/he.md "Merging at level 1"): the merge tree
// runs after the first switch, so the client sends each key as 2 components over p0, p1 and the
// special prime (galois.ts packKeyFrame) and the server rebuilds SEAL's layout with zeros where a
// level-1 key switch never reads. On real SEAL: heSetupCost predicts the setup exactly at ℓ = 32
// and 37, depths 1-4; products merged at level 1 open to the twin (predicted == measured bytes);
// a tree of 16 at level 1 is exact with its noise within the analytic bound (noise.ts) and the
// stated budget left at ℓ = 32 and 40; the noise analysis caps P by the flood where it must.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ciphertext } from 'node-seal';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { HeContext, heMatmulClient, heMatmulCost, heMatmulServer, heSetupCost, makeBlocking } from '../../src/crypto/he/index.ts';
import { componentWireBytes, galoisElements, galoisWireBytes, keyWireBytes } from '../../src/crypto/he/galois.ts';
import { keySwitchNoise, noiseReport, packLimit, treeNoise } from '../../src/crypto/he/noise.ts';
import { mergeTree, plainOf, productPack } from '../../src/crypto/he/pack.ts';
import { POLY_DEGREE as N, PT_COUNT_OFFSET, PT_DATA_OFFSET, chainFor, sealLive } from '../../src/crypto/he/seal.ts';
import { noiseTerms } from '../../src/crypto/he/packing.ts';
import { twin, firstMismatch, expectCounted, pooledProduct, sessionPair, type Pair } from './helpers.ts';

const np = (ell: number, galoisLevel: 0 | 1) => ({ N, primes: chainFor(ell).primes, params: { ell, kappa: 40, galoisLevel } });

describe('Galois keys at level 1: bytes and noise analysis', () => {
  it('a key is 2 components over p0, p1 and the special prime: 356,740 B at ℓ = 32 (657,990 at level 0)', () => {
    expect(componentWireBytes(32, 1)).toBe(194 + (N * (60 + 54 + 60)) / 8); // 178,370
    expect(componentWireBytes(37, 1)).toBe(194 + (N * (60 + 59 + 54)) / 8); // 177,346
    expect(componentWireBytes(32, 0)).toBe(keyWireBytes(32));
    for (const ell of [32, 37]) {
      for (let d = 1; d <= 4; d++) {
        expect(galoisWireBytes(2 ** d, ell, 1)).toBe(d * 2 * componentWireBytes(ell, 1));
        expect(heSetupCost({ ell, packed: true, galoisDepth: d, galoisLevel: 1 }).bytesUp).toBe(keyWireBytes(ell) + d * 2 * componentWireBytes(ell, 1));
      }
    }
    expect(galoisWireBytes(2, 32, 1)).toBe(356_740);
    expect(galoisWireBytes(2, 32, 0)).toBe(657_990);
    expect(heSetupCost({ ell: 32, packed: true, galoisDepth: 3, galoisLevel: 1 }).bytesUp).toBe(1_289_550); // was 2,193,300
  });

  it('the key switch at level 1 adds as much noise (p0 dominates), but it is flooded undivided: P is capped by the call size', () => {
    // ks = N·21·Σq_j/P_sp + (N+1)/2: 2^17.4 at ℓ = 32 on both levels, 2^28.4 at ℓ = 40.
    expect(Math.log2(keySwitchNoise(np(32, 1)))).toBeCloseTo(17.45, 1);
    expect(keySwitchNoise(np(32, 1))).toBeLessThan(keySwitchNoise(np(32, 0)));
    expect(Math.log2(keySwitchNoise(np(40, 1)))).toBeCloseTo(28.4, 1);
    const limit = (ell: number, level: 0 | 1, terms: number, C: number): number => packLimit(np(ell, level), terms, C);
    // The bundled classifier's ℓ = 32 products (32 tokens, width 64 … 256: C ≤ 2^13): P = 16 allowed at level 1.
    expect(limit(32, 1, 64 * 4, 32 * 256)).toBe(16);
    // BERT-base 128×768·768×768 (C = 2^16.6): 16 at level 0, 4 at level 1 (the key plan then keeps level 0).
    expect(limit(32, 0, 2 ** 12, 128 * 768)).toBe(16);
    expect(limit(32, 1, 2 ** 12, 128 * 768)).toBe(4);
    // ℓ = 37 (54-bit special prime): the attention scores 2×32×32 (C = 2^11) merge 2 at level 1, 16 at level 0.
    expect(limit(37, 1, 2 ** 10, 2 * 32 * 32)).toBe(2);
    expect(limit(37, 0, 2 ** 10, 2 * 32 * 32)).toBe(16);
    // ℓ = 40: key switches of 2^28.4 leave level 1 for tiny calls only (C ≤ 2^8.6 at P = 2).
    expect(limit(40, 1, 2 ** 10, 2 ** 8)).toBe(2);
    expect(limit(40, 1, 2 ** 10, 2 ** 10)).toBe(1);
    // The report at P = 16, ℓ = 32: level 1 holds 2^24.0 before the flood (2^12.8 when merged at level 0),
    // the flood's distance over 2^13 result positions stays at 2^-40.0, the later levels keep their margins.
    const r1 = noiseReport(np(32, 1), 2 ** 8, 2 ** 13, { P: 16, ks: keySwitchNoise(np(32, 1)) });
    const r0 = noiseReport(np(32, 0), 2 ** 8, 2 ** 13, { P: 16, ks: keySwitchNoise(np(32, 0)) });
    expect(r1.level1).toBeCloseTo(24.0, 1);
    expect(r0.level1).toBeCloseTo(12.8, 1);
    expect(r1.statDistance).toBeLessThanOrEqual(-40);
    expect(Math.min(...r1.margin)).toBeGreaterThan(4);
    expect(r1.download).toEqual(r0.download); // the level-2 bound is the flood's: same roundings
  });

  it('productPack follows the session\'s level (memoised separately per level)', () => {
    const big = makeBlocking(128, 768, 768, 64, 32, 4), bigShape = { heads: 1, n: 128, k: 768, m: 768 };
    expect(productPack(np(32, 0), 'plain', big, bigShape)).toBe(16);
    expect(productPack(np(32, 1), 'plain', big, bigShape)).toBe(4);
    const small = makeBlocking(32, 64, 256, 32, 16, 16), smallShape = { heads: 1, n: 32, k: 64, m: 256 };
    expect(noiseTerms(small, 'plain')).toBeGreaterThan(0);
    expect(productPack(np(32, 1), 'plain', small, smallShape)).toBe(16);
    expect(productPack(np(32, 0), 'plain', small, smallShape)).toBe(16);
  });
});

describe('Galois keys at level 1 on real SEAL', () => {
  const pairs = new Map<string, Pair>();
  const cases: [number, number][] = [[32, 1], [32, 2], [32, 3], [32, 4], [37, 1], [37, 2], [37, 3], [37, 4]];
  const name = (ell: number, d: number): string => `ℓ ${ell} depth ${d}`;
  beforeAll(async () => {
    for (const [ell, d] of cases) pairs.set(name(ell, d), await sessionPair(ell, { packed: true, galoisDepth: d, galoisLevel: 1 }));
  }, 300_000);
  afterAll(() => {
    for (const p of pairs.values()) p.close();
  });

  it('the setup message is as predicted at ℓ = 32 and 37, depths 1-4; products merged at level 1 equal the twin', async () => {
    const [n, k, m] = [6, 64, 96]; // C = 576: P ≤ 16 at ℓ = 32, ≤ 4 at ℓ = 37 (level 1)
    for (const [ell, d] of cases) {
      const id = name(ell, d), { ctx, c, s, cs, ss } = pairs.get(id)!;
      expect(ctx.treeLevel, id).toBe(1);
      expect(c.totals.bytesSent, id).toBe(heSetupCost(ctx.params).bytesUp);
      expect(s.totals.bytesRecv, id).toBe(heSetupCost(ctx.params).bytesUp);
      expect(c.totals.messagesSent, id).toBe(1);
      const [pc, ps] = MemoryChannel.pair();
      const Xc = ctx.ring.random(n * k, Prg.fromInt(11 + d)), Xs = ctx.ring.random(n * k, Prg.fromInt(12)), W = ctx.ring.random(k * m, Prg.fromInt(13));
      const [yc, ys] = await Promise.all([heMatmulClient(pc, cs, Xc, n, k, m), heMatmulServer(ps, ss, Xs, W, n, k, m, { prg: Prg.fromInt(14) })]);
      const cost = heMatmulCost(n, k, m, ctx.params);
      const P = cost.blocking.P ?? 1;
      expect(P, id).toBeLessThanOrEqual(Math.min(2 ** d, ell === 32 ? 16 : 4)); // the keys' depth, the level-1 noise cap
      expect(P, id).toBeGreaterThan(1); // merged: the level-1 keys are used
      expect(firstMismatch(ctx.ring, yc, ys, twin(ctx.ring, ctx.ring.add(Xc, Xs), W, 1, n, k, m)), id).toBe(-1);
      expectCounted(cost, pc, ps);
    }
  }, 300_000);

  it('worker threads open the same level (contexts keyed by it) and products stay exact with predicted bytes', async () => {
    expect(await pooledProduct(pairs.get(name(32, 3))!)).toBeGreaterThan(1);
  }, 120_000);

  it('a tree level other than 0 or 1, or level 1 unpacked, is refused', async () => {
    await expect(HeContext.create({ ell: 32, packed: false, galoisLevel: 1 })).rejects.toThrow(/galoisLevel 1 \(the merge tree runs at level 0, or 1 in a packed context\)/);
    await expect(HeContext.create({ ell: 32, packed: true, galoisLevel: 2 as 1 })).rejects.toThrow(/galoisLevel 2/);
  });

  /** A tree of 16 fresh ciphertexts switched to level 1, merged there with the server's keys: exact, noise (log2) from SEAL's budget. */
  function treeAtLevel1(p: Pair, seed: number): { noise: number; budget: number; bound: number } {
    const { ctx } = p, { seal, evaluator: ev } = ctx;
    const P = 16, prg = Prg.fromInt(seed), mask = (1n << BigInt(ctx.plainBits)) - 1n;
    const env = { seal, context: ctx.context, evaluator: ev, topParms: ctx.topParms, N, plainBits: ctx.plainBits, galois: p.ss.galois! };
    const inputs = Array.from({ length: P }, () => {
      const m = new BigUint64Array(N);
      prg.fill(new Uint8Array(m.buffer));
      for (let i = 0; i < N; i++) m[i] &= mask;
      return m;
    });
    const cts: Ciphertext[] = inputs.map((m) => {
      const pt = plainOf(env, m), ct = new seal.Ciphertext();
      try {
        p.cs.encryptor.encryptSymmetric(pt, ct);
        ev.cipherModSwitchToNextInplace(ct);
      } finally {
        pt.delete();
      }
      return ct;
    });
    const out = mergeTree(env, cts);
    const pt = new seal.Plaintext();
    try {
      p.cs.decryptor.decrypt(out, pt);
      const budget = p.cs.decryptor.invariantNoiseBudget(out);
      const bytes = pt.saveToArray(seal.ComprModeType.none) as Uint8Array;
      const count = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(PT_COUNT_OFFSET, true));
      const al = new Uint8Array(8 * N);
      al.set(bytes.subarray(PT_DATA_OFFSET, PT_DATA_OFFSET + 8 * count));
      const got = new BigUint64Array(al.buffer);
      let wrong = 0;
      for (let i = 0; i < N / P; i++) for (let r = 0; r < P; r++) if (got[i * P + r] !== ((BigInt(P) * inputs[r][i * P]) & mask)) wrong++;
      expect(wrong).toBe(0);
      const [p0, p1, p2] = ctx.primes.map(Number);
      const logQ1 = Math.log2(p0) + Math.log2(p1);
      // Fresh symmetric encryptions (|e| ≤ 22) switched: 22/p2 + (N+1)/2, then the tree with level-1 key switches.
      const bound = Math.log2(treeNoise(22 / p2 + (N + 1) / 2, { P, ks: keySwitchNoise(ctx) }, P));
      return { noise: logQ1 - 1 - ctx.plainBits - budget, budget, bound };
    } finally {
      pt.delete();
      out.delete();
    }
  }

  it('a tree of 16 at level 1 is exact; noise within the bound, budget left ≥ 50 bits at ℓ = 32 and ≥ 38 at ℓ = 40', async () => {
    const live = sealLive.sessions;
    const t32 = treeAtLevel1(pairs.get(name(32, 4))!, 5);
    expect(t32.noise).toBeLessThanOrEqual(t32.bound + 1); // the budget is an integer
    expect(t32.bound).toBeCloseTo(24.0, 0);
    expect(t32.budget).toBeGreaterThanOrEqual(50); // room q0·q1/(2t') = 2^77 against ≤ 2^24 (measured ≈ 2^13)
    const p40 = await sessionPair(40, { packed: true, galoisLevel: 1 });
    try {
      const t40 = treeAtLevel1(p40, 6);
      expect(t40.noise).toBeLessThanOrEqual(t40.bound + 1);
      expect(t40.bound).toBeCloseTo(34.8, 0);
      expect(t40.budget).toBeGreaterThanOrEqual(38); // 2^75 against ≤ 2^34.8
    } finally {
      p40.close();
    }
    expect(sealLive.sessions).toBe(live);
  }, 120_000);

  it('the frame is checked like level 0: a residue out of range names the key and component; level 0 and 1 frames differ in length', async () => {
    const p = pairs.get(name(32, 1))!;
    const { unpackKeyFrame } = await import('../../src/crypto/he/galois.ts');
    const w = componentWireBytes(32, 1), frame = new Uint8Array(galoisWireBytes(2, 32, 1));
    expect(frame.byteLength).toBe(2 * w);
    // All zero c0 residues pass the range check; coefficient 0 mod p0 of component 1 at 2^60 - 1 does not
    // (its low 32-bit word, then its 28 high bits first in the bit stream after the 3N low words).
    const bad = frame.slice();
    bad.fill(0xff, w + 113, w + 113 + 4);
    bad.fill(0xff, w + 113 + 4 * 3 * N, w + 113 + 4 * 3 * N + 4);
    expect(() => unpackKeyFrame(p.ctx, bad)).toThrow(/Galois key 0 component 1: coefficient 0 mod prime 0/);
    expect(() => unpackKeyFrame(p.ctx, new Uint8Array(galoisWireBytes(2, 32, 0)))).toThrow(/Galois key frame has 657990 bytes on the wire, expected 356740/);
    expect(galoisElements(2)).toEqual([8193]);
  });
});
