// A two-party message channel that counts what crosses it.
//
// Definition of a round (docs/runtime.md): every message carries a round stamp. A party's clock
// is the highest stamp it has received; a message it sends is stamped clock + 1. So two messages
// that the parties send without waiting for each other share a round, and a reply is one round
// later. The protocol's round count is the highest stamp of any message: the length of the
// longest causal chain of messages, which is what network latency multiplies.
//
// Bytes are payload bytes (framing overhead is reported separately by transports that have it).

export type Party = 'client' | 'server';

export const peerOf = (p: Party): Party => (p === 'client' ? 'server' : 'client');

export interface Counters {
  bytesSent: number;
  bytesRecv: number;
  messagesSent: number;
  messagesRecv: number;
  /** Rounds that elapsed while this scope was current (clock advance). */
  rounds: number;
}

export const zeroCounters = (): Counters => ({
  bytesSent: 0,
  bytesRecv: 0,
  messagesSent: 0,
  messagesRecv: 0,
  rounds: 0,
});

export interface Channel {
  readonly party: Party;
  /** Queue a message to the peer. The channel takes ownership: do not mutate `payload` after. */
  send(payload: Uint8Array): void;
  /** Next message from the peer, in order. Rejects with a ChannelError if the peer is gone. */
  recv(): Promise<Uint8Array>;
  /** Resolves when everything sent so far has been handed to the transport. */
  flush(): Promise<void>;
  close(): void;
  /**
   * End the session because this party failed: the peer's pending and future receives fail with
   * ChannelError('aborted'). `reason` reaches the peer, so it must not carry private values.
   */
  abort(reason: string): void;
  /** Totals for this party. `rounds` is the current clock (see the header comment). */
  readonly totals: Readonly<Counters>;
  /** Attribute bytes and rounds to a label (an op, a layer) until the returned function is called. */
  scope(label: string): () => void;
  /** Attribute compute only (not bytes or rounds) to a label; optional (CountingChannel has it). */
  computeScope?(label: string): () => void;
  /**
   * A run starts here: the parties begin it together, so this party's next message opens a new
   * round even if its last message of the previous run was never answered. Without it, on a
   * channel reused across runs, a run whose first flight goes both ways shares its first round
   * with the previous run's last one (one round fewer than the run's own prediction).
   */
  startRun?(): void;
  /** Counters per scope label, in first-use order. */
  readonly byScope: ReadonlyMap<string, Readonly<Counters>>;
}

export type ChannelErrorKind = 'closed' | 'timeout' | 'malformed' | 'oversized' | 'version' | 'mismatch' | 'aborted' | 'refused';

export class ChannelError extends Error {
  readonly kind: ChannelErrorKind;
  /** What the peer is told, when it must learn less than this party logs (e.g. no program hash). */
  readonly peerMessage?: string;
  constructor(kind: ChannelErrorKind, message: string, peerMessage?: string) {
    super(message);
    this.name = 'ChannelError';
    this.kind = kind;
    if (peerMessage !== undefined) this.peerMessage = peerMessage;
  }
}

/**
 * Checks the announced size of each incoming message as soon as its first frame header arrives
 * (before its payload is buffered). `index` counts the peer's messages from 0. Returns why the
 * size is refused, or null. The executor or scheduler feeds it what the cost model predicts.
 */
export type SizeGuard = (bytes: number, index: number) => string | null;

/** A guard that accepts exactly `sizes[i]` bytes for message i (the schedule's exact sizes). */
export function exactSizes(sizes: readonly number[], offset = 0): SizeGuard {
  return (bytes, index) => {
    const want = sizes[index - offset];
    if (want === undefined) return `message ${index} of ${bytes} bytes is beyond the schedule (${sizes.length} messages)`;
    return bytes === want ? null : `message ${index} announces ${bytes} bytes, the schedule says ${want}`;
  };
}

/** Bookkeeping shared by every transport: counters, round clock, scopes, receive queue. */

/** Push `label` on a scope stack; the returned function removes it (once, wherever it sits). */
function pushScope(stack: string[], label: string): () => void {
  stack.push(label);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const i = stack.lastIndexOf(label);
    if (i >= 0) stack.splice(i, 1);
  };
}

export abstract class CountingChannel implements Channel {
  readonly party: Party;
  readonly totals: Counters = zeroCounters();
  readonly byScope = new Map<string, Counters>();
  /** Highest stamp received: the next message is stamped clock + 1. */
  private clock = 0;
  /** Highest stamp sent or received: the rounds so far. */
  private high = 0;
  private scopes: string[] = [];
  private inbox: { payload: Uint8Array; round: number }[] = [];
  private waiters: { resolve: (m: Uint8Array) => void; reject: (e: Error) => void }[] = [];
  protected failure: Error | null = null;

