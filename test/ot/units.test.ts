// Building blocks: bit formats, the transpose, the TCCR hash, base OT.
import { describe, expect, it } from 'vitest';
import { MemoryChannel, ChannelError } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { maskMsgs, msgBytes, msgsToRing, packMsgs, ringToMsgs, unpackMsgs } from '../../src/crypto/ot/bits.ts';
import { transpose128 } from '../../src/crypto/ot/transpose.ts';
import { Tccr } from '../../src/crypto/ot/aes.ts';
import { baseOtBothWays } from '../../src/crypto/ot/base-ot.ts';
import { enginePair, FERRET_TOY, firstDiff, TOY_SCHEDULE } from './helpers.ts';

describe('bit formats', () => {
  it.each([1, 3, 8, 13, 37, 64, 128, 300])('pack/unpack round-trips %i-bit messages densely', (bits) => {
    for (const n of [0, 1, 7, 8, 129]) {
      const m = maskMsgs(Prg.fromInt(bits + n).bytes(n * msgBytes(bits)), bits);
      const w = packMsgs(m, n, bits);
      expect(w.length).toBe(Math.ceil((n * bits) / 8));
      expect(firstDiff(unpackMsgs(w, n, bits), m)).toBe(-1);
    }
  });

  it('packs bit by bit, little-endian', () => {
    // three 3-bit messages 5, 3, 6 -> the 9-bit number 5 | 3 << 3 | 6 << 6 = 413 = 0x19d
    const w = packMsgs(Uint8Array.of(5, 3, 6), 3, 3);
    expect([...w]).toEqual([0x9d, 0x01]);
  });

  it.each([1, 7, 32, 33, 37, 64])('ring <-> messages for ell=%i', (ell) => {
    const n = 50;
    const raw = Prg.fromInt(ell).bytes(8 * n);
    const v = ell > 32 ? new BigUint64Array(raw.buffer).map((x) => BigInt.asUintN(ell, x)) : new Uint32Array(raw.buffer, 0, n).map((x) => (ell === 32 ? x : x & ((1 << ell) - 1)));
    const m = ringToMsgs(v, ell);
    expect(m.length).toBe(n * msgBytes(ell));
    expect([...msgsToRing(m, n, ell)]).toEqual([...v]);
  });
});

describe('transpose', () => {
  it.each([32, 64, 4096])('128 × %i bit matrix matches a naive transpose', (rows) => {
    const prg = Prg.fromInt(rows);
    const cols = Array.from({ length: 128 }, () => new Uint32Array(prg.bytes(rows / 8).buffer));
    const out = new Uint32Array(4 * rows);
    transpose128(cols, rows, out);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < 128; j++) {
        const a = (cols[j][i >>> 5] >>> (i & 31)) & 1, b = (out[4 * i + (j >>> 5)] >>> (j & 31)) & 1;
        if (a !== b) expect(`row ${i} col ${j}: ${b}`).toBe(`row ${i} col ${j}: ${a}`);
      }
    }
  });
});

describe('TCCR hash', () => {
  it('is deterministic, depends on the tweak, the domain and the Δ offset', () => {
    const h = new Tccr();
    const x = Prg.fromInt(1).bytes(16 * 4);
    const a = h.hash(x, 4, 128, { base: 0, domain: 1 });
    expect(firstDiff(h.hash(x, 4, 128, { base: 0, domain: 1 }), a)).toBe(-1);
    expect(firstDiff(h.hash(x, 4, 128, { base: 1, domain: 1 }).subarray(0, 16), a.subarray(16, 32))).toBeGreaterThanOrEqual(0);
    expect(firstDiff(h.hash(x, 4, 128, { base: 0, domain: 2 }), a)).toBeGreaterThanOrEqual(0);
    const d = Prg.fromInt(2).bytes(16);
    const xd = x.slice();
    for (let i = 0; i < 64; i++) xd[i] ^= d[i & 15];
    expect(firstDiff(h.hash(x, 4, 128, { base: 0, domain: 1 }, d), h.hash(xd, 4, 128, { base: 0, domain: 1 }))).toBe(-1);
    // long outputs: the first 128 bits equal the 128-bit output
    const long = h.hash(x, 4, 300, { base: 0, domain: 1 });
    for (let i = 0; i < 4; i++) expect(firstDiff(long.subarray(38 * i, 38 * i + 16), a.subarray(16 * i, 16 * i + 16))).toBe(-1);
    expect(long[37] >> 4).toBe(0);
  });
});

