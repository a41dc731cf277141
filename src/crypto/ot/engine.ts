// OtEngine: every OT flavour over one CotSource (IKNP or Ferret, backends.ts) on one Channel, both
// directions.
//
// From COTs q_i / t_i = q_i ⊕ b_i·Δ (IKNP, cot-source.ts) and the TCCR hash H (aes.ts):
// - random OT: m0_i = H(q_i, i), m1_i = H(q_i ⊕ Δ, i); the receiver gets H(t_i, i) (IKNP §3).
// - chosen-message OT: the sender also sends y_b = m_b ⊕ H(q_i ⊕ b·Δ, i), b = 0, 1.
// - correlated OT with a correlation function (Asharov–Lindell–Schneider–Zohner, CCS 2013):
//   x_i = H(q_i, i) and y_i = f(x)_i ⊕ H(q_i ⊕ Δ, i); arithmetic COT is f(x)_i = x_i + c_i mod 2^ell.
// - 1-of-N: one-of-n.ts; the other flavours: flavours.ts.
// Tweaks i are a per-direction COT counter, so no two hashes in a session share one.
import { randomBytes } from 'node:crypto';
import type { Channel, Party } from '../../transport/channel.ts';
import type { RingArray } from '../ring.ts';
import { Tccr } from './aes.ts';
import type { RandomBytes } from './base-ot.ts';
import { checkBits, checkChoices, msgBytes, msgsToRing, ringToMsgs } from './bits.ts';
import { DEFAULT_OT_BACKEND, makeCotSource, type OtChoice } from './backends.ts';
import type { CotDemand, CotSource } from './cot-source.ts';
import { makeOtCost, oneOfNChunk, wireOf, type OtCostModel } from './cost.ts';
import { yieldTurn } from './iknp.ts';
import { otNRecvStartImpl, otNSendImpl } from './one-of-n.ts';
import { fcotRecvImpl, fcotSendImpl, otRecvImpl, otSendImpl, rotPads, rotRecvImpl, rotSendImpl } from './flavours.ts';
import type { NChoices, ObliviousTransfer } from './types.ts';

export interface OtEngineOptions {
  /** COTs per message (multiple of 32, default 2^17). Both parties must agree. */
  chunk?: number;
  /** Randomness (default node:crypto). Seeded sources are for tests only. */
  random?: RandomBytes;
  /** The correlated-OT backend (default DEFAULT_OT_BACKEND); both parties must agree. */
  backend?: OtChoice;
  /** A correlated-OT backend instance (overrides `backend`; e.g. Ferret with test parameters). */
  cot?: CotSource;
  /** Ferret: refill inside calls before any prefill (both parties issue calls in the same order; FerretOptions). */
  inlineRefills?: boolean;
}

export class OtEngine implements ObliviousTransfer {
  readonly party: Party;
  /** Exact costs; for a batch backend (Ferret) a replay of this session's pools from setup on. */
  readonly cost: OtCostModel;
  readonly cotSource: CotSource;
  readonly hash = new Tccr();
  private readonly ch: Channel;
  /** COTs consumed with this party as sender / as receiver (tweak counters). */
  private sentCots = 0;
  private recvCots = 0;
  private lock: Promise<unknown> = Promise.resolve();
  private ready = false;

  constructor(ch: Channel, opts: OtEngineOptions = {}) {
    this.ch = ch;
    this.party = ch.party;
    const random = opts.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    this.cotSource = opts.cot ?? makeCotSource(opts.backend ?? DEFAULT_OT_BACKEND, ch, { chunk: opts.chunk, random, inlineRefills: opts.inlineRefills });
    this.cost = makeOtCost(this.cotSource.chunk, wireOf(this.cotSource));
  }

  get delta(): Uint8Array {
    return this.cotSource.delta;
  }

  get channel(): Channel {
    return this.ch;
  }

  /** COTs drawn so far with this party as sender and as receiver (both directions of the session). */
  get cotsDrawn(): { asSender: number; asReceiver: number } {
    return { asSender: this.sentCots, asReceiver: this.recvCots };
  }

