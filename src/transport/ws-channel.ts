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
// Waiting and session deadlines, which pings do not satisfy, are in deadlines.ts.
import { WebSocket } from 'ws';
import { ChannelError, CountingChannel, type ChannelErrorKind, type Party, type SizeGuard } from './channel.ts';
import { Deadlines } from './deadlines.ts';
import { WS_DEFAULTS, type MismatchHint, type WsOptions } from './ws-options.ts';
import { KIND_CODES } from './errors.ts';
import { CLOSE_KIND_BASE, CLOSE_NORMAL, SOCKET_GONE, closeFailure, socketFailure } from './ws-errors.ts';
import {
  FLAG_MORE, FrameType, HASH_BYTES, HEADER_BYTES, PROTOCOL_VERSION,
  decodeError, decodeHello, encodeError, encodeFrame, encodeHello, hex, parseHeader,
} from './frame.ts';

export { WS_DEFAULTS, type MismatchHint, type WsOptions } from './ws-options.ts';

/** Framing overhead, reported apart from the payload counters in `totals`. */
export interface Overhead {
  /** Header bytes of data frames plus whole HELLO/ERROR frames, each way. */
  bytesSent: number;
  bytesRecv: number;
  framesSent: number;
  framesRecv: number;
}

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
  private readonly opt: Required<Omit<WsOptions, 'sessionId' | 'sizeGuard' | 'mismatchHints'>>;
  private sizeGuard: SizeGuard | null;
  private readonly mismatchHints: MismatchHint[];
  /** Messages whose first frame arrived (the index `sizeGuard` sees). */
  private messagesIn = 0;
  private partialTotal = 0;
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
  private readonly deadlines: Deadlines;
  private lastPing = 0;
  private timers: NodeJS.Timeout[] = [];
  private handshakeTimer: NodeJS.Timeout;
  private settleReady!: (err?: ChannelError) => void;
  private settleEnded!: (err: ChannelError) => void;

  constructor(ws: WebSocket, party: Party, options: WsOptions) {
    super(party);
    if (!(options.programHash instanceof Uint8Array) || options.programHash.byteLength !== HASH_BYTES)
      throw new TypeError(`programHash must be a ${HASH_BYTES}-byte Uint8Array`);
    const { sizeGuard = null, mismatchHints = [], ...rest } = options;
    this.opt = { ...WS_DEFAULTS, protocolVersion: PROTOCOL_VERSION, ...stripUndefined(rest) } as Required<Omit<WsOptions, 'sessionId' | 'sizeGuard' | 'mismatchHints'>>;
    this.sizeGuard = sizeGuard;
    this.mismatchHints = mismatchHints;
    this.deadlines = new Deadlines(this.opt);
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
      () => this.finish(new ChannelError('timeout', `handshake with the peer did not complete within ${this.opt.handshakeTimeoutMs} ms`)),
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

  /** Check the announced size of every later message (null: only `maxMessageBytes`). */
  guardSizes(guard: SizeGuard | null): void {
    this.sizeGuard = guard;
  }

  protected override waitingChanged(waiting: boolean): void {
    this.deadlines.waiting(waiting);
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
      this.sendFrame(FrameType.DATA, more ? FLAG_MORE : 0, round, payload, off, len, total);
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
    this.finish(new ChannelError('closed', 'channel closed'), CLOSE_NORMAL);
  }

  /** Drop the connection abruptly, without a close frame (as a crash would). */
  destroy(): void {
    this.finish(new ChannelError('closed', 'channel destroyed'), SOCKET_GONE);
    this.ws.terminate();
  }

  /** End the session because of a local error; the peer learns `kind` and `reason`. */
  abortWith(kind: ChannelErrorKind, reason: string): void {
    this.finish(new ChannelError(kind, reason));
  }

  /** This party failed: the peer fails with 'aborted' and `reason` (no private values in it). */
  override abort(reason: string): void {
    this.finish(new ChannelError('aborted', `session aborted: ${reason}`, reason));
  }

  protected override end(local: ChannelError): void {
    this.finish(local);
  }

  // ---- incoming ----

  private onOpen(): void {
    this.alive();
    const limits = [this.opt.keepaliveMs, this.opt.idleTimeoutMs / 8, this.opt.waitTimeoutMs / 8, this.opt.sessionTimeoutMs / 8].filter((t) => t > 0);
    const tick = Math.max(20, Math.min(...limits));
    const t = setInterval(() => this.guard(() => this.watchdog(tick)), tick);
    t.unref();
    this.timers.push(t);
    if (this.party === 'client') this.sendHello();
  }

  private watchdog(tick: number): void {
    const now = Date.now();
    const err = this.deadlines.check(tick, now);
    if (err) throw err;
    if (this.opt.keepaliveMs > 0 && now - this.lastPing >= this.opt.keepaliveMs && this.ws.readyState === WebSocket.OPEN) {
      this.lastPing = now;
      this.ws.ping();
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.deadlines.frame();
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
    if (this.partial.length === 0) this.checkSize(h.total);
    else if (h.total !== this.partialTotal) throw new ChannelError('malformed', `malformed frame: chunk announces a message of ${h.total} bytes inside one of ${this.partialTotal}`);
    const have = this.partialBytes + payload.byteLength;
    if (h.flags & FLAG_MORE ? have >= h.total : have !== h.total)
      throw new ChannelError('malformed', `malformed frame: chunks of ${have} bytes for a message of ${h.total}`);
    if (h.flags & FLAG_MORE) {
      this.partial.push(payload);
      this.partialBytes += payload.byteLength;
      this.partialRound = h.round;
      this.partialTotal = h.total;
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

  /** A new message announces `total` bytes: refuse it now if it is larger than allowed. */
  private checkSize(total: number): void {
    const index = this.messagesIn++;
    if (total > this.opt.maxMessageBytes)
      throw new ChannelError('oversized', `oversized message: the peer announces ${total} bytes, limit ${this.opt.maxMessageBytes}`);
    const why = this.sizeGuard?.(total, index);
    if (why) throw new ChannelError('oversized', `unexpected message size: ${why}`);
  }

  private onHello(session: number, payload: Uint8Array, seq: number): void {
    if (this.state !== 'handshake' || seq !== 0) throw new ChannelError('malformed', 'malformed frame: unexpected hello');
    const hello = decodeHello(payload);
    if (hello.role === this.party) throw new ChannelError('mismatch', `both parties are ${this.party}s: one side must serve, the other connect`);
    const mine = hex(this.opt.programHash), theirs = hex(hello.programHash);
    // The peer learns only that the programs differ, never our hash (it would let a client test
    // guesses of the model's configuration offline); the local message names both for the log.
    // A hint the caller gave for the peer's hash (the same program in the other mode) says what
    // to change instead; the peer learns only what retrying with the other setting would tell it.
    if (mine !== theirs) {
      const hint = this.mismatchHints.find((h) => hex(h.programHash) === theirs);
      throw new ChannelError('mismatch', `program mismatch: this ${this.party} runs program ${mine}, the ${hello.role} runs ${theirs}; ${hint?.local ?? 'both must compile the same program'}`,
        `program mismatch: ${hint?.peer ?? `the ${this.party} runs a different program or config; both must compile the same program`}`);
    }
    if (this.party === 'server') this.sessionId = session;
    else if (session !== this.sessionId) throw new ChannelError('malformed', `malformed hello: session ${session}, expected ${this.sessionId}`);
    this.peerMaxFrame = hello.maxFrameBytes;
    if (this.party === 'server') this.sendHello();
    this.state = 'open';
    clearTimeout(this.handshakeTimer);
    this.settleReady();
  }

  private alive(): void {
    this.deadlines.traffic();
  }

  private onSocketError(err: Error & { code?: string }): void {
    const f = socketFailure(err, this.peer);
    this.finish(f.err, f.closeCode);
  }

  private onClose(code: number, reason: string): void {
    this.finish(closeFailure(code, reason, this.peer), SOCKET_GONE);
  }

  // ---- outgoing ----

  private sendHello(): void {
    const hello = encodeHello({ role: this.party, maxFrameBytes: this.opt.maxFrameBytes, programHash: this.opt.programHash });
    this.sendFrame(FrameType.HELLO, 0, 0, hello, 0, hello.byteLength, hello.byteLength);
  }

  private sendFrame(type: number, flags: number, round: number, payload: Uint8Array, off: number, len: number, total: number): void {
    const frame = encodeFrame({ version: this.opt.protocolVersion, type, flags, session: this.sessionId, seq: this.seqOut++, round, total }, payload, off, len);
    this.overhead.framesSent++;
    this.overhead.bytesSent += type === FrameType.DATA ? HEADER_BYTES : frame.byteLength;
    this.pendingSends++;
    this.ws.send(frame, { binary: true }, (err) => {
      this.pendingSends--;
      if (err) this.finish(new ChannelError('closed', `sending to the peer failed: ${err.message}`), SOCKET_GONE);
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
      this.finish(err, (e as { fromPeer?: boolean }).fromPeer ? CLOSE_NORMAL : undefined);
    }
  }

  /**
   * End the channel with `err`. `closeCode`: undefined = tell the peer `err` (ERROR frame and
   * close code 4000 + kind; the peer sees `err.peerMessage` when set), a number = close with that
   * code, -1 = the socket is gone already.
   */
  private finish(err: ChannelError, closeCode?: number): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.fail(err);
    this.settleReady(err);
    this.settleEnded(err);
    for (const w of this.flushWaiters.splice(0)) w.reject(err);
    this.stopTimers();
    const ws = this.ws;
    if (closeCode === SOCKET_GONE || ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
    if (ws.readyState === WebSocket.CONNECTING) return ws.terminate();
    let code = closeCode ?? CLOSE_KIND_BASE + KIND_CODES.indexOf(err.kind);
    const told = err.peerMessage ?? err.message;
    if (closeCode === undefined) {
      try {
        const body = encodeError(err.kind, told);
        ws.send(encodeFrame({ version: this.opt.protocolVersion, type: FrameType.ERROR, flags: 0, session: this.sessionId, seq: this.seqOut++, round: 0 }, body));
      } catch {
        code = CLOSE_KIND_BASE + KIND_CODES.indexOf(err.kind);
      }
    }
    ws.close(code, truncateUtf8(told, 120));
    // A peer that broke the protocol may keep sending (the rest of an oversized message): stop
    // reading, so nothing more is buffered; our ERROR and close frames still go out.
    if (err.kind === 'oversized' || err.kind === 'malformed' || err.kind === 'version') ws.pause();
    setTimeout(() => ws.terminate(), 1000).unref(); // peer does not answer the close handshake
  }

  private stopTimers(): void {
    for (const t of this.timers.splice(0)) clearTimeout(t);
  }
}

export interface ConnectOptions extends WsOptions {
  /** Trusted CA certificate(s) (PEM) for a wss:// server; default: the system's CAs. */
  ca?: string | Buffer;
  /** Shared secret the server may require (sent in the upgrade request; use wss off loopback). */
  token?: string;
}

/** Connect to a cipherprune server at `url` (ws:// or wss://host:port); resolves after the handshake. */
export async function connect(url: string, options: ConnectOptions): Promise<WsChannel> {
  const { ca, token, ...wsOptions } = options;
  const maxFrame = options.maxFrameBytes ?? WS_DEFAULTS.maxFrameBytes;
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    maxPayload: maxFrame + HEADER_BYTES,
    handshakeTimeout: options.handshakeTimeoutMs ?? WS_DEFAULTS.handshakeTimeoutMs,
    // Masking only protects browsers and proxies; between two cipherprune peers a zero mask lets
    // ws skip the XOR pass (about 4x faster uploads, docs/runtime.md).
    generateMask: (mask: Buffer) => void mask.fill(0),
    ...(ca !== undefined ? { ca } : {}),
    ...(token !== undefined ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  const ch = new WsChannel(ws, 'client', wsOptions);
  // A server that refuses before the upgrade (busy, not authorised) answers with an HTTP status.
  ws.on('unexpected-response', (_req, res) => {
    const why = res.headers[REFUSAL_HEADER];
    ch.abortWith('refused', `the server refused the connection: ${typeof why === 'string' ? why : `HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim()}`);
    res.resume();
  });
  await ch.ready;
  return ch;
}

/** HTTP response header in which a server says why it refused an upgrade. */
export const REFUSAL_HEADER = 'x-cipherprune-refused';

function truncateUtf8(s: string, maxBytes: number): string {
  let out = s;
  while (Buffer.byteLength(out) > maxBytes) out = out.slice(0, -1);
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
