// A server that survives strangers (issue 14): message size bounds checked at the first frame's
// header, idle sessions that answer pings, session deadlines, a session limit, silent TCP
// connections, and abort frames. Every bound here is short (flags), so failures are quick.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ChannelError, MemoryChannel, exactSizes } from '../../src/transport/channel.ts';
import { EXIT, exitCodeFor } from '../../src/transport/errors.ts';
import { FLAG_MORE, FrameType, PROTOCOL_VERSION, encodeFrame } from '../../src/transport/frame.ts';
import { connect, type WsChannel } from '../../src/transport/ws-channel.ts';
import { listen, type ListenOptions } from '../../src/transport/ws-server.ts';
import { HASH, failure, helloFrame, rawClient, wsPair } from './helpers.ts';

/** A server whose sessions wait for one message (or echo); failures are recorded. */
async function server(opts: Partial<ListenOptions> = {}) {
  const errors: Error[] = [];
  let onErr: () => void = () => {};
  const failed = new Promise<Error>((r) => (onErr = () => r(errors[0])));
  const srv = await listen({ programHash: HASH, onSession: (ch) => ch.recv().then(() => {}), ...opts, onError: (e) => { errors.push(e); onErr(); } });
  return { srv, errors, failed };
}

/** A raw client that completes the handshake by hand and then does what the test says. */
async function handshaken(url: string, opts: { autoPong?: boolean } = {}) {
  const raw = await rawClient(url, opts);
  const session = 4242;
  raw.ws.send(helloFrame('client', session));
  while (raw.frames.length === 0) await new Promise((r) => setTimeout(r, 5));
  return { ...raw, session };
}

const dataFrame = (session: number, seq: number, payload: Uint8Array, total: number, more: boolean) =>
  encodeFrame({ version: PROTOCOL_VERSION, type: FrameType.DATA, flags: more ? FLAG_MORE : 0, session, seq, round: 1, total }, payload);

describe('message size bounds', { timeout: 15_000 }, () => {
  it('a message announced above maxMessageBytes is refused at its first frame header', async () => {
    const s = await server({ maxMessageBytes: 1 << 20 });
    const raw = await handshaken(s.srv.url);
    const t0 = Date.now();
    // The first 1 KiB chunk of a 256 MiB message: the server must not wait for (or buffer) the rest.
    raw.ws.send(dataFrame(raw.session, 1, new Uint8Array(1024), 256 << 20, true));
    const err = await s.failed;
    expect(err).toMatchObject({ kind: 'oversized' });
    expect(err.message).toMatch(/announces 268435456 bytes, limit 1048576/);
    while (raw.frames.length < 2) await new Promise((r) => setTimeout(r, 2)); // HELLO, then the ERROR frame
    expect(raw.frames[1].readUInt8(6)).toBe(FrameType.ERROR);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await raw.closed).code).toBe(4003);
    await s.srv.close();
  });

  it('the default bound refuses a 2 GiB message at its header (it used to buffer up to 2 GiB)', async () => {
    const s = await server();
    const raw = await handshaken(s.srv.url);
    raw.ws.send(dataFrame(raw.session, 1, new Uint8Array(1024), 2 * 2 ** 30, true));
    expect(await s.failed).toMatchObject({ kind: 'oversized' });
    await s.srv.close();
  });

  it('chunks that overrun the announced size are malformed', async () => {
    const s = await server();
    const raw = await handshaken(s.srv.url);
    raw.ws.send(dataFrame(raw.session, 1, new Uint8Array(1000), 1500, true));
    raw.ws.send(dataFrame(raw.session, 2, new Uint8Array(1000), 1500, true));
    const err = await s.failed;
    expect(err).toMatchObject({ kind: 'malformed' });
    expect(err.message).toMatch(/chunks of 2000 bytes for a message of 1500/);
    await s.srv.close();
  });

  it('a size guard (the schedule) refuses a message of another size at its header', async () => {
    const p = await wsPair({}, { sizeGuard: exactSizes([10, 300_000]) , chunkBytes: 1 << 16 }); // guard on the server
    try {
      p.client.send(new Uint8Array(10));
      expect((await p.server.recv()).byteLength).toBe(10);
      p.client.send(new Uint8Array(400_000)); // chunked into 64 KiB frames; refused at the first
      const { err } = await failure(p.server.recv());
      expect(err.kind).toBe('oversized');
      expect(err.message).toMatch(/message 1 announces 400000 bytes, the schedule says 300000/);
      expect((await failure(p.client.recv())).err.kind).toBe('oversized');
    } finally {
      await p.close();
    }
  });
});