  setup(): Promise<void> {
    return this.exclusive(async () => {
      if (this.ready) throw new Error('OtEngine: setup() called twice');
      await this.cotSource.setup();
      this.ready = true;
    }, false);
  }

  /**
   * An engine for another channel, on a fork of this engine's COT source (no messages): for work
   * that runs concurrently with this engine's. Its tweak counters start at id·2^36, so no tweak
   * repeats across forks (each may use 2^36 COTs per direction). Both parties fork with the same
   * id, each id at most once per session.
   */
  fork(ch: Channel, id: number, need?: CotDemand): OtEngine {
    if (!this.ready) throw new Error('OtEngine: call setup() before fork()');
    if (!Number.isInteger(id) || id < 1 || id >= 2 ** 16) throw new RangeError(`OtEngine.fork: id must be 1..65535, got ${id}`);
    const src = this.cotSource;
    const e = new OtEngine(ch, { cot: need && src.slice ? src.slice(ch, need) : src.fork(ch, id) });
    e.ready = true;
    e.sentCots = e.recvCots = id * 2 ** 36;
    return e;
  }

  /** True when the backend refills in batches (Ferret): a schedule then calls prefill/settle. */
  get batch(): boolean {
    return this.cotSource.prefill !== undefined;
  }

  /**
   * Between schedule steps, on both parties: refill so the pools cover `need` (the step's COTs per
   * direction, from its cost functions). After this, calls never refill (docs/ot.md).
   */
  prefill(need: CotDemand): Promise<void> {
    return this.exclusive(async () => this.cotSource.prefill?.(need));
  }

  /** After the step: drop what the prefill foresaw and the step did not draw. */
  settle(): Promise<void> {
    return this.exclusive(async () => this.cotSource.settle?.());
  }

  /** Whether a top-up for the next step's `ahead` runs beside this step once `taken` is sliced (docs/ot.md, "Refills ahead of steps"). */
  topUpAhead(taken: CotDemand, ahead: CotDemand): boolean {
    return this.cotSource.topUpAhead?.(taken, ahead) ?? false;
  }

  /** That top-up on `ch` (a concurrent member's channel), after the step's slices were taken. */
  topUp(ch: Channel, ahead: CotDemand): Promise<void> {
    return this.exclusive(async () => this.cotSource.topUp?.(ch, ahead));
  }

  /** Run calls one at a time, in issue order (the pairing rule in types.ts). */
  private exclusive<T>(fn: () => Promise<T>, needReady = true): Promise<T> {
    const run = async () => {
      if (needReady && !this.ready) throw new Error('OtEngine: call setup() on both parties first');
      return fn();
    };
    const p = this.lock.then(run, run);
    this.lock = p.catch(() => undefined);
    return p;
  }

  /** Tweak domain for hashes of COTs whose sender is `sender`. */
  domainFor(use: number, sender: Party): number {
    return use | ((sender === 'client' ? 0 : 1) << 8);
  }

  /** Reserve `n` COTs in the direction where this party sends (or receives): returns the first index. */
  reserve(asSender: boolean, n: number): number {
    if (asSender) {
      const b = this.sentCots;
      this.sentCots += n;
      return b;
    }
    const b = this.recvCots;
    this.recvCots += n;
    return b;
  }

  // ---- correlated OT (global Δ) ----

  /** Batch backends refill here, at the start of a call, on both parties (CotSource.ensure). */
  private async ensure(n: number, asSender: boolean): Promise<void> {
    if (!Number.isInteger(n) || n < 0) return; // the call reports the bad count
    await this.cotSource.ensure?.(n, asSender);
  }

