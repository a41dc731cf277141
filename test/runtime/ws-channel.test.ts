import { describe, expect, it } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { HEADER_BYTES } from '../../src/transport/frame.ts';
import { yieldToEventLoop } from '../../src/transport/ws-channel.ts';
import { exchange, wsPair } from './helpers.ts';

describe('WsChannel on loopback', () => {
  it('counts the same payload bytes, messages and rounds as the memory channel', async () => {
    const [mc, ms] = MemoryChannel.pair();
    await exchange(mc, ms);
    const p = await wsPair();
    try {
      await exchange(p.client, p.server);
      expect(p.client.totals).toEqual(mc.totals);
      expect(p.server.totals).toEqual(ms.totals);
      expect([...p.client.byScope]).toEqual([...mc.byScope]);
      expect([...p.server.byScope]).toEqual([...ms.byScope]);
      // Overhead is separate: one header per data frame plus the hello frame.
      expect(p.client.overhead.bytesSent).toBe(HEADER_BYTES * p.client.totals.messagesSent + HEADER_BYTES + 40);
    } finally {
      await p.close();
    }
  });

  it('chunks large messages transparently and reassembles them exactly', async () => {
    const p = await wsPair({ chunkBytes: 256 << 10 }, { maxFrameBytes: 1 << 20 });
    try {
      const big = new Uint8Array(3_000_001);
      for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
      p.client.send(big); // client chunk 256 KiB
      p.server.send(big.subarray(7)); // server chunk 8 MiB capped at the client's 64 MiB limit: one frame
      const [atServer, atClient] = await Promise.all([p.server.recv(), p.client.recv()]);
      expect(Buffer.compare(atServer, big)).toBe(0);
      expect(Buffer.compare(atClient, big.subarray(7))).toBe(0);
      expect(p.client.overhead.framesSent).toBe(1 + Math.ceil(big.length / (256 << 10)));
      expect(p.server.totals.bytesRecv).toBe(big.length);
      expect(p.server.totals.messagesRecv).toBe(1);
      expect(p.server.totals.rounds).toBe(1);
    } finally {
      await p.close();
    }
  });

  it('delivers queued messages before reporting a normal close', async () => {
    const p = await wsPair();
    p.client.send(new Uint8Array([1, 2, 3]));
    p.client.close();
    expect(Array.from(await p.server.recv())).toEqual([1, 2, 3]);
    await expect(p.server.recv()).rejects.toMatchObject({ kind: 'closed' });
    await p.srv.close();
  });

  it('a busy peer that yields stays alive past the idle timeout', async () => {
    const p = await wsPair({ idleTimeoutMs: 400, keepaliveMs: 50 }, { idleTimeoutMs: 400, keepaliveMs: 50 });
    try {
      const pending = p.client.recv();
      const end = Date.now() + 1200; // server computes 3x the idle timeout, yielding every 20 ms
      while (Date.now() < end) {
        const slice = Date.now() + 20;
        while (Date.now() < slice) {}
        await yieldToEventLoop();
      }
      p.server.send(new Uint8Array([42]));
      expect(Array.from(await pending)).toEqual([42]);
    } finally {
      await p.close();
    }
  });

  it('forgives a local stall: a blocked process does not declare its live peer dead', async () => {
    const p = await wsPair({ idleTimeoutMs: 300, keepaliveMs: 50 }, { idleTimeoutMs: 300, keepaliveMs: 50 });
    try {
      const pending = p.client.recv();
      const end = Date.now() + 900; // both parties' loop blocked for 3x the idle timeout
      while (Date.now() < end) {}
      await new Promise((r) => setTimeout(r, 200));
      p.server.send(new Uint8Array([7]));
      expect(Array.from(await pending)).toEqual([7]);
    } finally {
      await p.close();
    }
  });

  it.runIf(process.env.CIPHERPRUNE_SLOW)('carries a 300 MB message with the default limits (slow)', async () => {
    const p = await wsPair();
    try {
      const big = new Uint8Array(300e6);
      for (let i = 0; i < big.length; i += 4096) big[i] = i >>> 12;
      p.client.send(big);
      const got = await p.server.recv();
      expect(got.byteLength).toBe(big.byteLength);
      expect(Buffer.compare(got, big)).toBe(0);
      expect(p.client.overhead.framesSent).toBe(1 + Math.ceil(300e6 / (8 << 20)));
    } finally {
      await p.close();
    }
  });
});

describe('ws message type', () => {
  it('delivers plain Uint8Array views, not Buffers (same as the memory channel)', async () => {
    const { wsPair } = await import('./helpers.ts');
    const p = await wsPair();
    try {
      p.client.send(new Uint8Array([1, 2, 3]));
      const m = await p.server.recv();
      expect(Object.getPrototypeOf(m)).toBe(Uint8Array.prototype);
      expect(Array.from(m)).toEqual([1, 2, 3]);
    } finally {
      await p.close();
    }
  });
});
