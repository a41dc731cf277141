// Channel over a WebSocket (`ws`): binary frames with a small header (frame.ts), a connect
// handshake (version, role, session id, program hash), transparent chunking of large messages,
// strict validation of every incoming frame, and keepalive-based liveness (docs/runtime.md).
//
// Liveness: each side pings every `keepaliveMs`; any traffic from the peer (frame, ping, pong)
// counts as a sign of life. If the peer shows none for `idleTimeoutMs`, the channel fails with
// ChannelError('timeout'). `ws` answers pings only when the peer's event loop runs, so a party
// must not block its event loop longer than idleTimeoutMs (long computations yield with
// `yieldToEventLoop()`). A local stall is forgiven: when our own watchdog fires late (our loop
// was blocked), the peer gets a fresh idle window, since its traffic is still queued unread.
import { WebSocket } from 'ws';
import { ChannelError, CountingChannel, type ChannelErrorKind, type Party } from './channel.ts';
import { KIND_CODES } from './errors.ts';
import {
  FLAG_MORE, FrameType, HASH_BYTES, HEADER_BYTES, PROTOCOL_VERSION,
  decodeError, decodeHello, encodeError, encodeFrame, encodeHello, hex, parseHeader,
} from './frame.ts';

export interface WsOptions {
  /** 32-byte hash of the compiled program (`hashProgram`); both parties must agree. */
  programHash: Uint8Array;
  /** Client only: session id to propose (default random). */
  sessionId?: number;
  /** Largest frame payload accepted (default 64 MiB). Larger messages are chunked by the sender. */
  maxFrameBytes?: number;
  /** Frame payload size used when chunking (default 8 MiB, at most the peer's maxFrameBytes). */
  chunkBytes?: number;
  /** Largest reassembled message accepted (default 2 GiB). */
  maxMessageBytes?: number;
  /** Ping interval (default 1000 ms; 0 = never ping, for tests). */
  keepaliveMs?: number;
  /** Fail with 'timeout' after this long without any traffic from the peer (default 3500 ms). */
  idleTimeoutMs?: number;
  /** Connect + handshake bound (default 5000 ms). */
  handshakeTimeoutMs?: number;
  /** Testing only: speak another protocol version. */
  protocolVersion?: number;
}

export const WS_DEFAULTS = {
  maxFrameBytes: 64 * 2 ** 20,
  chunkBytes: 8 * 2 ** 20,
  maxMessageBytes: 2 * 2 ** 30,
  keepaliveMs: 1000,
  idleTimeoutMs: 3500,
  handshakeTimeoutMs: 5000,
};

/** Framing overhead, reported apart from the payload counters in `totals`. */
export interface Overhead {
  /** Header bytes of data frames plus whole HELLO/ERROR frames, each way. */
  bytesSent: number;
  bytesRecv: number;
  framesSent: number;
  framesRecv: number;
}

const CLOSE_NORMAL = 1000;
const CLOSE_TOO_BIG = 1009;
const CLOSE_KIND_BASE = 4000;

