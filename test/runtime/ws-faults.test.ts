// Fault tests for the ws transport: every failure ends with a ChannelError of the right kind
// on the side(s) that can observe it, within 5 s (the vitest timeout bounds hangs).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { FrameType, HEADER_BYTES, PROTOCOL_VERSION, encodeFrame } from '../../src/transport/frame.ts';
import { connect } from '../../src/transport/ws-channel.ts';
import { listen } from '../../src/transport/ws-server.ts';
import { HASH, OTHER_HASH, failure, helloFrame, rawClient, rawServer, sessionOf, wsPair } from './helpers.ts';

const BOUND = 5000;

/** A real server that records session failures. */
async function server(opts: Parameters<typeof listen>[0] extends infer O ? Partial<O> : never = {}) {
  const errors: Error[] = [];
  let onErr: () => void = () => {};
  const failed = new Promise<Error>((r) => (onErr = () => r(errors[0])));
  const srv = await listen({ programHash: HASH, onSession: (ch) => ch.recv().then(() => {}), ...opts, onError: (e) => { errors.push(e); onErr(); } });
  return { srv, errors, failed };
}

describe('ws faults', { timeout: 15_000 }, () => {
  it('peer socket destroyed mid-recv: the other side fails with closed at once', async () => {
    const p = await wsPair();
    const pending = p.server.recv();
    p.client.destroy();
    const { err, ms } = await failure(pending);
    expect(err.kind).toBe('closed');
    expect(err.message).toMatch(/lost without a close frame|closed the connection/);
    expect(ms).toBeLessThan(BOUND);
    await p.srv.close();
  });

  it('garbage frame from a client: the server session fails as malformed and tells the client', async () => {
    const s = await server();
    const raw = await rawClient(s.srv.url);
    raw.ws.send(Buffer.from('this is not a cipherprune frame at all!!'));
    const err = await s.failed;
    expect(err).toMatchObject({ kind: 'malformed' });
    expect(err.message).toMatch(/bad magic/);
    const closed = await raw.closed;
    expect(closed.code).toBe(4002); // 4000 + index of 'malformed'
    expect(raw.frames.length).toBe(1); // the ERROR frame
    expect(raw.frames[0].readUInt8(6)).toBe(FrameType.ERROR);
    await s.srv.close();
  });

  it('garbage after the handshake: a real client fails as malformed', async () => {
    const fake = await rawServer((ws, first) => {
      ws.send(helloFrame('server', sessionOf(first)));
      ws.send(Buffer.alloc(30, 0xab));
    });
    const ch = await connect(fake.url, { programHash: HASH });
    const { err, ms } = await failure(ch.recv());
    expect(err.kind).toBe('malformed');
    expect(ms).toBeLessThan(BOUND);
    fake.close();
  });

  it('out-of-sequence and bad round stamps are malformed', async () => {
    const fake = await rawServer((ws, first) => {
      const session = sessionOf(first);
      ws.send(helloFrame('server', session));
      ws.send(encodeFrame({ version: PROTOCOL_VERSION, type: FrameType.DATA, flags: 0, session, seq: 1, round: 5 }, new Uint8Array(4)));
    });
    const ch = await connect(fake.url, { programHash: HASH });
    const { err } = await failure(ch.recv());
    expect(err.kind).toBe('malformed');
    expect(err.message).toMatch(/round stamp 5/);
    fake.close();
  });

  it('oversized frame: rejected by the receiver, both ends see oversized', async () => {
    const s = await server({ maxFrameBytes: 64 << 10 });
    const raw = await rawClient(s.srv.url);
    raw.ws.send(Buffer.alloc(HEADER_BYTES + (64 << 10) + 1));
    const err = await s.failed;
    expect(err).toMatchObject({ kind: 'oversized' });
    expect((await raw.closed).code).toBe(1009);
    await s.srv.close();
    // A real client receiving an oversized frame from a fake server.
    const fake = await rawServer((ws, first) => {
      ws.send(helloFrame('server', sessionOf(first)));
      ws.send(Buffer.alloc(HEADER_BYTES + 70_000));
    });
    const ch = await connect(fake.url, { programHash: HASH, maxFrameBytes: 65_536 });
    const r = await failure(ch.recv());
    expect(r.err.kind).toBe('oversized');
    fake.close();
  });

  it('header length above the limit is oversized even when ws accepts the message', async () => {
    const fake = await rawServer((ws, first) => {
      ws.send(helloFrame('server', sessionOf(first)));
      const f = Buffer.from(encodeFrame({ version: PROTOCOL_VERSION, type: FrameType.DATA, flags: 0, session: sessionOf(first), seq: 1, round: 1 }, new Uint8Array(8)));
      f.writeUInt32LE(1 << 30, 20);
      ws.send(f);
    });
    const ch = await connect(fake.url, { programHash: HASH });
    expect((await failure(ch.recv())).err.kind).toBe('oversized');
    fake.close();
  });

  it('protocol version mismatch: both sides fail with version', async () => {
    const s = await server();
    const { err } = await failure(connect(s.srv.url, { programHash: HASH, protocolVersion: PROTOCOL_VERSION + 1 }));
    expect(err.kind).toBe('version');
    expect(err.message).toMatch(/version/);
    expect(await s.failed).toMatchObject({ kind: 'version' });
    await s.srv.close();
  });

  it('mismatched programs: both sides fail with mismatch; only the server log names both hashes', async () => {
    const s = await server();
    const { err, ms } = await failure(connect(s.srv.url, { programHash: OTHER_HASH }));
    expect(err.kind).toBe('mismatch');
    const h1 = Buffer.from(HASH).toString('hex'), h2 = Buffer.from(OTHER_HASH).toString('hex');
    // The client learns that the programs differ, and nothing of the server's hash.
    expect(err.message).toMatch(/program mismatch: the server runs a different program or config/);
    expect(err.message).not.toContain(h1.slice(0, 8));
    const serverErr = await s.failed;
    expect(serverErr).toMatchObject({ kind: 'mismatch' });
    expect(serverErr.message).toContain(h1);
    expect(serverErr.message).toContain(h2);
    expect(ms).toBeLessThan(BOUND);
    await s.srv.close();
  });

  it('silent peers (no traffic, pings unanswered) time out on both sides within 5 s', async () => {
    // Real client, silent fake server.
    const fake = await rawServer((ws, first) => ws.send(helloFrame('server', sessionOf(first))), { autoPong: false });
    // Liveness at 3.5 s (the default is 30 s, docs/runtime.md): the mechanism is what is tested.
    const ch = await connect(fake.url, { programHash: HASH, idleTimeoutMs: 3500 });
    // Real server, silent fake client.
    const s = await server({ idleTimeoutMs: 3500 });
    const raw = await rawClient(s.srv.url, { autoPong: false });
    raw.ws.send(helloFrame('client', 77));
    const [a, b] = await Promise.all([failure(ch.recv()), s.failed.then((err) => ({ err }))]);
    expect(a.err.kind).toBe('timeout');
    expect(a.err.message).toMatch(/no traffic from the peer/);
    expect(a.ms).toBeLessThan(BOUND);
    expect(b.err).toMatchObject({ kind: 'timeout' });
    fake.close();
    await s.srv.close();
  });

  it('a peer that never completes the handshake times out', async () => {
    const fake = await rawServer(() => {});
    const { err, ms } = await failure(connect(fake.url, { programHash: HASH, handshakeTimeoutMs: 300 }));
    expect(err.kind).toBe('timeout');
    expect(ms).toBeLessThan(BOUND);
    fake.close();
  });

  it('connection refused is closed, quickly', async () => {
    const { err, ms } = await failure(connect('ws://127.0.0.1:1', { programHash: HASH }));
    expect(err.kind).toBe('closed');
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(ms).toBeLessThan(BOUND);
  });

  it('the server keeps serving other sessions when one fails', async () => {
    const srv = await listen({
      programHash: HASH,
      onSession: async (ch) => {
        for (;;) ch.send(await ch.recv()); // echo until the channel ends
      },
      onError: () => {},
    });
    const good = await connect(srv.url, { programHash: HASH });
    good.send(new Uint8Array([1]));
    await good.recv();
    const bad = await rawClient(srv.url);
    bad.ws.send(Buffer.from('garbage'));
    await bad.closed;
    await failure(connect(srv.url, { programHash: OTHER_HASH }));
    const victim = await connect(srv.url, { programHash: HASH });
    victim.destroy();
    // Not even WebSocket: raw TCP garbage to the port.
    const sock = net.connect(srv.port, '127.0.0.1', () => sock.write('\x00\xffGET nonsense\r\n\r\n'));
    sock.on('error', () => {});
    sock.resume(); // read the 400 answer so the socket can end
    await new Promise((r) => sock.on('close', r));
    for (let i = 0; i < 5; i++) {
      good.send(new Uint8Array([i, 2, 3]));
      expect(Array.from(await good.recv())).toEqual([i, 2, 3]);
    }
    expect(srv.sessions.size).toBe(1);
    good.close();
    await srv.close();
  });
});