  /** One call drawing n COTs of one direction: refill if the backend needs to, draw, count. */
  private drawing<T>(n: number, asSender: boolean, draw: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.ensure(n, asSender);
      const r = await draw();
      this.reserve(asSender, n);
      return r;
    });
  }

  cotSend(n: number): Promise<Uint8Array> {
    return this.drawing(n, true, () => this.cotSource.send(n));
  }

  cotRecv(choices: Uint8Array): Promise<Uint8Array> {
    checkChoices(choices);
    return this.drawing(choices.length, false, () => this.cotSource.recv(choices));
  }

  rcotSend(n: number): Promise<Uint8Array> {
    return this.drawing(n, true, () => this.cotSource.sendRandom(n));
  }

  rcotRecv(n: number): Promise<{ choices: Uint8Array; blocks: Uint8Array }> {
    return this.drawing(n, false, () => this.cotSource.recvRandom(n));
  }

  // ---- random OT, chosen-message OT, correlated OT with a correlation function (flavours.ts) ----

  rotSend(n: number, bits: number): Promise<{ m0: Uint8Array; m1: Uint8Array }> {
    checkBits(bits);
    return this.exclusive(() => rotSendImpl(this, n, bits));
  }

  rotRecv(choices: Uint8Array, bits: number): Promise<Uint8Array> {
    checkBits(bits);
    return this.exclusive(() => rotRecvImpl(this, choices, bits));
  }

  rrotSend(n: number, bits: number): Promise<{ m0: Uint8Array; m1: Uint8Array }> {
    checkBits(bits);
    return this.exclusive(() => rotSendImpl(this, n, bits, true));
  }

  rrotRecv(n: number, bits: number): Promise<{ choices: Uint8Array; pads: Uint8Array }> {
    checkBits(bits);
    checkCount(n);
    return this.exclusive(async () => {
      const s = msgBytes(bits), choices = new Uint8Array(n), pads = new Uint8Array(n * s);
      await this.ensure(n, false);
      const base0 = this.reserve(false, n);
      for (let from = 0; from < n; from += this.cotSource.chunk) {
        const m = Math.min(this.cotSource.chunk, n - from), r = await this.cotSource.recvRandom(m);
        choices.set(r.choices, from);
        pads.set(rotPads(this, r.blocks, m, bits, base0 + from), from * s);
      }
      return { choices, pads };
    });
  }

  otSend(m0: Uint8Array, m1: Uint8Array, bits: number): Promise<void> {
    checkBits(bits);
    const s = msgBytes(bits);
    if (m0.length % s !== 0 || m1.length !== m0.length) {
      throw new RangeError(`otSend: m0 and m1 must both hold n messages of ${s} bytes (got ${m0.length} and ${m1.length} bytes)`);
    }
    return this.exclusive(() => otSendImpl(this, m0, m1, bits));
  }

  otRecv(choices: Uint8Array, bits: number): Promise<Uint8Array> {
    checkBits(bits);
    return this.exclusive(() => otRecvImpl(this, choices, bits));
  }

  fcotSend(n: number, bits: number, f: (x: Uint8Array, from: number) => Uint8Array): Promise<Uint8Array> {
    checkBits(bits);
    return this.exclusive(() => fcotSendImpl(this, n, bits, f));
  }

  fcotRecv(choices: Uint8Array, bits: number): Promise<Uint8Array> {
    checkBits(bits);
    return this.exclusive(() => fcotRecvImpl(this, choices, bits));
  }

  async acotSend(ell: number, corr: RingArray): Promise<RingArray> {
    checkRing(ell, corr);
    const n = corr.length;
    const x = await this.fcotSend(n, ell, (xm, from) => {
      const m = xm.length / msgBytes(ell);
      const v = msgsToRing(xm, m, ell);
      if (v instanceof Uint32Array) {
        const c = corr as Uint32Array;
        for (let i = 0; i < m; i++) v[i] = v[i] + c[from + i];
      } else {
        const c = corr as BigUint64Array;
        for (let i = 0; i < m; i++) v[i] = v[i] + c[from + i];
      }
      return ringToMsgs(v, ell);
    });
    return msgsToRing(x, n, ell);
  }

  async acotRecv(ell: number, choices: Uint8Array): Promise<RingArray> {
    checkRing(ell);
    return msgsToRing(await this.fcotRecv(choices, ell), choices.length, ell);
  }

  // ---- 1-of-N ----

  otNSend(msgs: Uint8Array, N: number, bits: number): Promise<void> {
    checkBits(bits);
    return this.exclusive(() => otNSendImpl(this, msgs, N, bits));
  }

  otNRecv(choices: NChoices, N: number, bits: number): Promise<Uint8Array> {
    checkBits(bits);
    return this.exclusive(async () => (await otNRecvStartImpl(this, choices, N, bits))());
  }

  otNRecvStart(choices: NChoices, N: number, bits: number): Promise<() => Promise<Uint8Array>> {
    checkBits(bits);
    return this.exclusive(async () => {
      const finish = await otNRecvStartImpl(this, choices, N, bits);
      return () => this.exclusive(finish);
    });
  }

  // ---- chunk drivers (used by one-of-n.ts too) ----

  /**
   * Sender side: for each chunk of `perChunk` OTs (cotsPer COTs each) get the COTs, let `onChunk`
   * compute, and send what it returns (if anything). Consumes n·cotsPer COTs of the counter.
   */
  async senderChunks(
    n: number,
    onChunk: (q: Uint8Array, m: number, from: number, base: number) => Promise<Uint8Array | null>,
    perChunk = this.cotSource.chunk,
    cotsPer = 1,
    random = false,
  ): Promise<void> {
    checkCount(n);
    await this.ensure(n * cotsPer, true);
    const base0 = this.reserve(true, n * cotsPer);
    for (let from = 0; from < n; from += perChunk) {
      const m = Math.min(perChunk, n - from);
      const q = await (random ? this.cotSource.sendRandom(m * cotsPer) : this.cotSource.send(m * cotsPer));
      const msg = await onChunk(q, m, from, base0 + from * cotsPer);
      if (msg) this.ch.send(msg);
    }
  }

  /**
   * Receiver side: first all chunks' COTs (the receiver's messages all go out in one flight), then,
   * if `onMsg` is given, one sender message per chunk. `choicesFor` gives a chunk's COT choice bits.
   */
  async receiverChunks(...args: Parameters<OtEngine['receiverStart']>): Promise<void> {
    await (await this.receiverStart(...args))();
  }

  /**
   * The receiver side in two halves: this sends the receiver's messages (all chunks) and returns
   * the second half, which reads the sender's replies. Other calls may be issued in between, so
   * that, e.g., both parties' receiver messages of several calls share one flight.
   */
  async receiverStart(
    choices: Uint8Array,
    onCot: (t: Uint8Array, m: number, from: number, base: number) => void,
    onMsg?: (y: Uint8Array, m: number, from: number) => void,
    perChunk = this.cotSource.chunk,
    cotsPer = 1,
    choicesFor: (from: number, m: number) => Uint8Array = (from, m) => choices.subarray(from, from + m),
    n = choices.length,
  ): Promise<() => Promise<void>> {
    if (cotsPer === 1) checkChoices(choices);
    await this.ensure(n * cotsPer, false);
    const base0 = this.reserve(false, n * cotsPer);
    for (let from = 0; from < n; from += perChunk) {
      const m = Math.min(perChunk, n - from);
      const t = await this.cotSource.recv(choicesFor(from, m));
      onCot(t, m, from, base0 + from * cotsPer);
      if (from + m < n) await yieldTurn();
    }
    return async () => {
      if (!onMsg) return;
      for (let from = 0; from < n; from += perChunk) {
        const m = Math.min(perChunk, n - from);
        onMsg(await this.ch.recv(), m, from);
      }
    };
  }

  /** 1-of-N OTs per chunk for this engine (see cost.ts). */
  oneOfNChunk(N: number, bits: number): number {
    return oneOfNChunk(N, bits, this.cotSource.chunk);
  }
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`OT count must be a non-negative integer, got ${n}`);
}

function checkRing(ell: number, v?: RingArray): void {
  if (!Number.isInteger(ell) || ell < 1 || ell > 64) throw new RangeError(`ring width must be 1..64, got ${ell}`);
  if (v && (ell > 32 ? !(v instanceof BigUint64Array) : !(v instanceof Uint32Array))) {
    throw new TypeError(`Z_2^${ell} elements must be a ${ell > 32 ? 'BigUint64Array' : 'Uint32Array'}`);
  }
}
