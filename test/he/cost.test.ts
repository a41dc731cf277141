// Predicted communication (bytes, messages, rounds) equals the channel's counters.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import {
  HeContext, heSetupClient, heSetupServer, heSetupCost, heMatmulClient, heMatmulServer,
  heBatchMatmulClient, heBatchMatmulServer, heMatmulCost, heBatchMatmulCost, makeBlocking, chooseBlocking,
} from '../../src/crypto/he/index.ts';
import type { HeCost, Blocking } from '../../src/crypto/he/index.ts';
import { expectCounted } from './helpers.ts';

describe('HE cost functions', () => {
  let ctx: HeContext;
  beforeAll(async () => { ctx = await HeContext.create({ ell: 32 }); });
  afterAll(() => ctx.delete());

  async function fresh() {
    const [c, s] = MemoryChannel.pair();
    const [cs, ss] = await Promise.all([heSetupClient(c, ctx), heSetupServer(s, ctx)]);
    expectCounted(heSetupCost(), c, s);
    const [c2, s2] = MemoryChannel.pair();
    return { c: c2, s: s2, cs, ss, done: () => { cs.delete(); ss.delete(); } };
  }

  it('setup and [X]·W, optimizer and forced blockings', async () => {
    const f = await fresh();
    try {
      for (const [n, k, m, b] of [[7, 9, 5, undefined], [13, 22, 17, makeBlocking(13, 22, 17, 4, 5, 6)]] as [number, number, number, Blocking | undefined][]) {
        const [c, s] = MemoryChannel.pair();
        const X = ctx.ring.random(n * k, Prg.fromInt(1));
        const W = ctx.ring.random(k * m, Prg.fromInt(2));
        await Promise.all([heMatmulClient(c, f.cs, X, n, k, m, { blocking: b }), heMatmulServer(s, f.ss, X, W, n, k, m, { blocking: b })]);
        expectCounted(heMatmulCost(n, k, m, ctx.params, b), c, s);
      }
    } finally {
      f.done();
    }
  });

  it('[A]·[B] over heads', async () => {
    const f = await fresh();
    try {
      const shape = { heads: 3, n: 10, k: 13, m: 6, transposeB: true };
      const b = makeBlocking(10, 13, 6, 4, 6, 4);
      const A = ctx.ring.random(3 * 10 * 13, Prg.fromInt(3));
      const B = ctx.ring.random(3 * 13 * 6, Prg.fromInt(4));
      const [c, s] = MemoryChannel.pair();
      await Promise.all([heBatchMatmulClient(c, f.cs, A, B, shape, { blocking: b }), heBatchMatmulServer(s, f.ss, A, B, shape, { blocking: b })]);
      const cost = heBatchMatmulCost(shape, ctx.params, b);
      expectCounted(cost, c, s);
      expect(cost.messagesUp).toBe(3 * 3);
      expect(cost.messagesDown).toBe(3 * 3);
    } finally {
      f.done();
    }
  });

  it('two consecutive products on one channel take 2 rounds each', async () => {
    const f = await fresh();
    try {
      const X = ctx.ring.random(6, Prg.fromInt(5));
      for (let i = 1; i <= 2; i++) {
        await Promise.all([heMatmulClient(f.c, f.cs, X, 2, 3, 2), heMatmulServer(f.s, f.ss, X, X, 2, 3, 2)]);
        expect(f.c.totals.rounds).toBe(2 * i);
      }
    } finally {
      f.done();
    }
  });

  it('the optimizer packs BERT shapes densely and deterministically', () => {
    for (const [n, k, m] of [[128, 768, 768], [128, 768, 3072], [128, 3072, 768], [128, 64, 128]]) {
      const b = chooseBlocking({ n, k, m }, 'plain', ctx.params.bandwidth);
      expect(b.nw * b.dw * b.mw).toBeLessThanOrEqual(8192);
      expect(b.nw * b.dw * b.mw).toBeGreaterThan(8192 * 0.6);
      expect(chooseBlocking({ n, k, m }, 'plain', ctx.params.bandwidth)).toEqual(b);
    }
  });

  it('rejects bad inputs with clear errors', async () => {
    await expect(HeContext.create({ ell: 48 })).rejects.toThrow(/ell must be/);
    const f = await fresh();
    try {
      await expect(heMatmulClient(f.c, f.cs, ctx.ring.alloc(5), 2, 3, 2)).rejects.toThrow(/Xc has 5 elements, expected 6/);
      expect(() => heMatmulCost(2, 3, 2, ctx.params, makeBlocking(2, 3, 2, 100, 100, 1))).toThrow(/does not fit/);
    } finally {
      f.done();
    }
  });
});
