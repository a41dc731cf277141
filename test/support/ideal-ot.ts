// ============================================================================================
//  TEST ONLY — INSECURE. An *ideal* OT functionality: no cryptography at all. Both parties must
//  live in one process; a shared in-memory dealer hands each receiver exactly what the ideal
//  functionality would. Use it to test protocols built on OT quickly. Never import it from src/.
// ============================================================================================
//
// Same interface (ObliviousTransfer) and same pairing rule as the real OtEngine. By default it
// also "charges" the channel: it sends zero-filled messages of exactly the sizes, directions and
// order the real engine sends with the IKNP backend (cost.ts plans; its cost model is IKNP's), so
// byte and round counts seen by upper layers match that engine's. Pass { chargeChannel: false } to
// skip that.
import type { Channel, Party } from '../../src/transport/channel.ts';
import { ChannelError } from '../../src/transport/channel.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { checkBits, checkChoices, maskMsgs, msgBytes, msgsToRing, ringToMsgs } from '../../src/crypto/ot/bits.ts';
import { makeOtCost, type MessagePlan, type OtCostModel } from '../../src/crypto/ot/cost.ts';
import { DEFAULT_CHUNK } from '../../src/crypto/ot/iknp.ts';
import type { NChoices, ObliviousTransfer } from '../../src/crypto/ot/types.ts';

type Deposit = { kind: string; data: Record<string, unknown> };

// Deposits are queued per direction and per depositor role, so calls pair in issue order within
// a direction (as in the real engine): `to:R` holds senders' deposits for receiver R; `from:R`
// holds receiver R's deposits for its sender (random OT, where the receiver never waits).
class Dealer {
  readonly queues = new Map<string, Deposit[]>();
  readonly waiters = new Map<string, ((d: Deposit) => void)[]>();
  readonly deltas = new Map<Party, Uint8Array>();

  put(key: string, d: Deposit): void {
    const w = this.waiters.get(key)?.shift();
    if (w) w(d);
    else this.queues.set(key, [...(this.queues.get(key) ?? []), d]);
  }

  take(key: string): Promise<Deposit> {
    const d = this.queues.get(key)?.shift();
    if (d) return Promise.resolve(d);
    return new Promise((resolve) => this.waiters.set(key, [...(this.waiters.get(key) ?? []), resolve]));
  }
}

export interface IdealOtOptions {
  /** Send zero-filled messages of the real engine's sizes (default true). */
  chargeChannel?: boolean;
  /** Chunk size whose message plan is mimicked (default: the engine's default). */
  chunk?: number;
  /** Seed for the dealer's randomness (default 1). */
  seed?: number;
}

/** TEST ONLY — INSECURE ideal OT. Create both parties with idealOtPairForTestsOnly(). */
export class InsecureIdealOtForTestsOnly implements ObliviousTransfer {
  readonly party: Party;
  readonly cost: OtCostModel;
  private readonly ch: Channel;
  private readonly dealer: Dealer;
  private readonly prg: Prg;
  private readonly charge: boolean;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly opts: IdealOtOptions;
  /** Dealer namespace: forks deal apart from their parent and from each other. */
  private readonly ns: string;

  constructor(ch: Channel, dealer: Dealer, prg: Prg, opts: IdealOtOptions, ns = '') {
    this.ch = ch;
    this.party = ch.party;
    this.dealer = dealer;
    this.prg = prg;
    this.opts = opts;
    this.ns = ns;
    this.charge = opts.chargeChannel ?? true;
    this.cost = makeOtCost(opts.chunk ?? DEFAULT_CHUNK);
  }

  fork(ch: Channel, id: number): InsecureIdealOtForTestsOnly {
    return new InsecureIdealOtForTestsOnly(ch, this.dealer, Prg.fromInt(id * 2 + (this.party === 'client' ? 0 : 1) + 1000), this.opts, `${this.ns}fork${id}/`);
  }

  async setup(): Promise<void> {
    if (!this.dealer.deltas.has(this.party)) this.dealer.deltas.set(this.party, this.prg.bytes(16));
  }

  get delta(): Uint8Array {
    const d = this.dealer.deltas.get(this.party);
    if (!d) throw new Error('ideal OT: call setup() first');
    return d;
  }

