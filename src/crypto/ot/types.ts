// The OT interface the nonlinear protocols consume. OtEngine (engine.ts) implements it with real
// cryptography; test/support/ideal-ot.ts implements it without (tests only).
//
// Pairing rule: every call on one party pairs with the matching call on the other party (xSend
// with xRecv, same n / bits / N), in the order the calls are issued, in either direction, any
// number of times. Calls on one engine run one at a time in issue order, so issuing several
// without awaiting is safe as long as both parties issue them in the same order.
//
// Formats (bits.ts): choice bits are a Uint8Array with one byte 0/1 per OT; messages of `bits`
// bits are a Uint8Array with ceil(bits/8) bytes per message, little-endian, unused high bits zero.
// 1-of-N messages: message j of OT i at index i·N + j. 1-of-N choices: one entry < N per OT.
import type { Channel, Party } from '../../transport/channel.ts';
import type { RingArray } from '../ring.ts';
import type { OtCostModel } from './cost.ts';
import type { CotDemand } from './cot-source.ts';

export type NChoices = Uint8Array | Uint16Array | Uint32Array;

export interface ObliviousTransfer {
  readonly party: Party;
  /** Base OTs in both directions; both parties call it once, concurrently, before anything else. */
  setup(): Promise<void>;
  /** This party's global Δ as COT sender (16 bytes, after setup). */
  readonly delta: Uint8Array;
  /** Exact wire costs of each flavour for this engine's chunk size. */
  readonly cost: OtCostModel;

  /** Correlated OT, global Δ: returns q_i (16 bytes each); the receiver gets q_i ⊕ b_i·Δ. */
  cotSend(n: number): Promise<Uint8Array>;
  cotRecv(choices: Uint8Array): Promise<Uint8Array>;
  /**
   * COT with random receiver bits: rcotSend(n) pairs with rcotRecv(n). Free of any per-OT message
   * with a silent backend (Ferret); the same wire as cotSend/cotRecv with IKNP.
   */
  rcotSend(n: number): Promise<Uint8Array>;
  rcotRecv(n: number): Promise<{ choices: Uint8Array; blocks: Uint8Array }>;

  /**
   * Arithmetic correlated OT over Z_2^ell (1 ≤ ell ≤ 64): the sender gives c_i and gets a random
   * x_i; the receiver with bit b_i gets x_i + b_i·c_i mod 2^ell. Uint32Array for ell ≤ 32, else
   * BigUint64Array (as ring.ts).
   */
  acotSend(ell: number, corr: RingArray): Promise<RingArray>;
  acotRecv(ell: number, choices: Uint8Array): Promise<RingArray>;

  /**
   * Correlated OT with a general correlation function: the sender gets random messages x_i and
   * supplies m1_i = f(x)_i; the receiver with bit b_i gets b_i ? f(x)_i : x_i. `f` is called once
   * per chunk with the chunk's x (messages format) and the index of its first OT, and must return
   * that chunk's m1 in the same format.
   */
  fcotSend(n: number, bits: number, f: (x: Uint8Array, from: number) => Uint8Array): Promise<Uint8Array>;
  fcotRecv(choices: Uint8Array, bits: number): Promise<Uint8Array>;

  /** Random OT: the sender gets two random messages, the receiver the one it chose. */
  rotSend(n: number, bits: number): Promise<{ m0: Uint8Array; m1: Uint8Array }>;
  rotRecv(choices: Uint8Array, bits: number): Promise<Uint8Array>;
  /**
   * Random OT with random receiver bits (on rcotSend / rcotRecv): no per-OT message with a silent
   * backend (Ferret), IKNP's wire otherwise. rrotSend(n, bits) pairs with rrotRecv(n, bits).
   */
  rrotSend(n: number, bits: number): Promise<{ m0: Uint8Array; m1: Uint8Array }>;
  rrotRecv(n: number, bits: number): Promise<{ choices: Uint8Array; pads: Uint8Array }>;

  /** Chosen-message 1-of-2 OT. */
  otSend(m0: Uint8Array, m1: Uint8Array, bits: number): Promise<void>;
  otRecv(choices: Uint8Array, bits: number): Promise<Uint8Array>;

  /** Chosen-message 1-of-N OT, N ≥ 2 (messages: n·N of them, OT-major). */
  otNSend(msgs: Uint8Array, N: number, bits: number): Promise<void>;
  otNRecv(choices: NChoices, N: number, bits: number): Promise<Uint8Array>;
  /**
   * otNRecv in two halves: the receiver's messages go out now; the returned function reads the
   * sender's reply (and counts as the call's place in the pairing order). Lets both parties'
   * receiver messages of several calls share one flight.
   */
  otNRecvStart(choices: NChoices, N: number, bits: number): Promise<() => Promise<Uint8Array>>;

  /**
   * An independent OT on another channel (after setup, no messages), for work that runs
   * concurrently with this one's: both parties fork with the same id (1..65535), each id once.
   * `need`: a batch backend (Ferret) hands the fork exactly these COTs from its pools (after a
   * prefill covering every member), in the same order on both parties.
   */
  fork(ch: Channel, id: number, need?: CotDemand): ObliviousTransfer;

  /** True when the backend refills in batches between schedule steps (Ferret; docs/ot.md). */
  readonly batch?: boolean;
  /** Batch backends, between steps on both parties: make the pools cover `need`. */
  prefill?(need: CotDemand): Promise<void>;
  /** Batch backends, after a step: drop what the prefill foresaw and the step did not draw. */
  settle?(): Promise<void>;
  /** Batch backends: whether a top-up for the next step's `ahead` runs beside this step once `taken` is sliced (docs/ot.md, "Refills ahead of steps"). */
  topUpAhead?(taken: CotDemand, ahead: CotDemand): boolean;
  /** Batch backends: that top-up, on a concurrent member's channel. */
  topUp?(ch: Channel, ahead: CotDemand): Promise<void>;
}
