// The secure embedding lookup (src/crypto/lookup, docs/lookup.md) on real OT engines (IKNP and
// Ferret) and real HE: the opened shares equal table[ids] exactly, for radices that leave the
// last sub-table short (v not a multiple of B), exceed the table (v < B: no HE product), or
// skip the OT (B = 1); with one token, ids 0 and v − 1, and narrow and wide rings. Bytes as
// counted at the channel equal the plan's (IKNP; the Ferret run refills inline here, the
// executor's prediction with refills is checked in test/exec/lookup.test.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { ringOf, type RingArray } from '../../src/crypto/ring.ts';
import { HeContext, heMatmulCost, heMatmulClient, heMatmulServer, heSetupClient, heSetupServer, heSetupCost, type HeClientSession, type HeServerSession } from '../../src/crypto/he/index.ts';
import { lookupClient, lookupIndex, lookupPlan, lookupServer, padBytes, planFor, planProduct, type LookupParams } from '../../src/crypto/lookup/index.ts';
import { FERRET_TOY, IKNP, testEngine, type TestBackend } from '../ot/helpers.ts';

const contexts = new Map<number, Promise<HeContext>>();
const heContext = (ell: number) => {
  let c = contexts.get(ell);
  if (!c) contexts.set(ell, (c = HeContext.create({ ell })));
  return c;
};
afterAll(async () => {
  for (const c of contexts.values()) (await c).delete();
});

/** Both parties on one channel pair; returns the opened result and each party's bytes sent. */
async function run(backend: TestBackend, p: LookupParams, ids: number[], table: RingArray) {
  const [cc, sc] = MemoryChannel.pair();
  const pc = Prg.fromInt(11), ps = Prg.fromInt(12);
  const otc = testEngine(cc, (n) => pc.bytes(n), backend), ots = testEngine(sc, (n) => ps.bytes(n), backend);
  const ctx = await heContext(p.ell);
  const sessions: (HeClientSession | HeServerSession)[] = [];
  let otReady: Promise<unknown> | null = null;
  const setupOt = () => (otReady ??= Promise.all([otc.setup(), ots.setup()]));
  try {
    const [c, s] = await Promise.all([
      lookupClient({
        party: 'client', ch: cc, prg: pc,
        ot: async () => (await setupOt(), otc),
        product: async () => {
          const sess = await heSetupClient(cc, ctx);
          sessions.push(sess);
          return (x, _w, n, k, m, blocking) => heMatmulClient(cc, sess, x, n, k, m, blocking ? { blocking } : {});
        },
      }, ids, p),
      lookupServer({
        party: 'server', ch: sc, prg: ps,
        ot: async () => (await setupOt(), ots),
        product: async () => {
          const sess = await heSetupServer(sc, ctx);
          sessions.push(sess);
          return (x, w, n, k, m, blocking) => heMatmulServer(sc, sess, x, w!, n, k, m, { prg: Prg.fromInt(13), ...(blocking ? { blocking } : {}) });
        },
      }, table, p),
    ]);
    return { opened: ringOf(p.ell).add(c, s), server: s, c2s: cc.totals.bytesSent, s2c: sc.totals.bytesSent, heUsed: sessions.length > 0 };
  } finally {
    for (const x of sessions) x.delete();
  }
}

const tableOf = (v: number, d: number, ell: number, seed: number) => ringOf(ell).random(v * d, Prg.fromInt(seed));
const rowsOf = (table: RingArray, ids: number[], v: number, d: number) => Array.from(lookupIndex(ids, v, d), (i) => table[i]);

// [name, params, ids]: ids include 0 and v − 1 wherever there are two or more tokens.
const cases: [string, LookupParams, number[]][] = [
  ['v not a multiple of B (10 rows, B = 4)', { n: 4, v: 10, d: 3, ell: 32, B: 4 }, [0, 9, 5, 9]],
  ['v < B (5 rows, B = 8: no HE product)', { n: 3, v: 5, d: 4, ell: 32, B: 8 }, [4, 0, 2]],
  ['B = 1 (the one-hot product alone, no OT)', { n: 2, v: 7, d: 2, ell: 32, B: 1 }, [6, 0]],
  ['one token', { n: 1, v: 9, d: 5, ell: 32, B: 3 }, [8]],
  ['a narrow ring (ell = 20, packed shares)', { n: 3, v: 11, d: 3, ell: 20, B: 5 }, [0, 10, 7]],
  ['a wide ring (ell = 37)', { n: 2, v: 6, d: 2, ell: 37, B: 4 }, [5, 0]],
  ['the plan the cost model picks (B = 16, its own blocking)', { n: 4, v: 10000, d: 8, ell: 32 }, [0, 9999, 321, 5000]],
  ['the plan the cost model picks for a small table (OT only)', { n: 3, v: 600, d: 4, ell: 32 }, [0, 599, 321]],
];