  private get peer(): Party {
    return this.party === 'client' ? 'server' : 'client';
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.lock.then(fn, fn);
    this.lock = p.catch(() => undefined);
    return p;
  }

  private async send(kind: string, data: Record<string, unknown>, plan: MessagePlan): Promise<void> {
    this.dealer.put(`${this.ns}to:${this.peer}`, { kind, data });
    if (!this.charge) return;
    for (let c = 0; c < plan.receiverToSender.length; c++) {
      const u = await this.ch.recv();
      if (u.length !== plan.receiverToSender[c]) throw new ChannelError('mismatch', `ideal OT (${kind}): calls out of step`);
      if (c < plan.senderToReceiver.length) this.ch.send(new Uint8Array(plan.senderToReceiver[c]));
    }
  }

  private async recv(kind: string, plan: MessagePlan): Promise<Record<string, unknown>> {
    return (await this.recvStart(kind, plan))();
  }

  /** The receiver's messages now; the returned function reads the replies and the deposit. */
  private async recvStart(kind: string, plan: MessagePlan): Promise<() => Promise<Record<string, unknown>>> {
    if (this.charge) for (const b of plan.receiverToSender) this.ch.send(new Uint8Array(b));
    return async () => {
      if (this.charge) {
        for (const b of plan.senderToReceiver) {
          if ((await this.ch.recv()).length !== b) throw new ChannelError('mismatch', `ideal OT (${kind}): calls out of step`);
        }
      }
      const d = await this.dealer.take(`${this.ns}to:${this.party}`);
      if (d.kind !== kind) throw new ChannelError('mismatch', `ideal OT: receiver called ${kind}, sender called ${d.kind}`);
      return d.data;
    };
  }

  cotSend(n: number): Promise<Uint8Array> {
    return this.exclusive(async () => {
      const q = this.prg.bytes(16 * n);
      await this.send('cot', { q, delta: this.delta }, this.cost.plan.cot(n));
      return q;
    });
  }

  cotRecv(choices: Uint8Array): Promise<Uint8Array> {
    checkChoices(choices);
    return this.exclusive(async () => {
      const { q, delta } = (await this.recv('cot', this.cost.plan.cot(choices.length))) as { q: Uint8Array; delta: Uint8Array };
      if (q.length !== 16 * choices.length) throw new ChannelError('mismatch', 'ideal OT: different n on the two sides');
      const t = q.slice();
      for (let i = 0; i < choices.length; i++) if (choices[i]) for (let k = 0; k < 16; k++) t[16 * i + k] ^= delta[k];
      return t;
    });
  }

  rcotSend(n: number): Promise<Uint8Array> {
    return this.exclusive(async () => {
      const q = this.prg.bytes(16 * n);
      await this.send('cot', { q, delta: this.delta }, this.cost.plan.rcot(n));
      return q;
    });
  }

  rcotRecv(n: number): Promise<{ choices: Uint8Array; blocks: Uint8Array }> {
    const choices = this.prg.bytes(n).map((b) => b & 1);
    return this.exclusive(async () => {
      const { q, delta } = (await this.recv('cot', this.cost.plan.rcot(n))) as { q: Uint8Array; delta: Uint8Array };
      if (q.length !== 16 * n) throw new ChannelError('mismatch', 'ideal OT: different n on the two sides');
      const t = q.slice();
      for (let i = 0; i < n; i++) if (choices[i]) for (let k = 0; k < 16; k++) t[16 * i + k] ^= delta[k];
      return { choices, blocks: t };
    });
  }

  acotSend(ell: number, corr: RingArray): Promise<RingArray> {
    return this.exclusive(async () => {
      const x = msgsToRing(this.prg.bytes(corr.length * msgBytes(ell)), corr.length, ell);
      await this.send('acot', { x, corr, ell }, this.cost.plan.fcot(corr.length, ell));
      return x;
    });
  }