describe('deadlines', { timeout: 15_000 }, () => {
  it('an idle client that answers pings is closed at the idle timeout', async () => {
    const s = await server({ waitTimeoutMs: 400, keepaliveMs: 50 });
    const raw = await handshaken(s.srv.url, { autoPong: true });
    const t0 = Date.now();
    const err = await s.failed;
    expect(err).toMatchObject({ kind: 'timeout' });
    expect(err.message).toMatch(/idle session: waited/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await raw.closed).code).toBe(4001);
    await s.srv.close();
  });

  it('protocol traffic resets the idle timeout; a busy session past it stays open', async () => {
    const p = await wsPair({ waitTimeoutMs: 300, keepaliveMs: 50 }, { waitTimeoutMs: 300, keepaliveMs: 50 });
    try {
      for (let i = 0; i < 8; i++) {
        await new Promise((r) => setTimeout(r, 100));
        p.client.send(new Uint8Array([i]));
        expect(Array.from(await p.server.recv())).toEqual([i]);
      }
    } finally {
      await p.close();
    }
  });

  it('the session deadline ends even a busy session', async () => {
    const echo = async (ch: WsChannel) => {
      for (;;) ch.send(await ch.recv());
    };
    const s = await server({ sessionTimeoutMs: 500, onSession: echo });
    const ch = await connect(s.srv.url, { programHash: HASH });
    const t0 = Date.now();
    const { err } = await failure((async () => {
      for (;;) {
        ch.send(new Uint8Array(8));
        await ch.recv();
      }
    })());
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/session deadline exceeded/);
    expect(Date.now() - t0).toBeLessThan(1500);
    await s.srv.close();
  });

  it('a silent TCP connection is dropped at the handshake deadline', async () => {
    const refused: string[] = [];
    const s = await server({ handshakeTimeoutMs: 300, onRefused: (r) => refused.push(r) });
    const sock = net.connect(s.srv.port, '127.0.0.1');
    sock.on('error', () => {});
    const t0 = Date.now();
    await new Promise((r) => sock.once('close', r));
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(refused.join('\n')).toMatch(/did not complete its handshake within 300 ms/);
    await s.srv.close();
  });
});

describe('session limit', { timeout: 15_000 }, () => {
  it('connections beyond maxSessions are refused with a clear reason (exit 8); a slot frees when a session ends', async () => {
    const s = await server({ maxSessions: 2 });
    const a = await connect(s.srv.url, { programHash: HASH });
    const b = await connect(s.srv.url, { programHash: HASH });
    const { err } = await failure(connect(s.srv.url, { programHash: HASH }));
    expect(err.kind).toBe('refused');
    expect(err.message).toMatch(/the server refused the connection: server busy: 2 sessions running \(limit 2\)/);
    expect(exitCodeFor(err)).toBe(EXIT.refused);
    a.close();
    while (s.srv.sessions.size > 1) await new Promise((r) => setTimeout(r, 10));
    const c = await connect(s.srv.url, { programHash: HASH });
    c.close();
    b.close();
    await s.srv.close();
  });
});

describe('abort', { timeout: 15_000 }, () => {
  it('memory channel: the peer of an aborting party fails with aborted (exit 7)', async () => {
    const [c, s] = MemoryChannel.pair();
    const pending = s.recv();
    c.abort("the client's side failed");
    const { err } = await failure(pending);
    expect(err.kind).toBe('aborted');
    expect(err.message).toMatch(/peer \(client\) aborted the session: the client's side failed/);
    expect(exitCodeFor(err)).toBe(EXIT.aborted);
  });

  it('ws: the abort frame reaches the peer at once, with only the given reason', async () => {
    const p = await wsPair();
    try {
      const pending = p.client.recv();
      p.server.abort("the server's side of the session failed");
      const { err, ms } = await failure(pending);
      expect(err).toBeInstanceOf(ChannelError);
      expect(err.kind).toBe('aborted');
      expect(err.message).toBe("peer (server) reported: the server's side of the session failed");
      expect(ms).toBeLessThan(1000);
    } finally {
      await p.close();
    }
  });
});
