import { describe, expect, it } from 'vitest';
import { NETWORKS, SimChannel, parseNetwork, predictSeconds } from '../../src/transport/sim-channel.ts';
import { UsageError } from '../../src/transport/errors.ts';
import { exchange } from './helpers.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';

const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-9);

describe('parseNetwork', () => {
  it('knows lan and wan (latency = round trip) and custom <Mbit/s>,<RTT ms>', () => {
    expect(parseNetwork('lan')).toEqual({ name: 'lan', bitsPerSecond: 3e9, rttSeconds: 0.8e-3 });
    expect(parseNetwork(' WAN ')).toBe(NETWORKS.wan);
    expect(parseNetwork('100,20')).toEqual({ name: '100Mbit/s,20ms', bitsPerSecond: 100e6, rttSeconds: 0.02 });
    expect(parseNetwork('0.5,0')).toMatchObject({ bitsPerSecond: 5e5, rttSeconds: 0 });
  });

  it.each(['', 'lam', '100', '100,20,3', '-5,20', '0,20', '100,-1', 'x,1', '100,1ms'])('rejects %j with a usage error', (spec) => {
    expect(() => parseNetwork(spec)).toThrow(UsageError);
    expect(() => parseNetwork(spec)).toThrow(/invalid --network/);
  });
});

describe('SimChannel', () => {
  it('ping-pong costs one one-way latency plus serialisation per message', async () => {
    const [c, s] = SimChannel.pair(NETWORKS.wan, { compute: 'none' });
    for (let i = 0; i < 5; i++) {
      c.send(new Uint8Array(1000));
      await s.recv();
      s.send(new Uint8Array(1000));
      await c.recv();
    }
    const perMsg = 0.02 + 8000 / 200e6;
    close(c.now, 10 * perMsg);
    close(c.link.elapsedSeconds, 10 * perMsg);
    expect(c.totals.rounds).toBe(10);
    close(predictSeconds(NETWORKS.wan, 10, { toServer: 5000, toClient: 5000 }), 10 * 0.02 + 8 * 5000 / 200e6);
  });

  it('serialises messages per direction and runs the two directions in parallel', async () => {
    const [c, s] = SimChannel.pair(parseNetwork('8,0'), { compute: 'none' }); // 1 MB/s, no latency
    c.send(new Uint8Array(500_000));
    c.send(new Uint8Array(500_000));
    s.send(new Uint8Array(1_000_000));
    await s.recv();
    close(s.now, 0.5);
    await s.recv();
    close(s.now, 1.0);
    await c.recv();
    close(c.now, 1.0); // full duplex: the reverse direction was not delayed
    expect(c.link.busy).toEqual({ client: 1, server: 1 });
  });

  it('a reply cannot leave before its request arrived', async () => {
    const [c, s] = SimChannel.pair(parseNetwork('1000,100'), { compute: 'none' });
    c.send(new Uint8Array(1));
    await s.recv();
    s.send(new Uint8Array(1));
    await c.recv();
    expect(c.now).toBeGreaterThanOrEqual(0.1);
    expect(s.now).toBeGreaterThanOrEqual(0.05);
  });

  it('wall mode charges local compute to the party that computed', async () => {
    const [c, s] = SimChannel.pair(parseNetwork('1000,0'));
    const spin = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end) {} };
    const server = (async () => { await s.recv(); spin(20); s.send(new Uint8Array(1)); })();
    spin(100);
    c.send(new Uint8Array(1));
    await c.recv();
    await server;
    expect(c.link.computeSeconds.client).toBeGreaterThanOrEqual(0.1);
    expect(c.link.computeSeconds.server).toBeGreaterThanOrEqual(0.02);
    expect(c.link.computeSeconds.server).toBeLessThan(0.1); // not charged the client's spin
    expect(c.now).toBeGreaterThanOrEqual(0.12);
  });

  it('counts exactly like the memory channel', async () => {
    const [mc, ms] = MemoryChannel.pair();
    const [sc, ss] = SimChannel.pair(NETWORKS.lan);
    await exchange(mc, ms);
    await exchange(sc, ss);
    expect(sc.totals).toEqual(mc.totals);
    expect(ss.totals).toEqual(ms.totals);
    expect([...sc.byScope]).toEqual([...mc.byScope]);
  });

  it('close rejects the peer', async () => {
    const [c, s] = SimChannel.pair(NETWORKS.lan);
    const p = s.recv();
    c.close();
    await expect(p).rejects.toMatchObject({ kind: 'closed' });
  });
});