  constructor(party: Party) {
    this.party = party;
  }

  /** Transport hook: deliver a stamped payload to the peer. */
  protected abstract transmit(payload: Uint8Array, round: number): void;

  startRun(): void {
    this.clock = this.high;
  }

  send(payload: Uint8Array): void {
    if (this.failure) throw this.failure;
    const round = this.clock + 1;
    this.count(payload.byteLength, 'sent', round);
    this.transmit(payload, round);
  }

  recv(): Promise<Uint8Array> {
    const next = this.inbox.shift();
    if (next) return Promise.resolve(this.accept(next));
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiters.length === 0) this.waitingChanged(true);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Transport hook: this party starts (true) or stops (false) waiting for the peer. */
  protected waitingChanged(_waiting: boolean): void {}

  async flush(): Promise<void> {}

  close(): void {
    this.end(new ChannelError('closed', 'channel closed'), new ChannelError('closed', `peer (${this.party}) closed the channel`));
  }

  abort(reason: string): void {
    this.end(new ChannelError('aborted', `session aborted: ${reason}`), new ChannelError('aborted', `peer (${this.party}) aborted the session: ${reason}`));
  }

  /** End this side with `local`; transports that reach the peer directly hand it `toPeer`. */
  protected end(local: ChannelError, _toPeer: ChannelError): void {
    this.fail(local);
  }

  /** Compute-only scopes (`computeScope`): they take compute attribution, never bytes or rounds. */
  private readonly computeScopes: string[] = [];

  /** The innermost open scope for compute attribution, if any (a compute-only scope wins). */
  protected get openScope(): string | undefined {
    return this.computeScopes[this.computeScopes.length - 1] ?? this.scopes[this.scopes.length - 1];
  }

  /**
   * A scope for compute attribution only (e.g. the HE key setup inside the first HE step's unit):
   * transports that charge compute by scope (SimChannel) book the work done inside it under
   * `label`; bytes and rounds stay with the enclosing `scope`.
   */
  computeScope(label: string): () => void {
    return pushScope(this.computeScopes, label);
  }

  scope(label: string): () => void {
    if (!this.byScope.has(label)) this.byScope.set(label, zeroCounters());
    return pushScope(this.scopes, label);
  }

  /** Transport side: a stamped message arrived from the peer. */
  protected deliver(payload: Uint8Array, round: number): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      if (this.waiters.length === 0) this.waitingChanged(false);
      waiter.resolve(this.accept({ payload, round }));
    } else this.inbox.push({ payload, round });
  }

  /** Transport side: the link failed; pending and future receives reject with `err`. */
  protected fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private accept(m: { payload: Uint8Array; round: number }): Uint8Array {
    this.count(m.payload.byteLength, 'recv', m.round);
    return m.payload;
  }

  private count(bytes: number, dir: 'sent' | 'recv', round: number): void {
    if (dir === 'recv') this.clock = Math.max(this.clock, round);
    const advance = Math.max(0, round - this.high);
    this.high += advance;
    const targets: Counters[] = [this.totals];
    const top = this.scopes[this.scopes.length - 1];
    if (top !== undefined) targets.push(this.byScope.get(top)!);
    for (const c of targets) {
      if (dir === 'sent') {
        c.bytesSent += bytes;
        c.messagesSent += 1;
      } else {
        c.bytesRecv += bytes;
        c.messagesRecv += 1;
      }
    }
    // Totals track the highest stamp; a scope gets the advance that happened inside it.
    this.totals.rounds = this.high;
    if (top !== undefined) this.byScope.get(top)!.rounds += advance;
  }
}

/** In-memory pair for both parties in one process (tests and `cipherprune run`). */
export class MemoryChannel extends CountingChannel {
  private peer: MemoryChannel | null = null;

  static pair(): [client: MemoryChannel, server: MemoryChannel] {
    const c = new MemoryChannel('client');
    const s = new MemoryChannel('server');
    c.peer = s;
    s.peer = c;
    return [c, s];
  }

  protected transmit(payload: Uint8Array, round: number): void {
    const peer = this.peer!;
    // Deliver on a microtask so a sender never re-enters the receiver synchronously.
    queueMicrotask(() => peer.deliver(payload, round));
  }

  protected override end(local: ChannelError, toPeer: ChannelError): void {
    super.end(local, toPeer);
    const peer = this.peer;
    if (peer) queueMicrotask(() => peer.fail(toPeer));
  }
}
