// Streaming in chunks (small chunk size so every flavour spans several messages), calls issued
// without awaiting in both directions, and the test-only ideal OT giving the same correlations.
import { describe, expect, it } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import type { ObliviousTransfer } from '../../src/crypto/ot/types.ts';
import { msgBytes, xorInto } from '../../src/crypto/ot/bits.ts';
import { idealOtPairForTestsOnly } from '../support/ideal-ot.ts';
import { choiceBits, enginePair, FERRET_TOY, firstDiff, randomMsgs } from './helpers.ts';

/** Runs every flavour once in each direction, all issued before any is awaited; checks results. */
async function allFlavours(A: ObliviousTransfer, B: ObliviousTransfer, n: number): Promise<void> {
  const bits = 37, s = msgBytes(bits), N = 16;
  const b = choiceBits(n, 1);
  const m0 = randomMsgs(n, bits, 2), m1 = randomMsgs(n, bits, 3);
  const msgsN = randomMsgs(n * N, bits, 4);
  const cN = new Uint8Array(n).map((_, i) => (i * 7) % N);
  const corr = new Uint32Array(n).map((_, i) => i * 12345);
  // Party A issues: cot as sender, ot as receiver, otN as sender, acot as receiver (and B mirrors).
  const a = [A.cotSend(n), A.otRecv(b, bits), A.otNSend(msgsN, N, bits), A.acotRecv(32, b), A.rotSend(n, 300)] as const;
  const c = [B.cotRecv(b), B.otSend(m0, m1, bits), B.otNRecv(cN, N, bits), B.acotSend(32, corr), B.rotRecv(b, 300)] as const;
  const [q, gotOt, , gotA, rot] = await Promise.all(a);
  const [t, , gotN, x, gotRot] = await Promise.all(c);
  for (let i = 0; i < n; i++) {
    const e = q.slice(16 * i, 16 * i + 16);
    if (b[i]) xorInto(e, A.delta);
    expect(firstDiff(t.subarray(16 * i, 16 * i + 16), e), `cot ${i}`).toBe(-1);
    expect(firstDiff(gotOt.subarray(i * s, i * s + s), (b[i] ? m1 : m0).subarray(i * s, i * s + s)), `ot ${i}`).toBe(-1);
    expect(firstDiff(gotN.subarray(i * s, i * s + s), msgsN.subarray((i * N + cN[i]) * s, (i * N + cN[i] + 1) * s)), `otN ${i}`).toBe(-1);
    expect(gotA[i], `acot ${i}`).toBe((x[i] as number) + (b[i] ? corr[i] : 0) >>> 0);
    const r = b[i] ? rot.m1 : rot.m0;
    expect(firstDiff(gotRot.subarray(38 * i, 38 * i + 38), r.subarray(38 * i, 38 * i + 38)), `rot ${i}`).toBe(-1);
  }
}

describe('chunked streaming and call ordering', () => {
  it('chunk 64: every flavour over many chunks, both directions, calls not awaited in between', async () => {
    const E = await enginePair(64);
    await allFlavours(E.client, E.server, 1000);
    await allFlavours(E.server, E.client, 1000);
    await allFlavours(E.client, E.server, 0);
    // u messages: ceil(1000/64) chunks for cot
    expect(E.client.cost.cot(1000).messagesReceiverToSender).toBe(16);
  });

  it('Ferret (toy parameters), chunk 64: refills between calls issued without awaiting, both directions', async () => {
    const E = await enginePair(64, 5, FERRET_TOY);
    for (let k = 0; k < 3; k++) {
      await allFlavours(E.client, E.server, 3000);
      await allFlavours(E.server, E.client, 3000);
    }
    expect(E.client.cost.cot(1000).messagesReceiverToSender).toBe(16);
  });

  it('default chunk, 2^18 + 5 OTs split over three messages', async () => {
    const E = await enginePair();
    const n = (1 << 18) + 5;
    const b = choiceBits(n, 9);
    const [q, t] = await Promise.all([E.server.cotSend(n), E.client.cotRecv(b)]);
    for (let i = 0; i < n; i += 997) {
      const e = q.slice(16 * i, 16 * i + 16);
      if (b[i]) xorInto(e, E.server.delta);
      expect(firstDiff(t.subarray(16 * i, 16 * i + 16), e)).toBe(-1);
    }
    expect(E.server.cost.cot(n).messagesReceiverToSender).toBe(3);
  });
});

describe('ideal OT (test only)', () => {
  it('gives the same correlations through the same interface', async () => {
    const [cc, sc] = MemoryChannel.pair();
    const [c, s] = idealOtPairForTestsOnly(cc, sc, { chunk: 64 });
    await Promise.all([c.setup(), s.setup()]);
    await allFlavours(c, s, 300);
    await allFlavours(s, c, 300);
    expect(cc.totals.bytesSent).toBeGreaterThan(0);
  });

  it('without channel charging sends nothing', async () => {
    const [cc, sc] = MemoryChannel.pair();
    const [c, s] = idealOtPairForTestsOnly(cc, sc, { chargeChannel: false });
    await Promise.all([c.setup(), s.setup()]);
    await allFlavours(c, s, 100);
    expect(cc.totals.bytesSent + sc.totals.bytesSent).toBe(0);
  });
});
