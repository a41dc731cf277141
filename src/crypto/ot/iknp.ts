// IKNP OT extension, semi-honest (Ishai, Kilian, Nissim, Petrank, CRYPTO 2003), as correlated OT
// with a global Δ (the form of Asharov, Lindell, Schneider, Zohner, CCS 2013), κ = 128.
//
// Setup: 128 base OTs in each direction (base-ot.ts). As COT sender a party holds Δ (its base-OT
// choices) and k_j^{Δ_j}; as COT receiver it holds both k_j^0, k_j^1. Each key seeds an
// AES-128-CTR stream G_j that continues across calls.
// One chunk of m COTs, receiver bits r: the receiver sends u_j = G(k_j^0) ⊕ G(k_j^1) ⊕ r for the
// 128 columns j (16 bytes per OT); the sender computes q_j = G(k_j^{Δ_j}) ⊕ Δ_j·u_j = t_j ⊕ Δ_j·r
// with t_j = G(k_j^0), and both transpose: row i gives q_i = t_i ⊕ r_i·Δ.
import { createHash, randomBytes } from 'node:crypto';
import type { Channel } from '../../transport/channel.ts';
import { ChannelError, peerOf } from '../../transport/channel.ts';
import { ColumnStreams } from './aes.ts';
import { baseOtBothWays, type RandomBytes } from './base-ot.ts';
import { checkChoices, packChoices } from './bits.ts';
import type { CotCost, CotSource } from './cot-source.ts';
import { transpose128 } from './transpose.ts';

export const KAPPA = 128;
/** Default COTs per chunk (one message of 2 MiB). */
export const DEFAULT_CHUNK = 1 << 17;

/** Bytes of the u matrix for one chunk of m COTs: 128 columns of ceil(m/8) bytes. */
export const iknpChunkBytes = (m: number): number => KAPPA * Math.ceil(m / 8);

export function iknpCost(n: number, chunk: number): CotCost {
  const full = Math.floor(n / chunk), rest = n % chunk;
  const messages = full + (rest > 0 ? 1 : 0);
  return {
    bytesSenderToReceiver: 0,
    bytesReceiverToSender: full * iknpChunkBytes(chunk) + (rest > 0 ? iknpChunkBytes(rest) : 0),
    messagesSenderToReceiver: 0,
    messagesReceiverToSender: messages,
    rounds: messages > 0 ? 1 : 0,
  };
}

/** Give the event loop a turn (lets the peer, sockets and timers run between chunks). */
export const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

export interface IknpOptions {
  /** COTs per message (multiple of 32). Both parties must use the same value. */
  chunk?: number;
  /** Randomness source (default node:crypto randomBytes). Seeded sources are for tests only. */
  random?: RandomBytes;
  /** Force lsb(Δ) = 1 (a 127-bit Δ, as Ferret needs; its base-OT choice 0 is then fixed). */
  deltaLsbOne?: boolean;
}

/** 128 base OTs each way: ours as base-OT sender (k0, k1) and as receiver of the peer's (received = k^{Δ_j}). */
export interface BaseKeys {
  k0: readonly Uint8Array[];
  k1: readonly Uint8Array[];
  received: readonly Uint8Array[];
  /** Δ's bits, one byte 0/1 each (the base-OT choices behind `received`). */
  deltaBits: Uint8Array;
  delta: Uint8Array;
}

export class IknpCot implements CotSource {
  readonly name = 'iknp';
  readonly party;
  readonly chunk: number;
  private readonly ch: Channel;
  private readonly random: RandomBytes;
  private readonly deltaLsbOne: boolean;
  private deltaBytes: Uint8Array | null = null;
  private deltaBits = new Uint8Array(KAPPA);
  private asSender: ColumnStreams | null = null;
  private asReceiver: [ColumnStreams, ColumnStreams] | null = null;
  /** Base-OT keys behind the column streams (forks derive theirs from them). */
  private keys: { k0: Uint8Array[]; k1: Uint8Array[]; received: Uint8Array[] } | null = null;

