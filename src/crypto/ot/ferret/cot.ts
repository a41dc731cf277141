// Silent correlated OT: the Ferret backend (Yang, Weng, Lan, Zhang, Wang, CCS 2020), semi-honest,
// behind the CotSource interface. Design and costs: docs/ot.md, "Silent OT (Ferret)".
//
// Each direction keeps a pool of random COTs (sender: q_i with lsb 0; receiver: t_i = q_i ⊕ r_i·Δ
// whose lsb is its random bit r_i, lsb(Δ) = 1). Calls draw from the pool; refills follow the
// deterministic schedule of schedule.ts (SoftSpokenOT, softspoken.ts, on IKNP's base OTs
// bootstraps Ferret iterations, extend.ts). Random-choice COTs (sendRandom/recvRandom) send
// nothing; chosen bits b_i cost one bit each: the receiver sends d_i = b_i ⊕ r_i and the sender
// outputs q_i ⊕ d_i·Δ (Beaver's derandomisation), one message per chunk.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Channel, Party } from '../../../transport/channel.ts';
import { peerOf } from '../../../transport/channel.ts';
import { Tccr } from '../aes.ts';
import type { RandomBytes } from '../base-ot.ts';
import { checkChoices } from '../bits.ts';
import type { CotCost, CotDemand, CotSource, PoolReplay, RefillFlight, RefillMessage } from '../cot-source.ts';
import { DEFAULT_CHUNK, IknpCot } from '../iknp.ts';
import { SoftSpokenCot } from '../softspoken.ts';
import { ferretDomain, iterateReceiverStart, iterateSender } from './extend.ts';
import { Ggm } from '../ggm.ts';
import { checkParams } from './params.ts';
import { derandRecv, derandSend, ferretCost, lsbChoices } from './derand.ts';
import { BlockPool } from './pool.ts';
import { FerretSlice } from './slice.ts';
import { DEFAULT_SCHEDULE, pairedFlights, planPrefill, PoolState, refillMessages, topUpSteps, type FerretSchedule, type RefillStep } from './schedule.ts';

export { ferretCost };

export interface FerretOptions {
  /** COTs per derandomisation message (multiple of 32); both parties must agree. */
  chunk?: number;
  /** Randomness (default node:crypto). Seeded sources are for tests only. */
  random?: RandomBytes;
  /** Parameters and thresholds (default: the paper's, schedule.ts). Toy parameters are for tests only. */
  schedule?: FerretSchedule;
  /**
   * Before the first prefill, let a call that needs COTs refill at its start (`ensure`). Only
   * safe when both parties issue every call in the same order (OT tests, bench/ot); without it such
   * a call fails with a clear error instead of desynchronising (docs/ot.md, "When refills run").
   */
  inlineRefills?: boolean;
}

/** The two directions of a prefill, keyed by their COT sender. */
const DIRECTIONS: readonly Party[] = ['client', 'server'];

/** The refill schedule of both directions replayed on counts: what the cost model charges. */
export class FerretReplay implements PoolReplay {
  private readonly states: Record<Party, PoolState>;
  private readonly chunk: number;
  constructor(schedule: FerretSchedule = DEFAULT_SCHEDULE, chunk = DEFAULT_CHUNK) {
    this.states = { client: new PoolState(schedule), server: new PoolState(schedule) };
    this.chunk = chunk;
  }

  step(need: CotDemand): RefillFlight[] {
    const steps = planPrefill(this.states, need);
    for (const sender of DIRECTIONS) this.states[sender].take(need[sender]);
    return pairedFlights(steps, this.chunk);
  }

  /** After step(need): a top-up for the next step's `ahead` beside this one (FerretCot.topUp), or null. */
  topUp(ahead: CotDemand): RefillFlight[] | null {
    if (!topUpSteps(this.states, ahead, { client: 0, server: 0 })) return null;
    return pairedFlights(planPrefill(this.states, ahead), this.chunk);
  }

  draw(sender: Party, cots: number): RefillMessage[] {
    const st = this.states[sender];
    const msgs = refillMessages(st.refill(cots), this.chunk);
    st.take(cots);
    return msgs;
  }
}

interface Side {
  pool: BlockPool;
  state: PoolState;
  /** Tweak counter of the trees' COTs in this direction. */
  tweak: number;
  /** COTs drawn in all once the current step has drawn what its prefill foresaw. */
  mark: number;
}

export class FerretCot implements CotSource {
  readonly name = 'ferret';
  readonly party: Party;
  readonly chunk: number;
  readonly schedule: FerretSchedule;
  private readonly ch: Channel;
  private readonly random: RandomBytes;
  private readonly iknp: IknpCot;
  /** The bootstrap extension, on the IKNP instance's base OTs (same Δ). */
  private readonly soft: SoftSpokenCot;
  private readonly hash = new Tccr();
  private readonly ggm = new Ggm();
  private readonly asSender: Side;
  private readonly asReceiver: Side;
  /** Set by the first prefill: from then on the pools refill only between steps. */
  private managed = false;
  private readonly inlineRefills: boolean;
  /** What this party's refills have cost so far (bytes it sent, counted at the channel; wall seconds). */
  readonly refills = { bytesSent: 0, seconds: 0 };

