// Server side of the ws transport: one listening socket, many independent sessions. A session
// that fails (bad frame, dead client, program mismatch) ends alone; the others keep running.
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { ChannelError } from './channel.ts';
import { HEADER_BYTES } from './frame.ts';
import { WS_DEFAULTS, WsChannel, type WsOptions } from './ws-channel.ts';

export interface ListenOptions extends Omit<WsOptions, 'sessionId'> {
  host?: string;
  /** 0 (default) picks a free port; read it from `server.port`. */
  port?: number;
  /**
   * Called once per session after a successful handshake. A rejection ends that session only.
   * Later failures of the channel reach the handler through its recv/send/flush; a handler that
   * returns early and keeps the channel can watch `channel.ended`.
   */
  onSession: (channel: WsChannel) => void | Promise<void>;
  /** Called when a handshake fails or `onSession` throws or rejects (with that error). */
  onError?: (err: Error, channel: WsChannel) => void;
}

export interface WsServer {
  readonly port: number;
  readonly url: string;
  /** Sessions whose channel has not ended yet. */
  readonly sessions: ReadonlySet<WsChannel>;
  /** Stop accepting, close every session, resolve when the socket is closed. */
  close(): Promise<void>;
}

export function listen(options: ListenOptions): Promise<WsServer> {
  const { host = '127.0.0.1', port = 0, onSession, onError, ...wsOptions } = options;
  const maxFrame = wsOptions.maxFrameBytes ?? WS_DEFAULTS.maxFrameBytes;
  const sessions = new Set<WsChannel>();
  const wss = new WebSocketServer({ host, port, perMessageDeflate: false, maxPayload: maxFrame + HEADER_BYTES, clientTracking: true });
  wss.on('connection', (ws) => {
    let ch: WsChannel;
    try {
      ch = new WsChannel(ws, 'server', wsOptions);
    } catch (e) {
      ws.terminate();
      return;
    }
    sessions.add(ch);
    void ch.ended.then(() => sessions.delete(ch));
    ch.ready.then(
      async () => {
        try {
          await onSession(ch);
        } catch (e) {
          const err = e as Error;
          if (!(err instanceof ChannelError)) ch.abortWith('closed', `server session failed: ${err.message}`);
          onError?.(err, ch);
        }
      },
      (err: Error) => onError?.(err, ch),
    );
  });
  return new Promise((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      wss.off('error', reject);
      wss.on('error', () => {}); // server socket errors after listen end nothing but new connections
      const addr = wss.address() as AddressInfo;
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        port: addr.port,
        url: `ws://${shownHost}:${addr.port}`,
        sessions,
        close: () =>
          new Promise<void>((done) => {
            for (const ch of sessions) ch.close();
            for (const ws of wss.clients) setTimeout(() => ws.terminate(), 500).unref();
            wss.close(() => done());
          }),
      });
    });
  });
}
