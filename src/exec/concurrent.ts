// Several invocations run concurrently over one channel, in lockstep "supersteps" (the `otbatch`
// pass groups the steps of one communication depth; docs/schedule.md):
//
//   each invocation talks to a virtual channel; when every invocation is blocked on a receive or
//   done, each party sends, for each invocation in order, what it queued, followed by an empty
//   message; then it reads the peer's superstep the same way and hands every invocation its part.
//
// So one superstep is one round (both parties send without waiting), an invocation's k-th flight
// goes out in superstep k (its own round count, counted from the group's start), and the group
// takes as many rounds as its longest member: independent protocols overlap their rounds. The
// empty delimiters carry no payload bytes. Each invocation gets its own OT engine (a fork), since
// the order of two invocations' OT calls on one engine would depend on timing.
import type { Channel, Counters, Party } from '../transport/channel.ts';
import { ChannelError, zeroCounters } from '../transport/channel.ts';

const EMPTY = new Uint8Array(0);

type State = 'running' | 'waiting' | 'done';

/** An invocation's end of the group: sends queue for the next superstep, receives take its part. */
class VirtualChannel implements Channel {
  readonly party: Party;
  readonly totals: Counters = zeroCounters();
  readonly byScope = new Map<string, Counters>();
  outbox: Uint8Array[] = [];
  private inbox: Uint8Array[] = [];
  private waiter: { resolve: (m: Uint8Array) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly onState: (s: State) => void;

  constructor(party: Party, onState: (s: State) => void) {
    this.party = party;
    this.onState = onState;
  }

  send(payload: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (payload.length === 0) throw new Error('internal: a protocol sent an empty message (empty messages delimit supersteps)');
    this.outbox.push(payload);
  }

  recv(): Promise<Uint8Array> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.onState('waiting');
    });
  }

  deliver(m: Uint8Array): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      this.onState('running');
      w.resolve(m);
    } else this.inbox.push(m);
  }

  async flush(): Promise<void> {}

  close(): void {
    this.fail(new ChannelError('closed', 'concurrent step closed'));
  }

  /** A step's failure ends only the step: the executor aborts the session channel (executor.ts). */
  abort(reason: string): void {
    this.fail(new ChannelError('aborted', `concurrent step aborted: ${reason}`));
  }

  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
  }

  scope(): () => void {
    return () => {};
  }
}

/**
 * Run `run(i, channel)` for i < n concurrently over `base`, in supersteps. Both parties must call
 * it with the same n and invocations that pair with the peer's, in the same order.
 */
export async function runConcurrently<T>(base: Channel, n: number, run: (i: number, ch: Channel) => Promise<T>): Promise<T[]> {
  const states: State[] = new Array(n).fill('running');
  let wake: (() => void) | null = null;
  let failure: unknown = null;
  const settle = () => {
    if (!wake) return;
    if (failure !== null || states.every((s) => s !== 'running')) {
      const w = wake;
      wake = null;
      w();
    }
  };
  const chans = Array.from({ length: n }, (_, i) => new VirtualChannel(base.party, (s) => {
    states[i] = s;
    settle();
  }));
  const results: T[] = new Array(n);
  const done = chans.map((ch, i) =>
    run(i, ch).then(
      (r) => {
        results[i] = r;
        states[i] = 'done';
        settle();
      },
      (e) => {
        failure ??= e;
        settle();
      },
    ),
  );
  try {
    for (;;) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        settle();
      });
      if (failure !== null) throw failure;
      if (states.every((s) => s === 'done') && chans.every((c) => c.outbox.length === 0)) break;
      for (const c of chans) {
        for (const m of c.outbox) base.send(m);
        base.send(EMPTY);
        c.outbox = [];
      }
      for (const c of chans) {
        for (;;) {
          const m = await base.recv();
          if (m.length === 0) break;
          c.deliver(m);
        }
      }
    }
  } catch (e) {
    for (const c of chans) c.fail(e as Error);
    await Promise.allSettled(done);
    throw e;
  }
  await Promise.all(done);
  return results;
}