  constructor(ch: Channel, opts: FerretOptions = {}) {
    this.ch = ch;
    this.party = ch.party;
    this.random = opts.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.schedule = opts.schedule ?? DEFAULT_SCHEDULE;
    this.inlineRefills = opts.inlineRefills ?? false;
    checkParams(this.schedule.setup);
    checkParams(this.schedule.main);
    this.iknp = new IknpCot(ch, { chunk: opts.chunk, random: this.random, deltaLsbOne: true });
    this.chunk = this.iknp.chunk;
    this.soft = new SoftSpokenCot(ch, { chunk: this.chunk, random: this.random }, this.iknp);
    const side = (): Side => ({ pool: new BlockPool(), state: new PoolState(this.schedule), tweak: 0, mark: 0 });
    this.asSender = side();
    this.asReceiver = side();
  }

  get delta(): Uint8Array {
    return this.iknp.delta;
  }

  /** COTs that left the pools (drawn, sliced to forks, or dropped by settle), as sender / receiver. */
  get poolDrawn(): { asSender: number; asReceiver: number } {
    return { asSender: this.asSender.state.drawn, asReceiver: this.asReceiver.state.drawn };
  }

  cost(n: number, random = false): CotCost {
    return ferretCost(n, this.chunk, random);
  }

  replay(): PoolReplay {
    return new FerretReplay(this.schedule, this.chunk);
  }

  /**
   * A fork for concurrent work without a share of the pools is a fork of the IKNP instance beneath
   * (its base OTs and Δ; 16 B per COT): no messages, no Ferret setup, exact and stateless costs.
   * The executor's concurrent members get a slice instead (`slice`; docs/ot.md, "Refills between
   * steps").
   */
  fork(ch: Channel, id: number): CotSource {
    return this.iknp.fork(ch, id);
  }

  /** Base OTs both ways (IKNP's setup, which SoftSpokenOT shares); the pools fill on demand. */
  setup(): Promise<void> {
    return this.iknp.setup();
  }

  async ensure(n: number, asSender: boolean): Promise<void> {
    const side = asSender ? this.asSender : this.asReceiver;
    if (this.managed && side.state.usable < n) {
      throw new Error(`internal: a step drew more COTs as ${asSender ? 'sender' : 'receiver'} than its cost functions foresaw (${n} wanted, ${side.state.usable} left)`);
    }
    if (!this.managed && !this.inlineRefills && side.state.usable < n) {
      // Refilling here would desynchronise the parties when they issue calls in different orders
      // (split calls, both directions' choosers in one flight): stop both sides cleanly instead.
      const why = `Ferret: a call needs ${n} COTs as ${asSender ? 'sender' : 'receiver'} and the pool holds ${side.state.usable}; an engine without a schedule refills only in prefill({ client, server }) on both parties (the COTs of the calls that follow, per COT sender), or inline when created with inlineRefills: true and both parties issue every call in the same order (docs/ot.md, "When refills run")`;
      this.ch.abort('Ferret: a call needed a pool refill outside prefill');
      throw new Error(why);
    }
    const steps = side.state.refill(n);
    if (steps.length) await this.counted(async () => { for (const step of steps) await this.run(step, side, asSender); });
  }

  private async counted(fn: () => Promise<void>): Promise<void> {
    const b0 = this.ch.totals.bytesSent, t0 = performance.now();
    await fn();
    this.refills.bytesSent += this.ch.totals.bytesSent - b0;
    this.refills.seconds += (performance.now() - t0) / 1000;
  }

  private sideOf(sender: Party): Side {
    return sender === this.party ? this.asSender : this.asReceiver;
  }

  /**
   * Both directions refill side by side (schedule.ts, pairedFlights): for each k, this party sends
   * its receiver messages of step k of the direction it receives in, serves the peer's as the
   * sender of step k of the other direction, then reads the reply to its own. The peer does the
   * same, so the two directions' messages share flights: 2 rounds per iteration pair, not 4.
   */
  async prefill(need: CotDemand): Promise<void> {
    this.managed = true;
    const plan = planPrefill(this.states(), need);
    if (plan.client.length + plan.server.length) await this.counted(() => this.runPaired(plan, this.ch));
    this.asSender.mark = this.asSender.state.drawn + need[this.party];
    this.asReceiver.mark = this.asReceiver.state.drawn + need[peerOf(this.party)];
  }

  /** Both directions' pool states, keyed by COT sender. */
  private states(): Record<Party, PoolState> {
    return { [this.party]: this.asSender.state, [peerOf(this.party)]: this.asReceiver.state } as Record<Party, PoolState>;
  }

