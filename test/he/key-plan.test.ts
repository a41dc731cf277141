// The Galois keys a session sends (HeParams.galoisDepth; docs/he.md "Galois keys: which a session
// sends") and the program-level key plan (src/opt/he-keys.ts), on real SEAL: the setup carries
// keys for 2^depth results only and heSetupCost predicts it exactly; products merge at most that
// many (P < 16 here) and open to the twin with predicted == measured bytes; an unpacked width sends
// no keys; a product asked to merge deeper than the keys is refused with a clear error, not run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { HeContext, heMatmulClient, heMatmulCost, heMatmulServer, heSetupCost, makeBlocking } from '../../src/crypto/he/index.ts';
import { componentWireBytes, keyWireBytes } from '../../src/crypto/he/galois.ts';
import { ServerCore } from '../../src/crypto/he/server-core.ts';
import { heKeyPlan, heProducts, keyPlanCosts } from '../../src/opt/he-keys.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { bundledModel, loadBert } from '../../src/model/load.ts';
import { twin, firstMismatch, expectCounted, pooledProduct, sessionPair, type Pair } from './helpers.ts';

describe('Galois keys for the tree levels a session uses', () => {
  const pairs = new Map<string, Pair>();
  beforeAll(async () => {
    pairs.set('depth2', await sessionPair(32, { packed: true, galoisDepth: 2 }));
    pairs.set('unpacked', await sessionPair(32, { packed: false }));
  }, 120_000);
  afterAll(() => {
    for (const p of pairs.values()) p.close();
  });

  it('the setup message: 2 keys at depth 2, none unpacked, predicted == measured', () => {
    const d2 = pairs.get('depth2')!, un = pairs.get('unpacked')!;
    expect(d2.ctx.keyPack).toBe(4);
    expect(d2.ctx.pack).toBe(16); // t' = 2^(ell+4) whatever the depth: merged results hold 16·y
    // The public key and 2 keys of 3 components, each c0 at 60 + 54 + 40 + 60 bits a coefficient (key-wire.test.ts).
    expect(heSetupCost({ ell: 32, packed: true, galoisDepth: 2 }).bytesUp).toBe(7 * keyWireBytes(32));
    expect(d2.c.totals.bytesSent).toBe(heSetupCost(d2.ctx.params).bytesUp);
    expect(un.ctx.keyPack).toBe(1);
    expect(un.c.totals.bytesSent).toBe(keyWireBytes(32));
    expect(heSetupCost({ ell: 32, packed: false }).bytesUp).toBe(keyWireBytes(32));
    expect(() => heSetupCost({ ell: 32, packed: true, galoisDepth: 5 })).toThrow(/galoisDepth 5 outside 1\.\.4/);
    expect(() => heSetupCost({ ell: 32, packed: true, galoisDepth: 0 })).toThrow(/outside 1\.\.4/);
  });

  it('products merge at most 2^depth results (P = 4 < 16) and open to the twin; unpacked P = 1; bytes as predicted', async () => {
    for (const [name, wantP] of [['depth2', 4], ['unpacked', 1]] as const) {
      const { ctx, cs, ss } = pairs.get(name)!;
      const [n, k, m] = [6, 64, 96];
      const [c, s] = MemoryChannel.pair();
      const Xc = ctx.ring.random(n * k, Prg.fromInt(1)), Xs = ctx.ring.random(n * k, Prg.fromInt(2)), W = ctx.ring.random(k * m, Prg.fromInt(3));
      const [yc, ys] = await Promise.all([heMatmulClient(c, cs, Xc, n, k, m), heMatmulServer(s, ss, Xs, W, n, k, m, { prg: Prg.fromInt(4) })]);
      const cost = heMatmulCost(n, k, m, ctx.params);
      // With every key the same product merges more than 4 (the cap is the keys').
      if (name === 'depth2') expect(heMatmulCost(n, k, m, { ...ctx.params, galoisDepth: 4 }).blocking.P).toBeGreaterThan(4);
      expect(cost.blocking.P ?? 1, name).toBe(wantP);
      expect(firstMismatch(ctx.ring, yc, ys, twin(ctx.ring, ctx.ring.add(Xc, Xs), W, 1, n, k, m)), name).toBe(-1);
      expectCounted(cost, c, s);
    }
  }, 120_000);

  it('a merge deeper than the keys is refused clearly, by both parties and by the server core', async () => {
    const { ctx, ss } = pairs.get('depth2')!;
    const b = { ...makeBlocking(4, 64, 64, 4, 16, 8), P: 8 };
    expect(() => heMatmulCost(4, 64, 64, ctx.params, b)).toThrow(/merges 8 results per ciphertext, but the session's Galois keys cover merges of at most 4/);
    const [, s] = MemoryChannel.pair();
    await expect(heMatmulServer(s, ss, ctx.ring.alloc(4 * 64), ctx.ring.alloc(64 * 64), 4, 64, 64, { blocking: b })).rejects.toThrow(/Galois keys cover merges of at most 4/);
    // The server's core (one thread and the workers) checks it too, whatever its caller resolved.
    const job = { kind: 'plain' as const, shape: { heads: 1, n: 4, k: 64, m: 64 }, b, right: { data: ctx.ring.alloc(64 * 64), transposed: false } };
    expect(() => new ServerCore({ ctx, encryptor: null }, job as unknown as ConstructorParameters<typeof ServerCore>[1])).toThrow(/at most 4/);
  });

  it('worker threads open the same depth (2 keys) and products stay exact with predicted bytes', async () => {
    expect(await pooledProduct(pairs.get('depth2')!)).toBe(4);
  }, 120_000);

  it('contexts refuse a depth the chain does not have', async () => {
    await expect(HeContext.create({ ell: 32, packed: true, galoisDepth: 7 })).rejects.toThrow(/galoisDepth 7 outside 1\.\.4/);
  });
});

describe('the key plan of a program (src/opt/he-keys.ts)', () => {
  it('bundled classifier: keys for 3 levels at ell = 32 and 1 at ell = 37, both merged at level 1 (key-level1.test.ts)', () => {
    const m = loadBert(bundledModel('bert-sentiment'), 'bert_dense');
    const s = buildSchedule(m.program);
    const plan = heKeyPlan(s);
    // Level-1 keys (2 components over 3 primes) make one level at ell = 37 pay for itself: its
    // attention products merge 2 (the level-1 noise allows no more there), before it ran unpacked.
    expect([...plan]).toEqual([
      [32, { packed: true, galoisDepth: 3, galoisLevel: 1 }],
      [37, { packed: true, galoisDepth: 1, galoisLevel: 1 }],
    ]);
    expect(heKeyPlan(s)).toBe(plan); // memoised per schedule: the executor and the cost model share it
    // The chosen candidate is the cheapest of each width, and every key level is priced at both tree levels.
    for (const [ell, ps] of heProducts(s)!) {
      const costs = keyPlanCosts(ell, ps);
      const best = costs.reduce((a, c) => (c.seconds < a.seconds ? c : a));
      expect(best.choice).toEqual(plan.get(ell));
      const setups = [4, 3, 2, 1].flatMap((d) => [(1 + 3 * d) * keyWireBytes(ell), keyWireBytes(ell) + 2 * d * componentWireBytes(ell, 1)]);
      expect(costs.map((c) => c.setupBytes)).toEqual([...setups, keyWireBytes(ell)]);
    }
  });

  it('a width with a product too large to flood when packed (GPT-2 128-token LM head) runs unpacked instead of failing', () => {
    // 128×768·768×50257: in a packed context even P = 1 (results scaled by 16) misses 2^-40; unpacked it passes.
    const costs = keyPlanCosts(32, [{ kind: 'plain', n: 128, k: 768, m: 50257 }, { kind: 'plain', n: 128, k: 768, m: 768 }]);
    expect(costs.filter((c) => c.choice.packed).every((c) => c.seconds === Infinity)).toBe(true);
    const unpacked = costs.find((c) => !c.choice.packed)!;
    expect(Number.isFinite(unpacked.seconds)).toBe(true);
    expect(unpacked.setupBytes).toBe(keyWireBytes(32));
  });
});
