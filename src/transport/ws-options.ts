// Options of a ws session (docs/runtime.md, "ws" and "Limits and deadlines") and their defaults.
import type { SizeGuard } from './channel.ts';

export interface WsOptions {
  /** 32-byte hash of the compiled program (`hashProgram`); both parties must agree. */
  programHash: Uint8Array;
  /** Client only: session id to propose (default random). */
  sessionId?: number;
  /** Largest frame payload accepted (default 16 MiB). Larger messages are chunked by the sender. */
  maxFrameBytes?: number;
  /** Frame payload size used when chunking (default 8 MiB, at most the peer's maxFrameBytes). */
  chunkBytes?: number;
  /** Largest message accepted (default 1 GiB); checked at the first frame's header. */
  maxMessageBytes?: number;
  /** Ping interval (default 1000 ms; 0 = never ping, for tests). */
  keepaliveMs?: number;
  /** Fail with 'timeout' after this long without any traffic from the peer, pings included
   * (default 30 000 ms: a party busy with one long HE or OT computation on a loaded machine can
   * hold its event loop for seconds; a peer that closes its socket is noticed at once anyway). */
  idleTimeoutMs?: number;
  /** Fail with 'timeout' after waiting this long for a message with no protocol frame arriving;
   * pings do not count (default 120 000 ms; 0 = no limit). */
  waitTimeoutMs?: number;
  /** Fail with 'timeout' when the session, handshake included, lasts longer (default 2 h; 0 = no limit). */
  sessionTimeoutMs?: number;
  /** Connect + handshake bound (default 5000 ms). */
  handshakeTimeoutMs?: number;
  /** Checks each incoming message's announced size at its first frame (see `SizeGuard`). */
  sizeGuard?: SizeGuard | null;
  /** Explanations of a program mismatch this side can recognise (cli/two-party.ts: the same
   * program in the other mode): when the peer's hash is `programHash`, `local` ends this side's
   * message and `peer` what the peer is told instead of the generic "a different program". */
  mismatchHints?: MismatchHint[];
  /** Testing only: speak another protocol version. */
  protocolVersion?: number;
}

export interface MismatchHint {
  programHash: Uint8Array;
  local: string;
  peer: string;
}

export const WS_DEFAULTS = {
  maxFrameBytes: 16 * 2 ** 20,
  chunkBytes: 8 * 2 ** 20,
  maxMessageBytes: 2 ** 30,
  keepaliveMs: 1000,
  idleTimeoutMs: 30_000,
  waitTimeoutMs: 120_000,
  sessionTimeoutMs: 2 * 3600_000,
  handshakeTimeoutMs: 5000,
};
