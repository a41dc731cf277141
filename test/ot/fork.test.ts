// Forked engines (for steps that run concurrently, src/exec/concurrent.ts): on another channel,
// a fork's COTs satisfy the correlation with the session's Δ, and forks' COTs differ from each
// other's and from the parent's (derived column keys): no correlation is ever used twice. A Ferret
// engine forks IKNP from its bootstrap (docs/ot.md, "Forks"), costed by `cost.forked()`.
import { describe, expect, it } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { choiceBits, enginePair, FERRET_TOY, IKNP, reveal } from './helpers.ts';
import { otCost } from '../../src/crypto/ot/cost.ts';

describe.each([
  { name: 'IKNP', backend: IKNP },
  { name: 'Ferret (toy parameters)', backend: FERRET_TOY },
])('OtEngine.fork over $name', ({ backend }) => {
  it('COT correlation holds on a fork; forks and parent give different q; bytes as cost.forked()', async () => {
    const E = await enginePair(undefined, 7, backend);
    const n = 300, b = choiceBits(n, 3);
    const qs: Uint8Array[] = [];
    for (const id of [1, 2]) {
      const [fc, fs] = MemoryChannel.pair();
      const client = E.client.fork(fc, id), server = E.server.fork(fs, id);
      const [q, t] = await Promise.all([client.cotSend(n), server.cotRecv(b)]);
      // Without a share of the pools, a Ferret fork is an IKNP fork of its bootstrap.
      expect([fc.totals.bytesSent, fs.totals.bytesSent]).toEqual([0, otCost.cot(n).bytesReceiverToSender]);
      const delta = await reveal(fc, fs, client.delta);
      const qr = await reveal(fc, fs, q);
      for (let i = 0; i < n; i++) for (let k = 0; k < 16; k++) expect(t[16 * i + k]).toBe(qr[16 * i + k] ^ (b[i] ? delta[k] : 0));
      expect(delta).toEqual(E.client.delta);
      qs.push(q);
    }
    const [q0] = await Promise.all([E.client.cotSend(n), E.server.cotRecv(b)]);
    expect(Buffer.compare(qs[0], qs[1])).not.toBe(0);
    expect(Buffer.compare(qs[0], q0)).not.toBe(0);
  });

  it('refuses ids out of range and forks before setup', async () => {
    const E = await enginePair(undefined, 7, backend);
    const [fc] = MemoryChannel.pair();
    expect(() => E.client.fork(fc, 0)).toThrow(/id must be/);
    const { OtEngine } = await import('../../src/crypto/ot/engine.ts');
    expect(() => new OtEngine(fc).fork(fc, 1)).toThrow(/setup\(\) before fork/);
  });
});

// Concurrent members of a Ferret session (src/exec/executor.ts): one prefill for all of them on
// the session channel, then each fork takes exactly its share of both directions' pools.
describe('Ferret forks with a share of the pools', () => {
  it('the correlation holds in both directions, shares differ, bytes as cost.forked(), overdrawing fails', async () => {
    const E = await enginePair(undefined, 7, FERRET_TOY);
    const n = 300, b = choiceBits(n, 3);
    await Promise.all([E.client.prefill({ client: 2 * n, server: n }), E.server.prefill({ client: 2 * n, server: n })]);
    const qs: Uint8Array[] = [];
    for (const id of [1, 2]) {
      const [fc, fs] = MemoryChannel.pair();
      const need = { client: n, server: id === 1 ? n : 0 };
      const client = E.client.fork(fc, id, need), server = E.server.fork(fs, id, need);
      const [q, t] = await Promise.all([client.cotSend(n), server.cotRecv(b)]);
      expect([fc.totals.bytesSent, fs.totals.bytesSent]).toEqual([0, E.client.cost.forked().cot(n).bytesReceiverToSender]);
      const delta = await reveal(fc, fs, client.delta);
      const qr = await reveal(fc, fs, q);
      for (let i = 0; i < n; i++) for (let k = 0; k < 16; k++) expect(t[16 * i + k]).toBe(qr[16 * i + k] ^ (b[i] ? delta[k] : 0));
      qs.push(q);
      if (id === 1) {
        // the other direction: the server's COTs, random choices (no message)
        const [q2, r2] = await Promise.all([server.rcotSend(n), client.rcotRecv(n)]);
        const d2 = await reveal(fs, fc, server.delta), qr2 = await reveal(fs, fc, q2);
        for (let i = 0; i < n; i++) for (let k = 0; k < 16; k++) expect(r2.blocks[16 * i + k]).toBe(qr2[16 * i + k] ^ (r2.choices[i] ? d2[k] : 0));
      } else await expect(server.rcotSend(1)).rejects.toThrow(/drew 1 COTs as sender, its cost functions foresaw 0/);
    }
    expect(Buffer.compare(qs[0], qs[1])).not.toBe(0);
    // the pools moved past both shares: the parent's next COTs are fresh; past what the pools hold,
    // it does not refill inside a call once prefills are in use
    const [q0] = await Promise.all([E.client.cotSend(n), E.server.cotRecv(b)]);
    expect(Buffer.compare(qs[0], q0)).not.toBe(0);
    expect(Buffer.compare(qs[1], q0)).not.toBe(0);
    await expect(E.client.cotSend(1 << 20)).rejects.toThrow(/more COTs as sender than its cost functions foresaw/);
  });
});