describe('base OT (Chou–Orlandi on ristretto255)', () => {
  it('both directions: each receiver gets the key it chose and not the other', async () => {
    const [c, s] = MemoryChannel.pair();
    const pc = Prg.fromInt(1), ps = Prg.fromInt(2);
    const cc = Uint8Array.from({ length: 16 }, (_, i) => i & 1), sc = Uint8Array.from({ length: 16 }, (_, i) => (i >> 1) & 1);
    const [oc, os] = await Promise.all([
      baseOtBothWays(c, 16, cc, (n) => pc.bytes(n), { mine: 'A', peer: 'B' }),
      baseOtBothWays(s, 16, sc, (n) => ps.bytes(n), { mine: 'B', peer: 'A' }),
    ]);
    for (let i = 0; i < 16; i++) {
      // server received from client's sender role, and vice versa
      expect(firstDiff(os.received[i], (sc[i] ? oc.sent.k1 : oc.sent.k0)[i])).toBe(-1);
      expect(firstDiff(os.received[i], (sc[i] ? oc.sent.k0 : oc.sent.k1)[i])).toBeGreaterThanOrEqual(0);
      expect(firstDiff(oc.received[i], (cc[i] ? os.sent.k1 : os.sent.k0)[i])).toBe(-1);
    }
    expect(c.totals).toMatchObject({ bytesSent: 32 + 32 * 16, rounds: 2 });
  });

  it('rejects a malformed point', async () => {
    const [c, s] = MemoryChannel.pair();
    const p = baseOtBothWays(c, 1, new Uint8Array(1), (n) => Prg.fromInt(3).bytes(n), { mine: 'A', peer: 'B' });
    s.send(new Uint8Array(32).fill(0xff));
    await expect(p).rejects.toBeInstanceOf(ChannelError);
  });
});

describe('misuse', () => {
  it('mismatched calls fail with a clear error instead of wrong results', async () => {
    const E = await enginePair(256);
    const r = E.server.cotRecv(new Uint8Array(300));
    await expect(E.client.cotSend(100)).rejects.toThrow(/expected .* bytes .* COTs/);
    await r;
  });

  it('calls before setup() and invalid inputs are rejected', async () => {
    const [c] = MemoryChannel.pair();
    const { OtEngine } = await import('../../src/crypto/ot/engine.ts');
    await expect(new OtEngine(c).cotSend(1)).rejects.toThrow(/setup/);
    const E = await enginePair();
    await expect(E.client.otRecv(Uint8Array.of(2), 8)).rejects.toThrow(/choice 0 is 2/);
    await expect(E.client.otNRecv(Uint8Array.of(4), 4, 8)).rejects.toThrow(/must be in \[0, 4\)/);
    await expect(E.client.acotSend(20, new BigUint64Array(1))).rejects.toThrow(/Uint32Array/);
    expect(() => E.client.otSend(new Uint8Array(3), new Uint8Array(2), 8)).toThrow(/m0 and m1/);
  });
});

// Split calls: each party receives first (otNRecvStart), then serves the other's call; so the two
// parties reach the two directions' calls in different orders. A Ferret refill at a call would
// desynchronise them ('expected N bytes of tree sums'); without a prefill the engine refuses.
describe('Ferret without a schedule', () => {
  const split = async (E: Awaited<ReturnType<typeof enginePair>>, n: number) => {
    const msgs = Prg.fromInt(5).bytes(4 * n).map((b) => b & 15), c = Uint8Array.from({ length: n }, (_, i) => i % 4);
    const side = async (me: typeof E.client) => {
      const finish = await me.otNRecvStart(c, 4, 4);
      await me.otNSend(msgs, 4, 4);
      return finish();
    };
    return { got: await Promise.all([side(E.client), side(E.server)]), want: Uint8Array.from(c, (ci, i) => msgs[4 * i + ci]) };
  };

  it('refuses a refill inside a call with a clear error on both parties (no hang, no desync)', async () => {
    const [cc, sc] = MemoryChannel.pair();
    const { OtEngine } = await import('../../src/crypto/ot/engine.ts');
    const { FerretCot } = await import('../../src/crypto/ot/ferret/cot.ts');
    const mk = (ch: MemoryChannel) => new OtEngine(ch, { cot: new FerretCot(ch, { schedule: TOY_SCHEDULE }) });
    const E = { client: mk(cc), server: mk(sc), cc, sc };
    await Promise.all([E.client.setup(), E.server.setup()]);
    const r = await Promise.allSettled([split(E, 50)]);
    expect(r[0].status).toBe('rejected');
    expect(String((r[0] as PromiseRejectedResult).reason)).toMatch(/refills only in prefill|aborted/);
  });

  it('after a prefill of both directions the same split calls are correct', async () => {
    const E = await enginePair(undefined, 3, FERRET_TOY);
    const n = 50;
    await Promise.all([E.client.prefill({ client: 2 * n, server: 2 * n }), E.server.prefill({ client: 2 * n, server: 2 * n })]);
    const { got, want } = await split(E, n);
    expect([...got[0]]).toEqual([...want]);
    expect([...got[1]]).toEqual([...want]);
  });
});
