// Server side of the ws transport: one listening socket, many independent sessions. A session
// that fails (bad frame, dead client, program mismatch) ends alone; the others keep running.
// Before a session starts the server refuses, with an HTTP status and a one-line reason, clients
// without the shared token and clients beyond `maxSessions`; every connection must complete its
// handshake (TLS, upgrade, HELLO) within `handshakeTimeoutMs` (docs/serving.md).
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttp, STATUS_CODES, type IncomingMessage } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ChannelError } from './channel.ts';
import { HEADER_BYTES } from './frame.ts';
import { REFUSAL_HEADER, WS_DEFAULTS, WsChannel, type WsOptions } from './ws-channel.ts';

export interface ListenOptions extends Omit<WsOptions, 'sessionId'> {
  host?: string;
  /** 0 (default) picks a free port; read it from `server.port`. */
  port?: number;
  /** Sessions at once (handshakes included); more are refused with HTTP 503 (default 4). */
  maxSessions?: number;
  /** Serve wss:// with this certificate chain and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Shared secret a client must present (compared in constant time); absent = no check. */
  token?: string;
  /**
   * Called once per session after a successful handshake. A rejection ends that session only.
   * Later failures of the channel reach the handler through its recv/send/flush; a handler that
   * returns early and keeps the channel can watch `channel.ended`.
   */
  onSession: (channel: WsChannel) => void | Promise<void>;
  /** Called when a handshake fails or `onSession` throws or rejects (with that error). */
  onError?: (err: Error, channel: WsChannel) => void;
  /** Called with a one-line reason when a connection is refused or dropped before its session. */
  onRefused?: (reason: string) => void;
}

export interface WsServer {
  readonly port: number;
  readonly url: string;
  /** Sessions whose channel has not ended yet. */
  readonly sessions: ReadonlySet<WsChannel>;
  /** Stop accepting, close every session, resolve when the socket is closed. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_SESSIONS = 4;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time check of an `Authorization: Bearer TOKEN` header (hashes have equal length). */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (.*)$/.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(token));
}

/** Answer an upgrade request with an HTTP error and a reason the client prints, then hang up. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const oneLine = reason.replace(/[\r\n]+/g, ' ');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n${REFUSAL_HEADER}: ${oneLine}\r\nContent-Length: 0\r\n\r\n`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

export function listen(options: ListenOptions): Promise<WsServer> {
  const { host = '127.0.0.1', port = 0, maxSessions = DEFAULT_MAX_SESSIONS, tls, token, onSession, onError, onRefused, ...wsOptions } = options;
  const maxFrame = wsOptions.maxFrameBytes ?? WS_DEFAULTS.maxFrameBytes;
  const handshakeMs = wsOptions.handshakeTimeoutMs ?? WS_DEFAULTS.handshakeTimeoutMs;
  if (!(maxSessions >= 1)) throw new RangeError(`maxSessions must be at least 1, got ${maxSessions}`);
  const sessions = new Set<WsChannel>();
  let upgrading = 0;
  const server = tls ? createHttps({ cert: tls.cert, key: tls.key, handshakeTimeout: handshakeMs }) : createHttp();
  // Sockets waiting for a session to start, with the timer that drops them at the deadline.
  const pending = new Map<Socket, NodeJS.Timeout>();
  const settle = (sock: Socket) => {
    clearTimeout(pending.get(sock));
    pending.delete(sock);
  };
  // Connections beyond the sessions plus some room for refusals and handshakes are dropped.
  server.maxConnections = 2 * maxSessions + 16;
  server.on(tls ? 'secureConnection' : 'connection', (sock: Socket) => {
    const t = setTimeout(() => {
      pending.delete(sock);
      onRefused?.(`dropped a connection that did not complete its handshake within ${handshakeMs} ms`);
      sock.destroy();
    }, handshakeMs);
    t.unref();
    pending.set(sock, t);
    sock.once('close', () => settle(sock));
  });
  server.on('tlsClientError', (err: Error) => onRefused?.(`TLS handshake failed: ${err.message}`));
  server.on('clientError', (_err: Error, sock: Duplex) => sock.destroy());
  server.on('request', (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    res.end('This is a cipherprune server: connect with `cipherprune connect`.\n');
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: maxFrame + HEADER_BYTES, clientTracking: true });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (token !== undefined && !tokenMatches(req.headers.authorization, token)) {
      onRefused?.('refused a client without the right token');
      return refuseUpgrade(socket, 401, 'authentication failed: missing or wrong token');
    }
    if (sessions.size + upgrading >= maxSessions) {
      onRefused?.(`refused a client: ${sessions.size} sessions running (limit ${maxSessions})`);
      return refuseUpgrade(socket, 503, `server busy: ${sessions.size} sessions running (limit ${maxSessions}); try again later`);
    }
    upgrading++;
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgrading--;
      let ch: WsChannel;
      try {
        ch = new WsChannel(ws, 'server', wsOptions);
      } catch {
        ws.terminate();
        return;
      }
      sessions.add(ch);
      void ch.ended.then(() => sessions.delete(ch));
      ch.ready.then(
        async () => {
          settle(req.socket);
          try {
            await onSession(ch);
          } catch (e) {
            const err = e as Error;
            // The client learns that the server's side failed, not why (the reason may hold private values).
            if (!(err instanceof ChannelError)) ch.abort("the server's side of the session failed");
            onError?.(err, ch);
          }
        },
        (err: Error) => onError?.(err, ch),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', () => {}); // server socket errors after listen end nothing but new connections
      const addr = server.address() as AddressInfo;
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        port: addr.port,
        url: `${tls ? 'wss' : 'ws'}://${shownHost}:${addr.port}`,
        sessions,
        close: () =>
          new Promise<void>((done) => {
            for (const ch of sessions) ch.close();
            for (const ws of wss.clients) setTimeout(() => ws.terminate(), 500).unref();
            for (const sock of pending.keys()) sock.destroy();
            server.close(() => done());
            setTimeout(() => server.closeAllConnections(), 600).unref();
          }),
      });
    });
  });
}