  acotRecv(ell: number, choices: Uint8Array): Promise<RingArray> {
    checkChoices(choices);
    return this.exclusive(async () => {
      const d = (await this.recv('acot', this.cost.plan.fcot(choices.length, ell))) as { x: RingArray; corr: RingArray };
      const out = d.x.slice() as RingArray;
      if (out instanceof Uint32Array) {
        const c = d.corr as Uint32Array;
        for (let i = 0; i < out.length; i++) if (choices[i]) out[i] = out[i] + c[i];
      } else {
        const c = d.corr as BigUint64Array;
        for (let i = 0; i < out.length; i++) if (choices[i]) out[i] = out[i] + c[i];
      }
      return msgsToRing(ringToMsgs(out, ell), out.length, ell);
    });
  }

  fcotSend(n: number, bits: number, f: (x: Uint8Array, from: number) => Uint8Array): Promise<Uint8Array> {
    checkBits(bits);
    return this.exclusive(async () => {
      const s = msgBytes(bits);
      const x = maskMsgs(this.prg.bytes(n * s), bits);
      const m1 = new Uint8Array(n * s);
      for (let from = 0; from < n; from += this.cost.chunk) {
        const m = Math.min(this.cost.chunk, n - from);
        m1.set(maskMsgs(f(x.subarray(from * s, (from + m) * s), from).slice(), bits), from * s);
      }
      await this.send('fcot', { m0: x, m1 }, this.cost.plan.fcot(n, bits));
      return x;
    });
  }

  fcotRecv(choices: Uint8Array, bits: number): Promise<Uint8Array> {
    return this.pick('fcot', choices, bits, this.cost.plan.fcot(choices.length, bits));
  }

  // Random OT is dealt by the receiver (as in the real engine, its call sends and returns without
  // waiting for the sender); the sender takes the pair when it gets there.
  rotSend(n: number, bits: number): Promise<{ m0: Uint8Array; m1: Uint8Array }> {
    checkBits(bits);
    return this.exclusive(async () => {
      if (this.charge) {
        for (const b of this.cost.plan.cot(n).receiverToSender) {
          if ((await this.ch.recv()).length !== b) throw new ChannelError('mismatch', 'ideal OT (rot): calls out of step');
        }
      }
      const d = await this.dealer.take(`${this.ns}from:${this.peer}`);
      const { m0, m1 } = d.data as { m0: Uint8Array; m1: Uint8Array };
      if (d.kind !== 'rot' || m0.length !== n * msgBytes(bits)) throw new ChannelError('mismatch', `ideal OT: rotSend paired with ${d.kind} of another size`);
      return { m0, m1 };
    });
  }

  rotRecv(choices: Uint8Array, bits: number): Promise<Uint8Array> {
    checkBits(bits);
    checkChoices(choices);
    return this.exclusive(async () => {
      const s = msgBytes(bits), n = choices.length;
      const m0 = maskMsgs(this.prg.bytes(n * s), bits), m1 = maskMsgs(this.prg.bytes(n * s), bits);
      this.dealer.put(`${this.ns}from:${this.party}`, { kind: 'rot', data: { m0, m1 } });
      if (this.charge) for (const b of this.cost.plan.cot(n).receiverToSender) this.ch.send(new Uint8Array(b));
      const out = new Uint8Array(n * s);
      for (let i = 0; i < n; i++) out.set((choices[i] ? m1 : m0).subarray(i * s, (i + 1) * s), i * s);
      return out;
    });
  }

  // Random OT with random receiver bits: dealt by the receiver like rotRecv, charged as rcot.
  rrotSend(n: number, bits: number): Promise<{ m0: Uint8Array; m1: Uint8Array }> {
    checkBits(bits);
    return this.exclusive(async () => {
      if (this.charge) {
        for (const b of this.cost.plan.rcot(n).receiverToSender) {
          if ((await this.ch.recv()).length !== b) throw new ChannelError('mismatch', 'ideal OT (rrot): calls out of step');
        }
      }
      const d = await this.dealer.take(`${this.ns}from:${this.peer}`);
      const { m0, m1 } = d.data as { m0: Uint8Array; m1: Uint8Array };
      if (d.kind !== 'rrot' || m0.length !== n * msgBytes(bits)) throw new ChannelError('mismatch', `ideal OT: rrotSend paired with ${d.kind} of another size`);
      return { m0, m1 };
    });
  }

