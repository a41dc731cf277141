// Silent correlated OT: the Ferret backend (Yang, Weng, Lan, Zhang, Wang, CCS 2020), semi-honest,
// behind the CotSource interface. Design and costs: docs/ot.md, "Silent OT (Ferret)".
//
// Each direction keeps a pool of random COTs (sender: q_i with lsb 0; receiver: t_i = q_i ⊕ r_i·Δ
// whose lsb is its random bit r_i, lsb(Δ) = 1). Calls draw from the pool; refills follow the
// deterministic schedule of schedule.ts (IKNP for a direction's first 2^16 COTs, then IKNP
// bootstraps Ferret iterations, extend.ts). Random-choice COTs (sendRandom/recvRandom) send
// nothing; chosen bits b_i cost one bit each: the receiver sends d_i = b_i ⊕ r_i and the sender
// outputs q_i ⊕ d_i·Δ (Beaver's derandomisation), one message per chunk.
import { randomBytes } from 'node:crypto';
import type { Channel, Party } from '../../../transport/channel.ts';
import { peerOf } from '../../../transport/channel.ts';
import { Tccr } from '../aes.ts';
import type { RandomBytes } from '../base-ot.ts';
import { checkChoices } from '../bits.ts';
import type { CotCost, CotDemand, CotSource, DirectedRefill, PoolReplay, RefillMessage } from '../cot-source.ts';
import { DEFAULT_CHUNK, IknpCot } from '../iknp.ts';
import { ferretDomain, iterateReceiver, iterateSender } from './extend.ts';
import { Ggm } from './ggm.ts';
import { checkParams } from './params.ts';
import { derandRecv, derandSend, ferretCost, lsbChoices } from './derand.ts';
import { BlockPool } from './pool.ts';
import { FerretSlice } from './slice.ts';
import { DEFAULT_SCHEDULE, PoolState, refillMessages, type FerretSchedule, type RefillStep } from './schedule.ts';

export { ferretCost };

export interface FerretOptions {
  /** COTs per derandomisation message (multiple of 32); both parties must agree. */
  chunk?: number;
  /** Randomness (default node:crypto). Seeded sources are for tests only. */
  random?: RandomBytes;
  /** Parameters and thresholds (default: the paper's, schedule.ts). Toy parameters are for tests only. */
  schedule?: FerretSchedule;
}

/** Both directions of a prefill, in the order both parties run them: the client's COTs first. */
const DIRECTIONS: readonly Party[] = ['client', 'server'];

/** The refill schedule of both directions replayed on counts: what the cost model charges. */
export class FerretReplay implements PoolReplay {
  private readonly states: Record<Party, PoolState>;
  private readonly chunk: number;
  constructor(schedule: FerretSchedule = DEFAULT_SCHEDULE, chunk = DEFAULT_CHUNK) {
    this.states = { client: new PoolState(schedule), server: new PoolState(schedule) };
    this.chunk = chunk;
  }

  step(need: CotDemand): DirectedRefill[] {
    return DIRECTIONS.flatMap((sender) => this.draw(sender, need[sender]).map((m) => ({ sender, ...m })));
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
  private readonly hash = new Tccr();
  private readonly ggm = new Ggm();
  private readonly asSender: Side;
  private readonly asReceiver: Side;
  /** Set by the first prefill: from then on the pools refill only between steps. */
  private managed = false;

  constructor(ch: Channel, opts: FerretOptions = {}) {
    this.ch = ch;
    this.party = ch.party;
    this.random = opts.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.schedule = opts.schedule ?? DEFAULT_SCHEDULE;
    checkParams(this.schedule.setup);
    checkParams(this.schedule.main);
    this.iknp = new IknpCot(ch, { chunk: opts.chunk, random: this.random, deltaLsbOne: true });
    this.chunk = this.iknp.chunk;
    const side = (): Side => ({ pool: new BlockPool(), state: new PoolState(this.schedule), tweak: 0, mark: 0 });
    this.asSender = side();
    this.asReceiver = side();
  }

  get delta(): Uint8Array {
    return this.iknp.delta;
  }

  cost(n: number, random = false): CotCost {
    return ferretCost(n, this.chunk, random);
  }

  replay(): PoolReplay {
    return new FerretReplay(this.schedule, this.chunk);
  }

  /**
   * A fork for concurrent work without a share of the pools is a fork of the IKNP bootstrap: no
   * messages, no Ferret setup, exact and stateless costs. The executor's concurrent members get a
   * slice instead (`slice`; docs/ot.md, "Refills between steps").
   */
  fork(ch: Channel, id: number): CotSource {
    return this.iknp.fork(ch, id);
  }

  /** Base OTs both ways (IKNP's setup); the pools fill on demand. */
  setup(): Promise<void> {
    return this.iknp.setup();
  }

  async ensure(n: number, asSender: boolean): Promise<void> {
    const side = asSender ? this.asSender : this.asReceiver;
    if (this.managed && side.state.usable < n) {
      throw new Error(`internal: a step drew more COTs as ${asSender ? 'sender' : 'receiver'} than its cost functions foresaw (${n} wanted, ${side.state.usable} left)`);
    }
    for (const step of side.state.refill(n)) await this.run(step, side, asSender);
  }

  private sideOf(sender: Party): Side {
    return sender === this.party ? this.asSender : this.asReceiver;
  }

  async prefill(need: CotDemand): Promise<void> {
    this.managed = true;
    for (const sender of DIRECTIONS) {
      const side = this.sideOf(sender);
      for (const step of side.state.refill(need[sender])) await this.run(step, side, sender === this.party);
      side.mark = side.state.drawn + need[sender];
    }
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
    if (step.kind === 'iknp') {
      let blocks: Uint8Array;
      if (asSender) {
        blocks = await this.iknp.send(step.n);
        for (let o = 0; o < blocks.length; o += 16) blocks[o] &= 0xfe;
      } else {
        const r = await this.iknp.recvRandom(step.n);
        blocks = r.blocks;
        for (let i = 0; i < step.n; i++) blocks[16 * i] = (blocks[16 * i] & 0xfe) | r.choices[i];
      }
      if (step.into === 'pool') side.pool.push(blocks);
      else side.pool.reserve = blocks;
      return;
    }
    const p = step.params, reserve = side.pool.reserve;
    if (!reserve) throw new Error('internal: Ferret iteration without input COTs');
    const sender = asSender ? this.party : peerOf(this.party);
    const ctx = { ch: this.ch, hash: this.hash, ggm: this.ggm, random: this.random, tweakBase: side.tweak, domain: ferretDomain(sender === 'server') };
    side.tweak += p.t * p.h;
    const out = side.pool.iterationBuffer(p.n);
    if (asSender) await iterateSender(ctx, p, this.delta, reserve, out);
    else await iterateReceiver(ctx, p, reserve, out);
    side.pool.afterIteration(p.n, step.keep);
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