/** Let the event loop run (answer pings, read sockets). Call it inside long computations. */
export const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export class WsChannel extends CountingChannel {
  readonly overhead: Overhead = { bytesSent: 0, bytesRecv: 0, framesSent: 0, framesRecv: 0 };
  /** Resolves when the handshake has succeeded; rejects with the ChannelError that ended it. */
  readonly ready: Promise<void>;
  /** Resolves (never rejects) with the error that ended the channel, once it has ended. */
  readonly ended: Promise<ChannelError>;
  sessionId: number;
  private readonly ws: WebSocket;
  private readonly opt: Required<Omit<WsOptions, 'sessionId'>>;
  private state: 'handshake' | 'open' | 'failed' = 'handshake';
  private peerMaxFrame = 0;
  private seqOut = 0;
  private seqIn = 0;
  private maxSentRound = 0;
  private lastPeerRound = 0;
  private partial: Uint8Array[] = [];
  private partialBytes = 0;
  private partialRound = 0;
  private pendingSends = 0;
  private flushWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private lastActivity = Date.now();
  private lastTick = Date.now();
  private lastPing = 0;
  private timers: NodeJS.Timeout[] = [];
  private handshakeTimer: NodeJS.Timeout;
  private settleReady!: (err?: ChannelError) => void;
  private settleEnded!: (err: ChannelError) => void;

  constructor(ws: WebSocket, party: Party, options: WsOptions) {
    super(party);
    if (!(options.programHash instanceof Uint8Array) || options.programHash.byteLength !== HASH_BYTES)
      throw new TypeError(`programHash must be a ${HASH_BYTES}-byte Uint8Array`);
    this.opt = { ...WS_DEFAULTS, protocolVersion: PROTOCOL_VERSION, ...stripUndefined(options) } as Required<Omit<WsOptions, 'sessionId'>>;
    if (this.opt.chunkBytes > this.opt.maxFrameBytes) this.opt.chunkBytes = this.opt.maxFrameBytes;
    this.sessionId = party === 'client' ? (options.sessionId ?? (Math.random() * 2 ** 32) >>> 0) >>> 0 : 0;
    this.ws = ws;
    this.ready = new Promise<void>((resolve, reject) => (this.settleReady = (e) => (e ? reject(e) : resolve())));
    this.ready.catch(() => {}); // observed through `ended` too; avoid unhandled rejections
    this.ended = new Promise((resolve) => (this.settleEnded = resolve));
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.guard(() => this.onMessage(data as Buffer, isBinary)));
    ws.on('ping', () => this.alive());
    ws.on('pong', () => this.alive());
    ws.on('error', (err) => this.onSocketError(err));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
    this.handshakeTimer = setTimeout(
      () => this.abort(new ChannelError('timeout', `handshake with the peer did not complete within ${this.opt.handshakeTimeoutMs} ms`)),
      this.opt.handshakeTimeoutMs,
    );
    this.timers.push(this.handshakeTimer);
    if (ws.readyState === WebSocket.OPEN) this.onOpen();
    else ws.once('open', () => this.onOpen());
  }

  /** The peer's role. */
  get peer(): Party {
    return this.party === 'client' ? 'server' : 'client';
  }

  protected transmit(payload: Uint8Array, round: number): void {
    if (this.state !== 'open') throw this.failure ?? new ChannelError('closed', 'send before the handshake completed');
    this.maxSentRound = Math.max(this.maxSentRound, round);
    const chunk = Math.min(this.opt.chunkBytes, this.peerMaxFrame);
    const total = payload.byteLength;
    let off = 0;
    do {
      const len = Math.min(chunk, total - off);
      const more = off + len < total;
      this.sendFrame(FrameType.DATA, more ? FLAG_MORE : 0, round, payload, off, len);
      off += len;
    } while (off < total);
  }

  override flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pendingSends === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.flushWaiters.push({ resolve, reject }));
  }

  /** Normal end: queued data is still delivered, then the peer sees 'closed'. */
  override close(): void {
    this.abort(new ChannelError('closed', 'channel closed'), CLOSE_NORMAL);
  }

  /** Drop the connection abruptly, without a close frame (as a crash would). */
  destroy(): void {
    this.abort(new ChannelError('closed', 'channel destroyed'), -1);
    this.ws.terminate();
  }

  /** End the session because of a local error; the peer learns `kind` and `reason`. */
  abortWith(kind: ChannelErrorKind, reason: string): void {
    this.abort(new ChannelError(kind, reason));
  }

  // ---- incoming ----

  private onOpen(): void {
    this.alive();
    const tick = Math.max(20, Math.min(this.opt.keepaliveMs || Infinity, this.opt.idleTimeoutMs / 8));
    const t = setInterval(() => this.guard(() => this.watchdog(tick)), tick);
    t.unref();
    this.timers.push(t);
    if (this.party === 'client') this.sendHello();
  }

  private watchdog(tick: number): void {
    const now = Date.now();
    if (now - this.lastTick > 4 * tick) this.lastActivity = now; // we were stalled: forgive
    this.lastTick = now;
    if (now - this.lastActivity > this.opt.idleTimeoutMs) {
      throw new ChannelError('timeout', `no traffic from the peer for ${now - this.lastActivity} ms (limit ${this.opt.idleTimeoutMs} ms): the peer is dead, hung, or blocked its event loop`);
    }
    if (this.opt.keepaliveMs > 0 && now - this.lastPing >= this.opt.keepaliveMs && this.ws.readyState === WebSocket.OPEN) {
      this.lastPing = now;
      this.ws.ping();
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.alive();
    if (this.state === 'failed') return;
    if (!isBinary) throw new ChannelError('malformed', 'malformed frame: text message on a binary channel');
    const h = parseHeader(data, this.opt.maxFrameBytes, this.opt.protocolVersion);
    this.overhead.framesRecv++;
    this.overhead.bytesRecv += h.type === FrameType.DATA ? HEADER_BYTES : data.byteLength;
    const payload = data.subarray(HEADER_BYTES);
    if (h.type === FrameType.ERROR) {
      const e = decodeError(payload);
      throw Object.assign(new ChannelError(e.kind, `peer (${this.peer}) reported: ${e.message}`), { fromPeer: true });
    }
    if (h.seq !== this.seqIn) throw new ChannelError('malformed', `malformed frame: sequence number ${h.seq}, expected ${this.seqIn}`);
    this.seqIn++;
    if (h.type === FrameType.HELLO) return this.onHello(h.session, payload, h.seq);
    if (this.state !== 'open') throw new ChannelError('malformed', 'malformed frame: data before the handshake');
    if (h.session !== this.sessionId) throw new ChannelError('malformed', `malformed frame: session ${h.session}, expected ${this.sessionId}`);
    if (h.round < Math.max(1, this.lastPeerRound) || h.round > this.maxSentRound + 1)
      throw new ChannelError('malformed', `malformed frame: round stamp ${h.round} outside [${Math.max(1, this.lastPeerRound)}, ${this.maxSentRound + 1}]`);
    if (this.partial.length && h.round !== this.partialRound) throw new ChannelError('malformed', `malformed frame: chunk of round ${h.round} inside a message of round ${this.partialRound}`);
    this.lastPeerRound = h.round;
    if (this.partialBytes + payload.byteLength > this.opt.maxMessageBytes)
      throw new ChannelError('oversized', `oversized message: more than ${this.opt.maxMessageBytes} bytes`);
    if (h.flags & FLAG_MORE) {
      this.partial.push(payload);
      this.partialBytes += payload.byteLength;
      this.partialRound = h.round;
      return;
    }
    let msg: Uint8Array = payload;
    if (this.partial.length) {
      this.partial.push(payload);
      msg = Buffer.concat(this.partial, this.partialBytes + payload.byteLength);
      this.partial = [];
      this.partialBytes = 0;
    }
    // Hand out a plain Uint8Array view, never a Buffer: consumers (SEAL's bindings among them)
    // expect Uint8Array semantics, and Buffer#slice does not copy.
    this.deliver(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), h.round);
  }

  private onHello(session: number, payload: Uint8Array, seq: number): void {
    if (this.state !== 'handshake' || seq !== 0) throw new ChannelError('malformed', 'malformed frame: unexpected hello');
    const hello = decodeHello(payload);
    if (hello.role === this.party) throw new ChannelError('mismatch', `both parties are ${this.party}s: one side must serve, the other connect`);
    const mine = hex(this.opt.programHash), theirs = hex(hello.programHash);
    if (mine !== theirs)
      throw new ChannelError('mismatch', `program mismatch: this ${this.party} runs program ${mine}, the ${hello.role} runs ${theirs}; both must compile the same program`);
    if (this.party === 'server') this.sessionId = session;
    else if (session !== this.sessionId) throw new ChannelError('malformed', `malformed hello: session ${session}, expected ${this.sessionId}`);
    this.peerMaxFrame = hello.maxFrameBytes;
    if (this.party === 'server') this.sendHello();
    this.state = 'open';
    clearTimeout(this.handshakeTimer);
    this.settleReady();
  }

  private alive(): void {
    this.lastActivity = Date.now();
  }

  private onSocketError(err: Error & { code?: string }): void {
    const code = err.code ?? '';
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.abort(new ChannelError('oversized', `oversized frame from the peer: ${err.message}`), CLOSE_TOO_BIG);
    else if (code.startsWith('WS_ERR_')) this.abort(new ChannelError('malformed', `malformed WebSocket traffic from the peer: ${err.message}`));
    else this.abort(new ChannelError('closed', `connection to the peer failed: ${err.message}${code ? ` (${code})` : ''}`), -1);
  }

  private onClose(code: number, reason: string): void {
    let err: ChannelError;
    if (code >= CLOSE_KIND_BASE && code < CLOSE_KIND_BASE + KIND_CODES.length) err = new ChannelError(KIND_CODES[code - CLOSE_KIND_BASE], `peer (${this.peer}) reported: ${reason}`);
    else if (code === CLOSE_TOO_BIG) err = new ChannelError('oversized', `the peer rejected a frame as too large (close code 1009${reason ? `: ${reason}` : ''})`);
    else if (code === CLOSE_NORMAL || code === 1001) err = new ChannelError('closed', `the peer (${this.peer}) closed the connection`);
    else if (code === 1006) err = new ChannelError('closed', `connection to the peer (${this.peer}) lost without a close frame (peer crashed or was killed?)`);
    else err = new ChannelError('closed', `connection to the peer (${this.peer}) closed with code ${code}${reason ? `: ${reason}` : ''}`);
    this.abort(err, -1);
  }

  // ---- outgoing ----

  private sendHello(): void {
    const hello = encodeHello({ role: this.party, maxFrameBytes: this.opt.maxFrameBytes, programHash: this.opt.programHash });
    this.sendFrame(FrameType.HELLO, 0, 0, hello, 0, hello.byteLength);
  }

  private sendFrame(type: number, flags: number, round: number, payload: Uint8Array, off: number, len: number): void {
    const frame = encodeFrame({ version: this.opt.protocolVersion, type, flags, session: this.sessionId, seq: this.seqOut++, round }, payload, off, len);
    this.overhead.framesSent++;
    this.overhead.bytesSent += type === FrameType.DATA ? HEADER_BYTES : frame.byteLength;
    this.pendingSends++;
    this.ws.send(frame, { binary: true }, (err) => {
      this.pendingSends--;
      if (err) this.abort(new ChannelError('closed', `sending to the peer failed: ${err.message}`), -1);
      else if (this.pendingSends === 0) for (const w of this.flushWaiters.splice(0)) w.resolve();
    });
  }

  // ---- failure ----

  /** Run a handler; any error ends the channel (never escapes into the event loop). */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      const err = e instanceof ChannelError ? e : new ChannelError('malformed', `internal error handling a frame: ${(e as Error).message}`);
      this.abort(err, (e as { fromPeer?: boolean }).fromPeer ? CLOSE_NORMAL : undefined);
    }
  }

  /**
   * End the channel with `err`. `closeCode`: undefined = tell the peer `err` (ERROR frame and
   * close code 4000 + kind), a number = close with that code, -1 = the socket is gone already.
   */
  private abort(err: ChannelError, closeCode?: number): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.fail(err);
    this.settleReady(err);
    this.settleEnded(err);
    for (const w of this.flushWaiters.splice(0)) w.reject(err);
    this.stopTimers();
    const ws = this.ws;
    if (closeCode === -1 || ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
    if (ws.readyState === WebSocket.CONNECTING) return ws.terminate();
    let code = closeCode ?? CLOSE_KIND_BASE + KIND_CODES.indexOf(err.kind);
    if (closeCode === undefined) {
      try {
        const body = encodeError(err.kind, err.message);
        ws.send(encodeFrame({ version: this.opt.protocolVersion, type: FrameType.ERROR, flags: 0, session: this.sessionId, seq: this.seqOut++, round: 0 }, body));
      } catch {
        code = CLOSE_KIND_BASE + KIND_CODES.indexOf(err.kind);
      }
    }
    ws.close(code, truncateUtf8(err.message, 120));
    setTimeout(() => ws.terminate(), 1000).unref(); // peer does not answer the close handshake
  }

  private stopTimers(): void {
    for (const t of this.timers.splice(0)) clearTimeout(t);
  }
}

/** Connect to a cipherprune server at `url` (ws://host:port); resolves after the handshake. */
export async function connect(url: string, options: WsOptions): Promise<WsChannel> {
  const maxFrame = options.maxFrameBytes ?? WS_DEFAULTS.maxFrameBytes;
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    maxPayload: maxFrame + HEADER_BYTES,
    handshakeTimeout: options.handshakeTimeoutMs ?? WS_DEFAULTS.handshakeTimeoutMs,
    // Masking only protects browsers and proxies; between two cipherprune peers a zero mask lets
    // ws skip the XOR pass (about 4x faster uploads, docs/runtime.md).
    generateMask: (mask: Buffer) => void mask.fill(0),
  });
  const ch = new WsChannel(ws, 'client', options);
  await ch.ready;
  return ch;
}

function truncateUtf8(s: string, maxBytes: number): string {
  let out = s;
  while (Buffer.byteLength(out) > maxBytes) out = out.slice(0, -1);
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
