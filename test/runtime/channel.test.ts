import { describe, expect, it } from 'vitest';
import { ChannelError, MemoryChannel } from '../../src/transport/channel.ts';

describe('MemoryChannel', () => {
  it('counts bytes and rounds: simultaneous messages share a round, a reply is one more', async () => {
    const [c, s] = MemoryChannel.pair();
    c.send(new Uint8Array(10));
    s.send(new Uint8Array(7));
    expect((await s.recv()).length).toBe(10);
    expect((await c.recv()).length).toBe(7);
    expect(c.totals.rounds).toBe(1);
    expect(s.totals.rounds).toBe(1);
    s.send(new Uint8Array(3)); // reply after receiving: round 2
    s.send(new Uint8Array(3)); // still round 2: sent without waiting
    await c.recv();
    await c.recv();
    expect(c.totals).toMatchObject({ bytesSent: 10, bytesRecv: 13, messagesRecv: 3, rounds: 2 });
    expect(s.totals).toMatchObject({ bytesSent: 13, bytesRecv: 10, rounds: 2 });
  });

  it('attributes bytes and rounds to scopes', async () => {
    const [c, s] = MemoryChannel.pair();
    const end = c.scope('op1');
    c.send(new Uint8Array(5));
    await s.recv();
    s.send(new Uint8Array(4));
    await c.recv();
    end();
    c.send(new Uint8Array(1));
    expect(c.byScope.get('op1')).toMatchObject({ bytesSent: 5, bytesRecv: 4, rounds: 2 });
    expect(c.totals.bytesSent).toBe(6);
  });

  it('rejects pending receives when the peer closes', async () => {
    const [c, s] = MemoryChannel.pair();
    const pending = s.recv();
    c.close();
    await expect(pending).rejects.toBeInstanceOf(ChannelError);
  });
});