  rrotRecv(n: number, bits: number): Promise<{ choices: Uint8Array; pads: Uint8Array }> {
    checkBits(bits);
    return this.exclusive(async () => {
      const s = msgBytes(bits), choices = this.prg.bytes(n).map((b) => b & 1);
      const m0 = maskMsgs(this.prg.bytes(n * s), bits), m1 = maskMsgs(this.prg.bytes(n * s), bits);
      this.dealer.put(`${this.ns}from:${this.party}`, { kind: 'rrot', data: { m0, m1 } });
      if (this.charge) for (const b of this.cost.plan.rcot(n).receiverToSender) this.ch.send(new Uint8Array(b));
      const pads = new Uint8Array(n * s);
      for (let i = 0; i < n; i++) pads.set((choices[i] ? m1 : m0).subarray(i * s, (i + 1) * s), i * s);
      return { choices, pads };
    });
  }

  otSend(m0: Uint8Array, m1: Uint8Array, bits: number): Promise<void> {
    checkBits(bits);
    const n = m0.length / msgBytes(bits);
    return this.exclusive(() => this.send('ot', { m0: maskMsgs(m0.slice(), bits), m1: maskMsgs(m1.slice(), bits) }, this.cost.plan.ot(n, bits)));
  }

  otRecv(choices: Uint8Array, bits: number): Promise<Uint8Array> {
    return this.pick('ot', choices, bits, this.cost.plan.ot(choices.length, bits));
  }

  otNSend(msgs: Uint8Array, N: number, bits: number): Promise<void> {
    checkBits(bits);
    const n = msgs.length / (N * msgBytes(bits));
    return this.exclusive(() => this.send('otN', { msgs: maskMsgs(msgs.slice(), bits), N }, this.cost.plan.otN(n, N, bits)));
  }

  otNRecv(choices: NChoices, N: number, bits: number): Promise<Uint8Array> {
    return this.exclusive(async () => (await this.otNStart(choices, N, bits))());
  }

  otNRecvStart(choices: NChoices, N: number, bits: number): Promise<() => Promise<Uint8Array>> {
    return this.exclusive(async () => {
      const finish = await this.otNStart(choices, N, bits);
      return () => this.exclusive(finish);
    });
  }

  private async otNStart(choices: NChoices, N: number, bits: number): Promise<() => Promise<Uint8Array>> {
    checkBits(bits);
    const reply = await this.recvStart('otN', this.cost.plan.otN(choices.length, N, bits));
    return async () => {
      const d = (await reply()) as { msgs: Uint8Array; N: number };
      if (d.N !== N) throw new ChannelError('mismatch', `ideal OT: N differs (${d.N} vs ${N})`);
      const s = msgBytes(bits);
      const out = new Uint8Array(choices.length * s);
      for (let i = 0; i < choices.length; i++) {
        if (choices[i] >= N) throw new RangeError(`otNRecv: choice ${i} is ${choices[i]}, must be < ${N}`);
        out.set(d.msgs.subarray((i * N + choices[i]) * s, (i * N + choices[i] + 1) * s), i * s);
      }
      return out;
    };
  }

  private pick(kind: string, choices: Uint8Array, bits: number, plan: MessagePlan): Promise<Uint8Array> {
    checkBits(bits);
    checkChoices(choices);
    return this.exclusive(async () => {
      const { m0, m1 } = (await this.recv(kind, plan)) as { m0: Uint8Array; m1: Uint8Array };
      const s = msgBytes(bits);
      if (m0.length !== choices.length * s) throw new ChannelError('mismatch', `ideal OT (${kind}): different n or bits on the two sides`);
      const out = new Uint8Array(choices.length * s);
      for (let i = 0; i < choices.length; i++) out.set((choices[i] ? m1 : m0).subarray(i * s, (i + 1) * s), i * s);
      return out;
    });
  }
}

/** TEST ONLY — INSECURE: an ideal OT for both parties of an in-process channel pair. */
export function idealOtPairForTestsOnly(
  client: Channel,
  server: Channel,
  opts: IdealOtOptions = {},
): [InsecureIdealOtForTestsOnly, InsecureIdealOtForTestsOnly] {
  const dealer = new Dealer();
  const seed = opts.seed ?? 1;
  return [
    new InsecureIdealOtForTestsOnly(client, dealer, Prg.fromInt(2 * seed), opts),
    new InsecureIdealOtForTestsOnly(server, dealer, Prg.fromInt(2 * seed + 1), opts),
  ];
}
