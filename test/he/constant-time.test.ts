// The server's HE work does not depend on its weight values (issue 14): the same SEAL operations
// and kernel products (mac.ts), in the same number, for random weights, all-zero weights and weights with zero blocks. (It
// used to skip all-zero plaintext blocks, so the reply time revealed where the weights are zero.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prg } from '../../src/crypto/prg.ts';
import { heBatchMatmulClient, heBatchMatmulServer, heMatmulClient, heMatmulServer, makeBlocking } from '../../src/crypto/he/index.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import { firstMismatch, sessionPair, twin, type Pair } from './helpers.ts';
import { kernelNtt, macStats } from '../../src/crypto/he/mac.ts';

const COUNTED = [
  'multiplyPlain', 'addInplace', 'addPlainInplace', 'plainTransformToNtt', 'cipherTransformToNttInplace',
  'cipherTransformFromNttInplace', 'cipherModSwitchToNextInplace',
] as const;

/** Count the server's evaluator and encryptor calls while `run` executes. */
async function countOps(p: Pair, run: () => Promise<unknown>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const targets: [object, string][] = [...COUNTED.map((m) => [p.ctx.evaluator, m] as [object, string]), [p.ss.encryptor, 'encryptZero']];
  const saved = targets.map(([o, m]) => (o as Record<string, unknown>)[m]);
  targets.forEach(([o, m], i) => {
    const orig = saved[i] as (...a: unknown[]) => unknown;
    counts[m] = 0;
    (o as Record<string, unknown>)[m] = (...a: unknown[]) => {
      counts[m]++;
      return orig.apply(o, a);
    };
  });
  const kernel0 = macStats.products, prepared0 = macStats.prepared;
  try {
    await run();
  } finally {
    targets.forEach(([o, m]) => delete (o as Record<string, unknown>)[m]);
  }
  counts.kernelProducts = macStats.products - kernel0; // products outside SEAL (mac.ts)
  counts.kernelPrepared = macStats.prepared - prepared0; // plaintext blocks encoded + transformed in the kernel
  expect(counts.kernelPrepared).toBeGreaterThan(0);
  return counts;
}

describe('HE server work is independent of the weights', () => {
  let p: Pair;
  beforeAll(async () => {
    p = await sessionPair(32);
    p.ctx.nonzeroNtt(); // built once per context, before any product
    kernelNtt(p.ctx); // the kernel's NTT tables, built and checked against SEAL once per thread and context
  });
  afterAll(() => p.close());

  it('[X]·W: the same operations for random, all-zero and block-sparse weights; results exact', async () => {
    const ring = p.ctx.ring;
    const [n, k, m] = [9, 20, 12];
    const b = makeBlocking(n, k, m, 3, 5, 4); // nb = 3, kb = 4, mb = 3
    const X = ring.random(n * k, Prg.fromInt(1));
    const [Xc, Xs] = ring.share(X, Prg.fromInt(2));
    const random = ring.random(k * m, Prg.fromInt(3));
    const sparse = ring.random(k * m, Prg.fromInt(4));
    for (let j = 0; j < 10; j++) for (let c = 0; c < m; c++) sparse[j * m + c] = 0; // two whole k-blocks zero
    const weights: [string, RingArray][] = [['random', random], ['zero', ring.alloc(k * m)], ['sparse', sparse]];
    const seen: Record<string, Record<string, number>> = {};
    for (const [name, W] of weights) {
      let shares: RingArray[] = [];
      seen[name] = await countOps(p, async () => {
        shares = await Promise.all([heMatmulClient(p.c, p.cs, Xc, n, k, m, { blocking: b }), heMatmulServer(p.s, p.ss, Xs, W, n, k, m, { blocking: b })]);
      });
      expect(firstMismatch(ring, shares[0], shares[1], twin(ring, X, W, 1, n, k, m)), name).toBe(-1);
    }
    expect(seen.random.multiplyPlain + seen.random.kernelProducts).toBe(b.nb * b.kb * b.mb);
    expect(seen.zero).toEqual(seen.random);
    expect(seen.sparse).toEqual(seen.random);
  });

  it('[A]·[B]: the same operations when the server\'s share of A is zero', async () => {
    const ring = p.ctx.ring;
    const shape = { heads: 2, n: 4, k: 6, m: 5 };
    const A = ring.random(2 * 4 * 6, Prg.fromInt(5)), B = ring.random(2 * 6 * 5, Prg.fromInt(6));
    const [Bc, Bs] = ring.share(B, Prg.fromInt(7));
    const seen: Record<string, number>[] = [];
    for (const [Ac, As] of [ring.share(A, Prg.fromInt(8)), [A, ring.alloc(A.length)]]) {
      let shares: RingArray[] = [];
      seen.push(await countOps(p, async () => {
        shares = await Promise.all([heBatchMatmulClient(p.c, p.cs, Ac, Bc, shape), heBatchMatmulServer(p.s, p.ss, As, Bs, shape)]);
      }));
      expect(firstMismatch(ring, shares[0], shares[1], twin(ring, A, B, 2, 4, 6, 5))).toBe(-1);
    }
    expect(seen[1]).toEqual(seen[0]);
  });
});
