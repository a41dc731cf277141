// A side flow: a protocol that runs beside another one, its messages riding the other's rounds.
//
// A comparison spends five rounds (Ferret; four with IKNP) before its bits exist, and the work
// of recip/rsqrt (and anything else that does not need those bits) can go on meanwhile. The side
// flow runs ordinary protocol code (products, truncations, polynomial steps on choosers prepared
// ahead) on a ctx whose channel only queues: when the flow waits for the peer, its host sends the
// queued message next to its own and, after receiving its own, hands the flow the peer's (the
// same order on both parties, so the FIFO channel serves each receive its message). A flow never
// calls the OT engine (everything it uses is prepared in the host's first flight), and each of its
// rounds is one exchange in which both parties send one message: checked, since the peer's queue
// must match this party's receives. Steps the host has no round for run alone afterwards (`rest`).
//
// Cost: the flow's exchanges, replayed on their own builder (`sideFlights`), are merged into the
// host's exchanges in the same order (compare.ts `millionairesCost`), the rest appended.
//
// Exact mode (ProtoCtx.exact): an exact truncation calls the OT engine (its millionaires' and
// B2A), which a flow may not, so the flow runs after its host, on the host's ctx (`rest`), and
// its cost steps are replayed there (`sideRest`): the same messages, fewer rounds overlapped.
import type { Channel } from '../../transport/channel.ts';
import type { ObliviousTransfer } from '../ot/types.ts';
import { costOf, type CostBuilder, type CostFlight, type ProtoCtx } from './context.ts';
import type { Chooser } from './ot-ops.ts';

const noOt = new Proxy({}, { get: () => { throw new Error('internal: a side flow may not call the OT engine (prepare its OTs in the host\'s first flight)'); } }) as ObliviousTransfer;

export class SideFlow<T> {
  private readonly host: ProtoCtx;
  private readonly run: (ctx: ProtoCtx, ch: Chooser[]) => Promise<T>;
  /** Exact mode: the choosers, kept until `rest` runs the flow on the host. */
  private deferred: Chooser[] | null = null;
  private outbox: Uint8Array[] = [];
  private waiter: ((m: Uint8Array) => void) | null = null;
  private wake: (() => void) | null = null;
  private result: Promise<T> | null = null;
  private done = false;
  private failure: unknown = null;

  constructor(host: ProtoCtx, run: (ctx: ProtoCtx, ch: Chooser[]) => Promise<T>) {
    this.host = host;
    this.run = run;
  }

  /** Start the flow on the choosers the host prepared for it. */
  begin(ch: Chooser[]): void {
    if (this.result || this.deferred) throw new Error('internal: side flow started twice');
    if (this.host.exact) {
      this.deferred = ch;
      return;
    }
    const self = this;
    const channel: Channel = {
      party: this.host.party,
      send: (m: Uint8Array) => void self.outbox.push(m),
      recv: () => new Promise<Uint8Array>((resolve, reject) => {
        if (self.waiter) return reject(new Error('internal: a side flow waits for two messages at once'));
        self.waiter = resolve;
        self.signal();
      }),
      flush: async () => {},
      close: () => {},
      abort: () => {},
      get totals() { return self.host.ch.totals; },
      scope: () => () => {},
      get byScope() { return self.host.ch.byScope; },
    };
    const ctx: ProtoCtx = { party: this.host.party, ch: channel, ot: noOt, prg: this.host.prg, exact: this.host.exact };
    this.result = this.run(ctx, ch).then(
      (v) => { this.done = true; this.signal(); return v; },
      (e) => { this.done = true; this.failure = e; this.signal(); throw e; },
    );
    this.result.catch(() => {});
  }

  private signal(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Resolves once the flow waits for the peer or has finished. */
  private async blocked(): Promise<void> {
    while (!this.done && !this.waiter) await new Promise<void>((r) => (this.wake = r));
    if (this.failure) throw this.failure;
  }

  /**
   * This round of the flow: sends its message on the host's channel and returns the function
   * that receives the peer's (call it where the peer's message is next in order), or null once
   * the flow has finished.
   */
  async send(): Promise<(() => Promise<void>) | null> {
    if (this.deferred) return null;
    if (!this.result) throw new Error('internal: side flow used before begin()');
    await this.blocked();
    if (this.done) {
      if (this.outbox.length) throw new Error('internal: a side flow ended with a message it did not exchange');
      return null;
    }
    if (this.outbox.length !== 1) throw new Error(`internal: a side flow round sends one message, not ${this.outbox.length}`);
    this.host.ch.send(this.outbox.shift()!);
    return async () => {
      const m = await this.host.ch.recv(), w = this.waiter!;
      this.waiter = null;
      w(m);
    };
  }

  /** The flow's remaining rounds on their own, then its result. */
  async rest(): Promise<T> {
    if (this.deferred) return this.run(this.host, this.deferred);
    for (let r = await this.send(); r; r = await this.send()) await r();
    return this.result!;
  }
}

/** The flights of a side flow's cost steps (each an exchange in which both parties send). */
export function sideFlights(b: CostBuilder, steps: (b: CostBuilder) => void): SideCost {
  if (b.exact) return Object.assign([], { after: steps });
  const f = costOf(steps, b.ot).flights ?? [];
  for (const x of f) if (x.from !== 'both') throw new Error('internal: a side flow\'s round must be an exchange of both parties');
  return f;
}

/** A side flow's flights; in exact mode none, and `after`: its steps, replayed after the host's. */
export type SideCost = CostFlight[] & { after?: (b: CostBuilder) => void };

/** The side flow's rounds from `from` on (those its host has no round for), after the host's. */
export function sideRest(b: CostBuilder, side: SideCost | undefined, from: number): void {
  for (const f of (side ?? []).slice(from)) b.exchange(f.c2s, f.s2c);
  side?.after?.(b);
}

/** Merge side round `i` (if any) into the host's next exchange. */
export function withSide(b: CostBuilder, side: CostFlight[] | undefined, i: number, host: () => void): void {
  const f = side?.[i];
  if (!f) return host();
  b.together(() => {
    host();
    b.exchange(f.c2s, f.s2c);
  });
}
