// The time limits of one ws session (docs/runtime.md, "Limits and deadlines"), checked by the
// channel's watchdog on every tick:
//
// - liveness (`idleTimeoutMs`): no traffic at all from the peer (frames, pings, pongs) → the
//   peer is dead or hung. Cheap to satisfy: a live process answers pings.
// - waiting (`waitTimeoutMs`): this party has waited for the peer's next message that long and no
//   protocol frame arrived. Pings do not count, so a connected but idle client cannot hold a
//   session (and its memory) open by answering pings.
// - session (`sessionTimeoutMs`): the whole session, handshake included, must end by then.
//
// A stall of our own event loop is forgiven for liveness and waiting: when the tick fires much
// later than scheduled, the peer's traffic is still queued unread, so the windows restart.
import { ChannelError } from './channel.ts';

export interface DeadlineOptions {
  idleTimeoutMs: number;
  /** 0 = no limit. */
  waitTimeoutMs: number;
  /** 0 = no limit. */
  sessionTimeoutMs: number;
}

const seconds = (ms: number): string => `${+(ms / 1000).toFixed(3)} s`;

export class Deadlines {
  private readonly opt: DeadlineOptions;
  private readonly start: number;
  private lastTraffic: number;
  private lastFrame: number;
  private waitingSince: number | null = null;
  private lastTick: number;

  constructor(opt: DeadlineOptions, now = Date.now()) {
    this.opt = opt;
    this.start = this.lastTraffic = this.lastFrame = this.lastTick = now;
  }

  /** Any sign of life from the peer (a frame, a ping, a pong). */
  traffic(now = Date.now()): void {
    this.lastTraffic = now;
  }

  /** A protocol frame from the peer. */
  frame(now = Date.now()): void {
    this.lastTraffic = this.lastFrame = now;
  }

  /** This party starts (true) or stops (false) waiting for the peer's next message. */
  waiting(on: boolean, now = Date.now()): void {
    if (!on) this.waitingSince = null;
    else if (this.waitingSince === null) this.waitingSince = now;
  }

  /** The error that ends the session now, or null. `tickMs` is the watchdog period. */
  check(tickMs: number, now = Date.now()): ChannelError | null {
    if (now - this.lastTick > 4 * tickMs) {
      // Our own loop was blocked: forgive the peer (its traffic is still queued unread).
      this.lastTraffic = this.lastFrame = now;
      if (this.waitingSince !== null) this.waitingSince = now;
    }
    this.lastTick = now;
    const { idleTimeoutMs, waitTimeoutMs, sessionTimeoutMs } = this.opt;
    if (sessionTimeoutMs > 0 && now - this.start > sessionTimeoutMs)
      return new ChannelError('timeout', `session deadline exceeded: the session ran for ${seconds(now - this.start)} (limit ${seconds(sessionTimeoutMs)})`);
    if (now - this.lastTraffic > idleTimeoutMs)
      return new ChannelError('timeout', `no traffic from the peer for ${now - this.lastTraffic} ms (limit ${idleTimeoutMs} ms): the peer is dead, hung, or blocked its event loop`);
    if (waitTimeoutMs > 0 && this.waitingSince !== null) {
      const idle = now - Math.max(this.waitingSince, this.lastFrame);
      if (idle > waitTimeoutMs) return new ChannelError('timeout', `idle session: waited ${seconds(idle)} for the peer's next message (limit ${seconds(waitTimeoutMs)})`);
    }
    return null;
  }
}
