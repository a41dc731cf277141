// The correlated-OT interface every OT flavour is built on. IKNP implements it today; a silent-OT
// backend (Ferret: Yang, Weng, Lan, Zhang, Wang, CCS 2020) will implement the same interface
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
  /** Exact wire cost of one send(n)/recv(n) pair. */
  cost(n: number): CotCost;
  /** The largest n a single internal message carries (callers chunk their own work to this). */
  readonly chunk: number;
  /**
   * An independent source on another channel (after setup), for work that runs concurrently with
   * this source's (src/exec/concurrent.ts): both parties fork with the same id, and the fork's
   * correlations are independent of this source's and of other forks'.
   */
  fork(ch: Channel, id: number): CotSource;
}
