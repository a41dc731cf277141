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
//
// An invocation may itself run exchanges side by side (recip's clamp and B2A: `Promise.all` of
// two send-then-receive calls), so a virtual channel keeps a queue of pending receives, served in
// call order like the session channel's. "Blocked" is judged once the microtask queue has
// drained (a setImmediate turn after the last receive or completion): an invocation is blocked
// when it has a pending receive, since every other flow it runs only waits on microtasks (the
// OT engine's yields to the event loop happen in a flow with no receive pending). Judged earlier,
// a side-by-side flow that had not yet sent would miss its superstep: one round more than
// predicted, and on the peer a receive served out of order.
import type { Channel, Counters, Party } from '../transport/channel.ts';
import { ChannelError, zeroCounters } from '../transport/channel.ts';

const EMPTY = new Uint8Array(0);

/** An invocation's end of the group: sends queue for the next superstep, receives take its part. */
class VirtualChannel implements Channel {
  readonly party: Party;
  readonly totals: Counters = zeroCounters();
  readonly byScope = new Map<string, Counters>();
  outbox: Uint8Array[] = [];
  private inbox: Uint8Array[] = [];
  private waiters: { resolve: (m: Uint8Array) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;
  private readonly onBlock: () => void;

  constructor(party: Party, onBlock: () => void) {
    this.party = party;
    this.onBlock = onBlock;
  }

  /** A receive is pending (the invocation waits for the peer). */
  get waiting(): boolean {
    return this.waiters.length > 0;
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
      this.waiters.push({ resolve, reject });
      this.onBlock();
    });
  }

  deliver(m: Uint8Array): void {
    const w = this.waiters.shift();
    if (w) w.resolve(m);
    else this.inbox.push(m);
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
    for (const w of this.waiters.splice(0)) w.reject(err);
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
  const done: boolean[] = new Array(n).fill(false);
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const chans = Array.from({ length: n }, () => new VirtualChannel(base.party, poke));
  const blocked = () => chans.every((c, i) => done[i] || c.waiting);
  /** Until every invocation is done or waits for the peer, with no microtask left to run. */
  const quiescent = async () => {
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      if (failure !== null || blocked()) return;
      await new Promise<void>((r) => (wake = r));
    }
  };
  const results: T[] = new Array(n);
  const running = chans.map((ch, i) =>
    run(i, ch).then(
      (r) => {
        results[i] = r;
        done[i] = true;
        poke();
      },
      (e) => {
        failure ??= e;
        poke();
      },
    ),
  );
  try {
    for (;;) {
      await quiescent();
      if (failure !== null) throw failure;
      if (done.every(Boolean) && chans.every((c) => c.outbox.length === 0)) break;
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
    await Promise.allSettled(running);
    throw e;
  }
  await Promise.all(running);
  return results;
}
