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
import { ChannelError, peerOf } from '../../../transport/channel.ts';
import { Tccr } from '../aes.ts';
import type { RandomBytes } from '../base-ot.ts';
import { checkChoices, words } from '../bits.ts';
import type { CotCost, CotSource, PoolReplay, RefillMessage } from '../cot-source.ts';
import { DEFAULT_CHUNK, IknpCot } from '../iknp.ts';
import { ferretDomain, iterateReceiver, iterateSender } from './extend.ts';
import { Ggm } from './ggm.ts';
import { checkParams } from './params.ts';
import { BlockPool } from './pool.ts';
import { DEFAULT_SCHEDULE, PoolState, refillMessages, type FerretSchedule, type RefillStep } from './schedule.ts';

export interface FerretOptions {
  /** COTs per derandomisation message (multiple of 32); both parties must agree. */
  chunk?: number;
  /** Randomness (default node:crypto). Seeded sources are for tests only. */
  random?: RandomBytes;
  /** Parameters and thresholds (default: the paper's, schedule.ts). Toy parameters are for tests only. */
  schedule?: FerretSchedule;
}

/** Wire cost of one call of n COTs (refills apart): chosen bits, one message of ⌈m/8⌉ bytes per chunk. */
export function ferretCost(n: number, chunk: number, random = false): CotCost {
  const full = Math.floor(n / chunk), rest = n % chunk;
  const messages = random ? 0 : full + (rest > 0 ? 1 : 0);
  return {
    bytesSenderToReceiver: 0,
    bytesReceiverToSender: random ? 0 : full * Math.ceil(chunk / 8) + Math.ceil(rest / 8),
    messagesSenderToReceiver: 0,
    messagesReceiverToSender: messages,
    rounds: messages > 0 ? 1 : 0,
  };
}

/** The refill schedule of both directions replayed on counts: what the cost model charges. */
export class FerretReplay implements PoolReplay {
  private readonly states: Record<Party, PoolState>;
  private readonly chunk: number;
  constructor(schedule: FerretSchedule = DEFAULT_SCHEDULE, chunk = DEFAULT_CHUNK) {
    this.states = { client: new PoolState(schedule), server: new PoolState(schedule) };
    this.chunk = chunk;
  }

  draw(sender: Party, cots: number): RefillMessage[] {
    const st = this.states[sender];
    const steps = st.refill(cots);
    st.take(cots);
    return refillMessages(steps, this.chunk);
  }
}

interface Side {
  pool: BlockPool;
  state: PoolState;
  /** Tweak counter of the trees' COTs in this direction. */
  tweak: number;
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

  constructor(ch: Channel, opts: FerretOptions = {}) {
    this.ch = ch;
    this.party = ch.party;
    this.random = opts.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.schedule = opts.schedule ?? DEFAULT_SCHEDULE;
    checkParams(this.schedule.setup);
    checkParams(this.schedule.main);
    this.iknp = new IknpCot(ch, { chunk: opts.chunk, random: this.random, deltaLsbOne: true });
    this.chunk = this.iknp.chunk;
    const side = (): Side => ({ pool: new BlockPool(), state: new PoolState(this.schedule), tweak: 0 });
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
   * A fork for concurrent work (src/exec/concurrent.ts) is a fork of the IKNP bootstrap: no
   * messages, no Ferret setup per group, exact and stateless costs (docs/ot.md, "Forks").
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
    for (const step of side.state.refill(n)) await this.run(step, side, asSender);
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
    const q = await this.draw(n, true);
    const qw = words(q), dw = words(this.delta);
    for (let from = 0; from < n; from += this.chunk) {
      const m = Math.min(this.chunk, n - from);
      const d = await this.ch.recv();
      if (d.length !== Math.ceil(m / 8)) {
        throw new ChannelError('mismatch', `Ferret: expected ${Math.ceil(m / 8)} bytes of choice corrections for ${m} COTs, got ${d.length} (calls out of step, or different chunk sizes)`);
      }
      for (let i = 0; i < m; i++) {
        if ((d[i >>> 3] >>> (i & 7)) & 1) {
          const o = 4 * (from + i);
          qw[o] ^= dw[0];
          qw[o + 1] ^= dw[1];
          qw[o + 2] ^= dw[2];
          qw[o + 3] ^= dw[3];
        }
      }
    }
    return q;
  }

  sendRandom(n: number): Promise<Uint8Array> {
    return this.draw(n, true);
  }

  async recv(choices: Uint8Array): Promise<Uint8Array> {
    checkChoices(choices);
    const n = choices.length;
    const t = await this.draw(n, false);
    for (let from = 0; from < n; from += this.chunk) {
      const m = Math.min(this.chunk, n - from);
      const d = new Uint8Array(Math.ceil(m / 8));
      for (let i = 0; i < m; i++) d[i >>> 3] |= (choices[from + i] ^ (t[16 * (from + i)] & 1)) << (i & 7);
      this.ch.send(d);
    }
    return t;
  }

  async recvRandom(n: number): Promise<{ choices: Uint8Array; blocks: Uint8Array }> {
    const blocks = await this.draw(n, false);
    const choices = new Uint8Array(n);
    for (let i = 0; i < n; i++) choices[i] = blocks[16 * i] & 1;
    return { choices, blocks };
  }
}