  /** Step k of both directions side by side, for each k (prefill's order), on `ch`. */
  private async runPaired(plan: Record<Party, RefillStep[]>, ch: Channel): Promise<void> {
    const mine = plan[this.party], theirs = plan[peerOf(this.party)];
    for (let k = 0; k < Math.max(mine.length, theirs.length); k++) {
      const finish = theirs[k] ? await this.start(theirs[k], this.asReceiver, false, ch) : null;
      if (mine[k]) await (await this.start(mine[k], this.asSender, true, ch))();
      await finish?.();
    }
  }

  /**
   * Refills ahead of steps (docs/ot.md): whether, once `taken` has left the pools (the current
   * step's slices), a top-up for the next step's `ahead` would run iterations (no bootstrap).
   */
  topUpAhead(taken: CotDemand, ahead: CotDemand): boolean {
    return this.managed && topUpSteps(this.states(), ahead, taken) !== null;
  }

  /**
   * The top-up itself, on `ch` (a concurrent member's channel: it runs beside the current step),
   * after the current step's slices were taken; both parties call it at the same point. Bytes
   * are counted from the plan (a member's channel has no counters of its own).
   */
  async topUp(ch: Channel, ahead: CotDemand): Promise<void> {
    const plan = planPrefill(this.states(), ahead);
    if (plan.client.length + plan.server.length === 0 || [...plan.client, ...plan.server].some((st) => st.kind !== 'iterate')) {
      throw new Error('internal: a Ferret top-up must run iterations only (topUpAhead decides)');
    }
    const t0 = performance.now();
    await this.runPaired(plan, ch);
    this.refills.seconds += (performance.now() - t0) / 1000;
    this.refills.bytesSent += pairedFlights(plan, this.chunk).reduce((a, f) => a + (this.party === 'client' ? f.c2s : f.s2c), 0);
  }

  settle(): void {
    for (const side of [this.asSender, this.asReceiver]) {
      const extra = side.mark - side.state.drawn;
      if (extra <= 0) continue;
      side.state.take(extra);
      side.pool.skip(extra);
    }
  }

  slice(ch: Channel, need: CotDemand): CotSource {
    const take = (sender: Party) => {
      const side = this.sideOf(sender), n = need[sender];
      side.state.take(n);
      side.mark = side.state.drawn;
      return side.pool.take(n);
    };
    const mine = take(this.party), theirs = take(peerOf(this.party));
    return new FerretSlice(ch, this.delta, this.chunk, mine, theirs);
  }

  private async run(step: RefillStep, side: Side, asSender: boolean): Promise<void> {
    await (await this.start(step, side, asSender, this.ch))();
  }

  /**
   * One refill step up to its first reply: the receiver's half sends its messages and returns
   * the rest (reading the sender's reply); the sender's half returns a function that runs it all.
   */
  private async start(step: RefillStep, side: Side, asSender: boolean, ch: Channel): Promise<() => Promise<void>> {
    if (step.kind === 'softspoken') {
      let blocks: Uint8Array;
      if (asSender) {
        blocks = await this.soft.sendRandom(step.n);
        for (let o = 0; o < blocks.length; o += 16) blocks[o] &= 0xfe;
      } else {
        const r = await this.soft.recvRandom(step.n);
        blocks = r.blocks;
        for (let i = 0; i < step.n; i++) blocks[16 * i] = (blocks[16 * i] & 0xfe) | r.choices[i];
      }
      if (step.into === 'pool') side.pool.push(blocks);
      else side.pool.reserve = blocks;
      return async () => undefined;
    }
    const p = step.params, reserve = side.pool.reserve;
    if (!reserve) throw new Error('internal: Ferret iteration without input COTs');
    const sender = asSender ? this.party : peerOf(this.party);
    const ctx = { ch, hash: this.hash, ggm: this.ggm, random: this.random, tweakBase: side.tweak, domain: ferretDomain(sender === 'server') };
    side.tweak += p.t * p.h;
    const out = side.pool.iterationBuffer(p.n);
    const rest = asSender ? () => iterateSender(ctx, p, this.delta, reserve, out) : iterateReceiverStart(ctx, p, reserve, out);
    return async () => {
      await rest();
      side.pool.afterIteration(p.n, step.keep);
    };
  }

  private async draw(n: number, asSender: boolean): Promise<Uint8Array> {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`OT count must be a non-negative integer, got ${n}`);
    const side = asSender ? this.asSender : this.asReceiver;
    await this.ensure(n, asSender);
    side.state.take(n);
    return side.pool.take(n);
  }

  async send(n: number): Promise<Uint8Array> {
    return derandSend(this.ch, await this.draw(n, true), this.delta, this.chunk);
  }

  sendRandom(n: number): Promise<Uint8Array> {
    return this.draw(n, true);
  }

  async recv(choices: Uint8Array): Promise<Uint8Array> {
    checkChoices(choices);
    return derandRecv(this.ch, await this.draw(choices.length, false), choices, this.chunk);
  }

  async recvRandom(n: number): Promise<{ choices: Uint8Array; blocks: Uint8Array }> {
    const blocks = await this.draw(n, false);
    return { choices: lsbChoices(blocks), blocks };
  }
}
