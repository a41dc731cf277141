// The correlated-OT interface every OT flavour is built on: IKNP (iknp.ts) and the silent-OT
// backend Ferret (Yang, Weng, Lan, Zhang, Wang, CCS 2020; ferret/cot.ts) implement it
// (docs/ot.md, "Silent OT").
//
// Correlation (global Δ, 128-bit blocks): for OT i the sender holds q_i, the receiver with bit b_i
// holds t_i = q_i ⊕ b_i·Δ. Δ is fixed per session and per direction (the sender's own Δ).
import type { Channel, Party } from '../../transport/channel.ts';

export interface CotCost {
  bytesSenderToReceiver: number;
  bytesReceiverToSender: number;
  messagesSenderToReceiver: number;
  messagesReceiverToSender: number;
  /** Message flights in sequence (the causal chain this call adds at most). */
  rounds: number;
}

/** One message of a batch refill, in order. */
export interface RefillMessage {
  from: 'sender' | 'receiver';
  bytes: number;
}

/** Replays a batch source's refills: the messages a call drawing `cots` COTs triggers first. */
export interface PoolReplay {
  draw(sender: Party, cots: number): RefillMessage[];
}

export interface CotSource {
  readonly name: string;
  readonly party: Party;
  /** Both parties call it once, at the same time, before anything else (both directions). */
  setup(): Promise<void>;
  /** This party's Δ as COT sender (16 bytes). Do not mutate. Available after setup(). */
  readonly delta: Uint8Array;
  /** Sender side of n COTs: q_i as 16n bytes (block i at 16i). */
  send(n: number): Promise<Uint8Array>;
  /** Receiver side with chosen bits (one byte 0/1 each): t_i = q_i ⊕ b_i·Δ as 16n bytes. */
  recv(choices: Uint8Array): Promise<Uint8Array>;
  /**
   * Receiver side with random bits chosen by the source. Costs the same as recv() for IKNP and
   * is what silent OT produces natively (chosen bits then cost one extra bit per OT).
   * The peer calls send(n).
   */
  recvRandom(n: number): Promise<{ choices: Uint8Array; blocks: Uint8Array }>;
  /** Sender side of n COTs whose receiver calls recvRandom(n) (IKNP: the same as send). */
  sendRandom(n: number): Promise<Uint8Array>;
  /**
   * Exact wire cost of one send(n)/recv(n) pair, not counting batch refills (see `replay`).
   * `random`: of a sendRandom(n)/recvRandom(n) pair.
   */
  cost(n: number, random?: boolean): CotCost;
  /**
   * Batch sources (silent OT): make the next `n` COTs of this party's role available now. OtEngine
   * calls it at the start of every call with the call's total, on both parties, so a refill runs
   * before the call's own messages. Absent: nothing to prepare (IKNP).
   */
  ensure?(n: number, asSender: boolean): Promise<void>;
  /** Batch sources: a replay of the refill schedule from the state after setup (cost model). */
  replay?(): PoolReplay;
  /** The largest n a single internal message carries (callers chunk their own work to this). */
  readonly chunk: number;
  /**
   * An independent source on another channel (after setup), for work that runs concurrently with
   * this source's (src/exec/concurrent.ts): both parties fork with the same id, and the fork's
   * correlations are independent of this source's and of other forks'.
   */
  fork(ch: Channel, id: number): CotSource;
}
