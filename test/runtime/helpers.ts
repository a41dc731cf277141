// Test helpers for transports: a fixed exchange script, a ws session pair on loopback, and a
// deliberately misbehaving raw peer (test double: speaks the frame format by hand).
import { WebSocket, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { ChannelError, type Channel } from '../../src/transport/channel.ts';
import { FrameType, PROTOCOL_VERSION, encodeFrame, encodeHello, hashProgram } from '../../src/transport/frame.ts';
import { connect, type WsChannel, type WsOptions } from '../../src/transport/ws-channel.ts';
import { listen, type WsServer } from '../../src/transport/ws-server.ts';

export const HASH = hashProgram('program A');
export const OTHER_HASH = hashProgram('program B');

/** A small protocol: simultaneous messages, replies, a scope, a big message. */
export async function exchange(c: Channel, s: Channel): Promise<void> {
  const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);
  c.send(bytes(10, 1));
  s.send(bytes(7, 2));
  await s.recv();
  await c.recv();
  const end = c.scope('op');
  const endS = s.scope('op');
  for (let i = 0; i < 3; i++) {
    c.send(bytes(100 + i, i));
    const m = await s.recv();
    s.send(m.subarray(0, 50));
    await c.recv();
  }
  end();
  endS();
  s.send(bytes(300_000, 9));
  s.send(new Uint8Array(0));
  await c.recv();
  await c.recv();
  await c.flush();
  await s.flush();
}

export interface WsPair {
  client: WsChannel;
  server: WsChannel;
  srv: WsServer;
  errors: Error[];
  close(): Promise<void>;
}

export async function wsPair(clientOpts: Partial<WsOptions> = {}, serverOpts: Partial<WsOptions> = {}): Promise<WsPair> {
  let gotServer!: (ch: WsChannel) => void;
  const serverCh = new Promise<WsChannel>((r) => (gotServer = r));
  const errors: Error[] = [];
  const srv = await listen({ programHash: HASH, ...serverOpts, onSession: (ch) => gotServer(ch), onError: (e) => errors.push(e) });
  const client = await connect(srv.url, { programHash: HASH, ...clientOpts });
  const server = await serverCh;
  return { client, server, srv, errors, close: async () => { client.close(); await srv.close(); } };
}

/** Resolve with the ChannelError that `p` rejects with, and how long it took (ms). */
export async function failure(p: Promise<unknown>): Promise<{ err: ChannelError; ms: number }> {
  const t0 = Date.now();
  try {
    await p;
  } catch (e) {
    if (!(e instanceof ChannelError)) throw e;
    return { err: e, ms: Date.now() - t0 };
  }
  throw new Error('expected a ChannelError, got success');
}

/** Raw ws client (test double) that can send arbitrary bytes to a server. */
export async function rawClient(url: string, opts: { autoPong?: boolean } = {}): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }>; frames: Buffer[] }> {
  const ws = new WebSocket(url, { perMessageDeflate: false, autoPong: opts.autoPong ?? true });
  const frames: Buffer[] = [];
  ws.on('message', (d) => frames.push(d as Buffer));
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  return { ws, closed, frames };
}

export function helloFrame(role: 'client' | 'server', session: number, hash = HASH, version = PROTOCOL_VERSION): Uint8Array {
  return encodeFrame({ version, type: FrameType.HELLO, flags: 0, session, seq: 0, round: 0 }, encodeHello({ role, maxFrameBytes: 1 << 20, programHash: hash }));
}

/** Raw ws server (test double); `onClient` gets each socket and the first frame it sent. */
export async function rawServer(onClient: (ws: WebSocket, first: Buffer) => void, opts: { autoPong?: boolean } = {}): Promise<{ url: string; close(): void }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, autoPong: opts.autoPong ?? true });
  wss.on('connection', (ws) => { ws.on('error', () => {}); ws.once('message', (d) => onClient(ws, d as Buffer)); });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}`, close: () => { for (const c of wss.clients) c.terminate(); wss.close(); } };
}

/** Session id from a raw HELLO frame. */
export const sessionOf = (frame: Buffer): number => frame.readUInt32LE(8);
