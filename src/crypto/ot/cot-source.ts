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

/** COTs per direction, keyed by the direction's COT sender (what a schedule step draws). */
export type CotDemand = Record<Party, number>;

/** One flight of a prefill: bytes client → server and server → client (both may send at once). */
export interface RefillFlight {
  c2s: number;
  s2c: number;
}

/**
 * Replays a batch source's pools on counts (the cost model's side of `prefill`): the flights a
 * prefill for `need` sends, as both parties run them (both directions' refills side by side, so
 * their messages share flights); the pools then lose `need`, as after the step that drew it.
 */
export interface PoolReplay {
  step(need: CotDemand): RefillFlight[];
  /** After step(need): the flights of a top-up for the next step's `ahead` beside this one (CotSource.topUp), or null if none runs. */
  topUp?(ahead: CotDemand): RefillFlight[] | null;
  /** Standalone engines (no schedule; refills at the call that needs them): one call's refill. */
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
   * Batch sources (silent OT), standalone use: make the next `n` COTs of this party's role
   * available now. OtEngine calls it at the start of every call with the call's total, on both
   * parties, so a refill runs before the call's own messages. Once `prefill` has been used, the
   * pools refill only there, and a call the pools cannot cover fails. Absent: IKNP.
   */
  ensure?(n: number, asSender: boolean): Promise<void>;
  /**
   * Batch sources run by a schedule (src/exec/executor.ts): both parties call it at the same point
   * between steps with the step's demand (from its cost functions); it refills so the pools hold
   * at least `need`, in a fixed order (docs/ot.md, "Refills between steps").
   */
  prefill?(need: CotDemand): Promise<void>;
  /** After the step: the pools drop what `need` foresaw and the step did not draw. */
  settle?(): void;
  /**
   * Refills ahead of steps (docs/ot.md): whether, once `taken` (the current step's slices) has left
   * the pools, a top-up for the next step's demand `ahead` would run (iterations only).
   */
  topUpAhead?(taken: CotDemand, ahead: CotDemand): boolean;
  /** That top-up, on a concurrent member's channel beside the current step (after its slices). */
  topUp?(ch: Channel, ahead: CotDemand): Promise<void>;
  /**
   * A source on another channel serving exactly `need` COTs taken from the pools now (one member
   * of a concurrent group; both parties slice in the same order after the group's prefill).
   */
  slice?(ch: Channel, need: CotDemand): CotSource;
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
