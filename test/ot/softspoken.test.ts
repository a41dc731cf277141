// SoftSpokenOT (src/crypto/ot/softspoken.ts): every output satisfies W = V ⊕ b·Δ, for k = 2, 4, 8
// and call sizes across word and chunk edges; lsb(Δ) = 1 when asked; bytes, messages and rounds
// counted at the channel equal softSpokenCost; a tampered message is refused or gives a wrong
// correlation (semi-honest: no consistency check, so the test checks the correlation itself).
import { describe, expect, it } from 'vitest';
import { MemoryChannel, type Channel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { SOFTSPOKEN_K, SoftSpokenCot, softSpokenCost } from '../../src/crypto/ot/softspoken.ts';
import { PPRF_BYTES } from '../../src/crypto/ot/softspoken-vole.ts';
import { iknpCost } from '../../src/crypto/ot/iknp.ts';
import { FERRET_SETUP, iterationBytes } from '../../src/crypto/ot/ferret/params.ts';
import { bothWays, choiceBits, enginePair } from './helpers.ts';

async function pair(k: number, seed: number, opts: { chunk?: number; deltaLsbOne?: boolean } = {}) {
  const [sc, rc] = MemoryChannel.pair();
  const ps = Prg.fromInt(seed), pr = Prg.fromInt(seed + 1000);
  const S = new SoftSpokenCot(sc, { k, chunk: opts.chunk, deltaLsbOne: opts.deltaLsbOne, random: (n) => ps.bytes(n) });
  const R = new SoftSpokenCot(rc, { k, chunk: opts.chunk, random: (n) => pr.bytes(n) });
  await Promise.all([S.setup(), R.setup()]);
  return { S, R, sc, rc };
}

/** Rows i where W_i ⊕ b_i·Δ ≠ V_i. */
function wrongRows(W: Uint8Array, V: Uint8Array, b: Uint8Array, delta: Uint8Array): number {
  let bad = 0;
  for (let i = 0; i < b.length; i++) {
    for (let w = 0; w < 16; w++) {
      if ((W[16 * i + w] ^ (b[i] ? delta[w] : 0)) !== V[16 * i + w]) {
        bad++;
        break;
      }
    }
  }
  return bad;
}

const snapshot = (ch: Channel) => ({ ...ch.totals });

describe('SoftSpokenOT random COTs', () => {
  it.each([2, 4, 8])('k = %i: W = V ⊕ b·Δ on every output for m = 1, 127, 128, 1000, 47,709 (one session, streams continue); bytes, messages, rounds == softSpokenCost', async (k) => {
    const { S, R, sc, rc } = await pair(k, 10 + k);
    let first = true;
    for (const m of [1, 127, 128, 1000, 47_709]) {
      // A message from the sender first, so the call's rounds start from a clean causal point.
      sc.send(new Uint8Array(1));
      await rc.recv();
      const s0 = snapshot(sc), r0 = snapshot(rc);
      const [W, { choices, blocks: V }] = await Promise.all([S.sendRandom(m), R.recvRandom(m)]);
      expect(W.length).toBe(16 * m);
      expect(wrongRows(W, V, choices, S.delta)).toBe(0);
      if (m >= 1000) {
        const ones = choices.reduce((a, c) => a + c, 0);
        expect(Math.abs(ones / m - 0.5)).toBeLessThan(0.1); // random bits (u_1), both values present
      }
      const want = softSpokenCost(m, S.chunk, k, first);
      expect(rc.totals.bytesSent - r0.bytesSent).toBe(want.bytesReceiverToSender);
      expect(rc.totals.messagesSent - r0.messagesSent).toBe(want.messagesReceiverToSender);
      expect(sc.totals.bytesSent - s0.bytesSent).toBe(0);
      expect(Math.max(rc.totals.rounds - r0.rounds, sc.totals.rounds - s0.rounds)).toBe(want.rounds);
      first = false;
    }
  });

  it('several messages per call (chunk 256): correlation and cost; the bootstrap size costs 128/k − 1 bits per COT + 4 KB', async () => {
    const { S, R, rc } = await pair(SOFTSPOKEN_K, 3, { chunk: 256 });
    const m = 1000, r0 = snapshot(rc);
    const [W, { choices, blocks: V }] = await Promise.all([S.sendRandom(m), R.recvRandom(m)]);
    expect(wrongRows(W, V, choices, S.delta)).toBe(0);
    const want = softSpokenCost(m, 256, SOFTSPOKEN_K, true);
    expect(want.messagesReceiverToSender).toBe(4);
    expect(rc.totals.bytesSent - r0.bytesSent).toBe(want.bytesReceiverToSender);
    expect(rc.totals.messagesSent - r0.messagesSent).toBe(4);
    // Ferret's bootstrap (47,709 COTs): 15 · 5,964 + 4,096 = 93,556 B instead of IKNP's 128 · 5,964.
    expect(softSpokenCost(47_709, 1 << 17, 8, true).bytesReceiverToSender).toBe(93_556);
    expect(iknpCost(47_709, 1 << 17).bytesReceiverToSender).toBe(763_392);
    expect(softSpokenCost(0, 1 << 17, 8, true)).toMatchObject({ bytesReceiverToSender: 0, rounds: 0 });
  });

  it('lsb(Δ) = 1 when asked; Δ is random otherwise', async () => {
    const lsbs = { forced: [] as number[], free: [] as number[] };
    for (let seed = 0; seed < 3; seed++) {
      for (const forced of [true, false]) {
        const { S, R } = await pair(4, seed, { deltaLsbOne: forced });
        const [W, { choices, blocks: V }] = await Promise.all([S.sendRandom(100), R.recvRandom(100)]);
        expect(wrongRows(W, V, choices, S.delta)).toBe(0);
        lsbs[forced ? 'forced' : 'free'].push(S.delta[0] & 1);
      }
    }
    expect(lsbs.forced).toEqual([1, 1, 1]);
    expect(lsbs.free).toContain(0);
  });

  it('a tampered message: a wrong length is refused clearly; a flipped bit in c or in the PPRF sums breaks the correlation (no check: semi-honest)', async () => {
    const flip = (ch: Channel, at: (len: number) => number) => {
      const send = ch.send.bind(ch);
      ch.send = (p: Uint8Array) => {
        p[at(p.length)] ^= 1;
        send(p);
      };
    };
    // c_2's first byte (right after the PPRF sums): rows 0..7 of block 2's columns lose b·Δ.
    {
      const { S, R, rc } = await pair(8, 21);
      flip(rc, () => PPRF_BYTES);
      const [W, { choices, blocks: V }] = await Promise.all([S.sendRandom(1000), R.recvRandom(1000)]);
      const bad = wrongRows(W, V, choices, S.delta);
      expect(bad).toBeGreaterThan(0);
      expect(bad).toBeLessThanOrEqual(1);
    }
    // The PPRF sum the sender opens at tree 1's level 1 (e^{1−Δ_0}): that tree's leaves go wrong
    // on the sender's side, so about half of all rows do.
    {
      const { S, R, rc } = await pair(8, 22);
      flip(rc, () => 16 * (1 - (S.delta[0] & 1)) + 5);
      const [W, { choices, blocks: V }] = await Promise.all([S.sendRandom(1000), R.recvRandom(1000)]);
      expect(wrongRows(W, V, choices, S.delta)).toBeGreaterThan(400);
    }
    // A message of the wrong size (different k on the two sides).
    {
      const [sc, rc] = MemoryChannel.pair();
      const ps = Prg.fromInt(5), pr = Prg.fromInt(6);
      const S = new SoftSpokenCot(sc, { k: 8, random: (n) => ps.bytes(n) });
      const R = new SoftSpokenCot(rc, { k: 4, random: (n) => pr.bytes(n) });
      await Promise.all([S.setup(), R.setup()]);
      const [s] = await Promise.allSettled([S.sendRandom(64), R.recvRandom(64)]);
      expect(s.status).toBe('rejected');
      expect(String((s as PromiseRejectedResult).reason)).toMatch(/SoftSpokenOT: expected 4216 bytes for 64 COTs, got 4344 .*different k/);
    }
  });

  it('refuses a k that does not divide 128 or is too large', () => {
    const [c] = MemoryChannel.pair();
    expect(() => new SoftSpokenCot(c, { k: 3 })).toThrow(/k must be one of 1, 2, 4, 8, got 3/);
    expect(() => new SoftSpokenCot(c, { k: 16 })).toThrow(/got 16/);
  });
});

describe('Ferret bootstrapped by SoftSpokenOT (paper parameters)', () => {
  it('the first prefill sends 93,556 B of SoftSpokenOT per direction (IKNP: 763,392) and a setup iteration; the pools hold correct COTs', async () => {
    const E = await enginePair(undefined, 31, { kind: 'ferret' });
    const c0 = { ...E.cc.totals }, s0 = { ...E.sc.totals };
    const need = { client: 1000, server: 1000 };
    await Promise.all([E.client.prefill(need), E.server.prefill(need)]);
    const it = iterationBytes(FERRET_SETUP), each = 93_556 + it.receiverToSender + it.senderToReceiver;
    expect([E.cc.totals.bytesSent - c0.bytesSent, E.sc.totals.bytesSent - s0.bytesSent]).toEqual([each, each]);
    expect(E.client.cost.fresh().pool!.step(need)).toEqual([{ c2s: 93_556, s2c: 93_556 }, { c2s: it.receiverToSender, s2c: it.receiverToSender }, { c2s: it.senderToReceiver, s2c: it.senderToReceiver }]);
    for (const [S, R, sCh, rCh] of bothWays(E)) {
      const b = choiceBits(1000, 4);
      const [q, t] = await Promise.all([S.cotSend(1000), R.cotRecv(b)]);
      sCh.send(S.delta.slice());
      const delta = await rCh.recv();
      expect(delta[0] & 1).toBe(1);
      sCh.send(q.slice());
      expect(wrongRows(await rCh.recv(), t, b, delta)).toBe(0);
    }
  });
});