  constructor(ch: Channel, opts: IknpOptions = {}) {
    this.ch = ch;
    this.party = ch.party;
    this.chunk = opts.chunk ?? DEFAULT_CHUNK;
    if (!Number.isInteger(this.chunk) || this.chunk < 32 || this.chunk % 32 !== 0) {
      throw new RangeError(`IKNP chunk must be a positive multiple of 32, got ${this.chunk}`);
    }
    this.random = opts.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.deltaLsbOne = opts.deltaLsbOne ?? false;
  }

  get delta(): Uint8Array {
    if (!this.deltaBytes) throw new Error('IKNP: call setup() first');
    return this.deltaBytes;
  }

  cost(n: number): CotCost {
    return iknpCost(n, this.chunk);
  }

  async setup(): Promise<void> {
    if (this.deltaBytes) throw new Error('IKNP: setup() called twice');
    const delta = this.random(16).slice();
    if (this.deltaLsbOne) delta[0] |= 1;
    for (let j = 0; j < KAPPA; j++) this.deltaBits[j] = (delta[j >>> 3] >>> (j & 7)) & 1;
    const mine = `${this.party}-extends-to-${peerOf(this.party)}`;
    const peer = `${peerOf(this.party)}-extends-to-${this.party}`;
    // Our base-OT sender role serves our IKNP receiver role (the peer is IKNP sender there).
    const out = await baseOtBothWays(this.ch, KAPPA, this.deltaBits, this.random, { mine: peer, peer: mine });
    this.keys = { k0: out.sent.k0, k1: out.sent.k1, received: out.received };
    this.asReceiver = [new ColumnStreams(out.sent.k0), new ColumnStreams(out.sent.k1)];
    this.asSender = new ColumnStreams(out.received);
    this.deltaBytes = delta;
  }

  /**
   * The base OTs behind this instance (after setup), for another extension built on the same ones
   * (SoftSpokenOT, softspoken.ts): as COT receiver both keys k_j^0, k_j^1; as COT sender
   * k_j^{Δ_j} and Δ's bits. Read only.
   */
  baseKeys(): BaseKeys {
    if (!this.keys || !this.deltaBytes) throw new Error('IKNP: call setup() first');
    return { k0: this.keys.k0, k1: this.keys.k1, received: this.keys.received, deltaBits: this.deltaBits, delta: this.deltaBytes };
  }

  /**
   * An independent IKNP instance on another channel, for work that runs concurrently with this
   * one: the same Δ and base OTs, column keys derived as SHA-256(key ‖ "fork" ‖ id) (a PRF of the
   * base-OT keys), so its streams are independent of this instance's and of other forks'. Both
   * parties fork with the same id.
   */
  fork(ch: Channel, id: number): IknpCot {
    if (!this.keys || !this.deltaBytes) throw new Error('IKNP: call setup() first');
    const derive = (ks: Uint8Array[]) => ks.map((k) => new Uint8Array(createHash('sha256').update(k).update(`fork ${id}`).digest().subarray(0, 16)));
    const f = new IknpCot(ch, { chunk: this.chunk, random: this.random });
    f.keys = { k0: derive(this.keys.k0), k1: derive(this.keys.k1), received: derive(this.keys.received) };
    f.asReceiver = [new ColumnStreams(f.keys.k0), new ColumnStreams(f.keys.k1)];
    f.asSender = new ColumnStreams(f.keys.received);
    f.deltaBits = this.deltaBits;
    f.deltaBytes = this.deltaBytes;
    return f;
  }