// Ferret: the cases where the OT's choices matter (B = 1 has no OT; the ring widths and the small
// table's plan do not depend on the backend).
const ferretCases = cases.filter(([label]) => /multiple|v < B|one token|B = 16/.test(label));

describe.each([['IKNP', IKNP, cases], ['Ferret', FERRET_TOY, ferretCases]] as const)('lookup with %s', (_name, backend, which) => {
  it.each(which)('%s: opened == table[ids]', async (_label, p, ids) => {
    const table = tableOf(p.v, p.d, p.ell, p.v + p.d);
    const r = await run(backend, p, ids, table);
    expect(Array.from(r.opened as ArrayLike<number | bigint>)).toEqual(rowsOf(table, ids, p.v, p.d));
    const plan = p.B === undefined ? lookupPlan(p.n, p.v, p.d, p.ell) : planFor(p.v, p.B);
    expect(r.heUsed).toBe(plan.A > 1);
    // The server's share is fresh randomness whenever an OT runs (not the row, not zero).
    if (plan.B > 1) expect(Array.from(r.server as ArrayLike<number | bigint>)).not.toEqual(rowsOf(table, ids, p.v, p.d));
    if (backend === IKNP) {
      // Bytes at the channel: base OTs (Chou–Orlandi both ways) + random OTs + HE key, upload, results, masked shares.
      const baseOt = plan.B > 1 ? 32 + 32 * 128 : 0, he = planProduct(p.n, p.d, p.ell, plan);
      const rot = plan.B > 1 ? 128 * Math.ceil((p.n * plan.k) / 8) : 0;
      expect(r.c2s).toBe(baseOt + rot + (he ? heSetupCost({ ell: p.ell }).bytesUp + he.bytesUp : 0)); // the key bytes depend on the chain
      expect(r.s2c).toBe(baseOt + (he ? he.bytesDown : 0) + padBytes(p.n, plan.B, p.d, p.ell));
    }
  }, 120_000);
});

describe('lookup: bad ids and the plan', () => {
  it('an id outside the table is a clear error on the client, before it sends anything', async () => {
    const [cc] = MemoryChannel.pair();
    const ctx = { party: 'client' as const, ch: cc, prg: Prg.fromInt(1), ot: () => Promise.reject(new Error('unused')), product: () => Promise.reject(new Error('unused')) };
    for (const bad of [10, -1, 2.5, NaN]) {
      await expect(lookupClient(ctx, [0, bad], { n: 2, v: 10, d: 2, ell: 32 })).rejects.toThrow(/token id .* at position 1 is outside the vocabulary 0\.\.9/);
    }
    expect(cc.totals.bytesSent).toBe(0);
  });

  it('BERT-base: fewer bytes than the one-hot product within SLACK of its time, deterministically', () => {
    const p = lookupPlan(128, 30522, 768, 32), he = planProduct(128, 768, 32, p)!;
    const before = heMatmulCost(128, 30522, 768);
    // With packed HE results (he/pack.ts) the one-hot product itself costs about as few bytes as any radix.
    expect(he.bytesUp + he.bytesDown).toBeLessThanOrEqual(before.bytesUp + before.bytesDown);
    expect(lookupPlan(128, 30522, 768, 32)).toEqual(p);
  });

  it('a small table goes by OT alone, a thin one through HE with a radix', () => {
    expect(lookupPlan(3, 600, 4, 32)).toMatchObject({ B: 600, A: 1, blocking: null });
    expect(lookupPlan(4, 10000, 8, 32)).toMatchObject({ B: 64, A: 157, k: 6 }); // packed HE results (he/pack.ts) made the product cheaper than radix 16's
  });
});