  async send(n: number): Promise<Uint8Array> {
    checkCount(n);
    const streams = this.asSender;
    if (!streams) throw new Error('IKNP: call setup() first');
    const out = new Uint8Array(16 * n);
    const outWords = new Uint32Array(out.buffer);
    for (let from = 0; from < n; from += this.chunk) {
      const m = Math.min(this.chunk, n - from);
      const rows = roundUp(m, 32), colBytes = rows >>> 3, wb = Math.ceil(m / 8);
      const u = await this.ch.recv();
      if (u.byteLength !== KAPPA * wb) {
        throw new ChannelError('mismatch', `IKNP: expected ${KAPPA * wb} bytes for ${m} COTs, got ${u.byteLength} (calls out of step, or different chunk sizes)`);
      }
      const cols: Uint32Array[] = [];
      const scratch = new Uint8Array(colBytes);
      const sw = new Uint32Array(scratch.buffer);
      for (let j = 0; j < KAPPA; j++) {
        const g = streams.next(j, colBytes);
        if (this.deltaBits[j]) {
          scratch.set(u.subarray(j * wb, j * wb + wb));
          for (let w = 0; w < g.length; w++) g[w] ^= sw[w];
        }
        cols.push(g);
      }
      transposeInto(cols, rows, m, outWords, from);
    }
    return out;
  }

  sendRandom(n: number): Promise<Uint8Array> {
    return this.send(n);
  }

  async recv(choices: Uint8Array): Promise<Uint8Array> {
    checkChoices(choices);
    const streams = this.asReceiver;
    if (!streams) throw new Error('IKNP: call setup() first');
    const n = choices.length;
    const out = new Uint8Array(16 * n);
    const outWords = new Uint32Array(out.buffer);
    for (let from = 0; from < n; from += this.chunk) {
      const m = Math.min(this.chunk, n - from);
      const rows = roundUp(m, 32), colBytes = rows >>> 3, wb = Math.ceil(m / 8);
      const r = packChoices(choices, from, m, rows >>> 5);
      const msg = new Uint8Array(KAPPA * wb);
      const cols = maskColumns(streams[0], streams[1], r, colBytes, msg, wb);
      this.ch.send(msg);
      transposeInto(cols, rows, m, outWords, from);
      if (from + m < n) await yieldTurn();
    }
    return out;
  }

  async recvRandom(n: number): Promise<{ choices: Uint8Array; blocks: Uint8Array }> {
    checkCount(n);
    const bytes = this.random(Math.ceil(n / 8));
    const choices = new Uint8Array(n);
    for (let i = 0; i < n; i++) choices[i] = (bytes[i >>> 3] >>> (i & 7)) & 1;
    return { choices, blocks: await this.recv(choices) };
  }
}

export const roundUp = (x: number, k: number): number => Math.ceil(x / k) * k;

export function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`OT count must be a non-negative integer, got ${n}`);
}

/**
 * Receiver's column pass: t_j = G(k_j^0), u_j = t_j ⊕ G(k_j^1) ⊕ r written to msg at j·wb (the
 * first wb bytes of each column). Returns the t columns.
 */
function maskColumns(s0: ColumnStreams, s1: ColumnStreams, r: Uint32Array, colBytes: number, msg: Uint8Array, wb: number): Uint32Array[] {
  const cols: Uint32Array[] = [];
  const direct = wb === colBytes;
  const mw = direct ? new Uint32Array(msg.buffer) : null;
  const scratch = direct ? null : new Uint32Array(colBytes >>> 2);
  const nw = colBytes >>> 2;
  for (let j = 0; j < KAPPA; j++) {
    const t = s0.next(j, colBytes);
    const g1 = s1.next(j, colBytes);
    if (mw) {
      for (let w = 0, o = j * nw; w < nw; w++) mw[o + w] = t[w] ^ g1[w] ^ r[w];
    } else {
      for (let w = 0; w < nw; w++) scratch![w] = t[w] ^ g1[w] ^ r[w];
      msg.set(new Uint8Array(scratch!.buffer, 0, wb), j * wb);
    }
    cols.push(t);
  }
  return cols;
}

/** Transpose a chunk and copy its first m rows to out at row `from` (4 words per row). */
export function transposeInto(cols: Uint32Array[], rows: number, m: number, out: Uint32Array, from: number): void {
  if (rows === m) {
    transpose128(cols, rows, out.subarray(4 * from, 4 * (from + m)));
  } else {
    const tmp = new Uint32Array(4 * rows);
    transpose128(cols, rows, tmp);
    out.set(tmp.subarray(0, 4 * m), 4 * from);
  }
}
