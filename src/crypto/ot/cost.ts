// Exact wire cost of every OT flavour, as the OT engine sends it (bytes are payload bytes counted
// at the Channel). The op table's cost functions call these; test/ot/cost.test.ts checks them
// against the channel's counters.
//
// With C = the chunk size (COTs per message, default 2^17) and u(m) = 128·ceil(m/8):
//   cot / rcot / rot (n)          R→S Σ_chunks u(m)                                  1 round
//   ot (n, bits)                  R→S Σ u(m);   S→R Σ 2·ceil(m·bits/8)               2 rounds
//   fcot / acot (n, bits or ell)  R→S Σ u(m);   S→R Σ ceil(m·bits/8)                 2 rounds
//   otN (n, N, bits), k=⌈log2 N⌉  chunks of M = oneOfNChunk(N, bits, C) OTs;
//                                 R→S Σ u(m·k); S→R Σ ceil(m·N·bits/8)               2 rounds
// So per OT, for n a multiple of 8: 16 bytes one way plus the payload the other way.
// "rounds" is the number of message flights in sequence; back-to-back calls can share flights.
// Another CotSource replaces u(m) by its own message (Ferret: ⌈m/8⌉ choice corrections, nothing
// for random choices) and may refill in batches between schedule steps: its model then counts the
// COTs each call draws (`drawn`, per direction, by CostBuilder in nonlinear/context.ts) and carries
// a replay of its pools (`pool`), which the schedule's prediction (src/opt/cost.ts) asks per step.
import type { CotCost, CotDemand, CotSource, PoolReplay } from './cot-source.ts';
import { steadyBitsPerCot } from './ferret/params.ts';
import { DEFAULT_CHUNK, iknpChunkBytes } from './iknp.ts';

export type OtCost = CotCost;

export const log2ceil = (N: number): number => Math.max(1, Math.ceil(Math.log2(N)));

/** 1-of-N OTs per chunk: at most C/k COTs and about 16 MiB of sender messages per message. */
export function oneOfNChunk(N: number, bits: number, chunk: number): number {
  const k = log2ceil(N);
  const perOt = N * Math.ceil(bits / 8);
  return Math.max(1, Math.min(Math.floor(chunk / k), Math.floor((16 << 20) / perOt)));
}

function chunks(n: number, c: number): number[] {
  const out: number[] = [];
  for (let from = 0; from < n; from += c) out.push(Math.min(c, n - from));
  return out;
}

/** Message sizes of one call, in order: one receiver message (u) and at most one sender message per chunk. */
export interface MessagePlan {
  receiverToSender: number[];
  senderToReceiver: number[];
  /** COTs the call draws (what a batch source's pool loses; refills happen before the call). */
  cots: number;
}

/** How a CotSource's own messages scale: the receiver's message for m COTs of a chunk. */
export interface CotWire {
  /** Bytes for m chosen-choice COTs. */
  chosen(m: number): number;
  /** Bytes for m random-choice COTs (0: no message). */
  random(m: number): number;
  /** Batch sources: a fresh replay of their refills (from the state after setup). */
  replay?(): PoolReplay;
  /** Batch sources: count the COTs drawn (`OtCostModel.drawn`); implied by `replay`. */
  batch?: boolean;
}

export const IKNP_WIRE: CotWire = { chosen: iknpChunkBytes, random: iknpChunkBytes };

/** The wire of a CotSource, from its cost function and replay. */
export function wireOf(cot: CotSource): CotWire {
  return {
    chosen: (m) => cot.cost(m).bytesReceiverToSender,
    random: (m) => cot.cost(m, true).bytesReceiverToSender,
    replay: cot.replay ? () => cot.replay!() : undefined,
    batch: cot.prefill !== undefined,
  };
}

function summarise(p: MessagePlan): OtCost {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const out: OtCost = {
    bytesReceiverToSender: sum(p.receiverToSender),
    bytesSenderToReceiver: sum(p.senderToReceiver),
    messagesReceiverToSender: p.receiverToSender.length,
    messagesSenderToReceiver: p.senderToReceiver.length,
    rounds: 0,
  };
  out.rounds = out.messagesSenderToReceiver > 0 ? 2 : out.messagesReceiverToSender > 0 ? 1 : 0;
  return out;
}

export interface OtPlans {
  cot(n: number): MessagePlan;
  /** Random-choice COT (rcotSend / rcotRecv). */
  rcot(n: number): MessagePlan;
  ot(n: number, bits: number): MessagePlan;
  fcot(n: number, bits: number): MessagePlan;
  otN(n: number, N: number, bits: number): MessagePlan;
}

export interface OtCostModel {
  readonly chunk: number;
  /** Per-chunk message sizes (the ideal OT replays them to charge the channel). */
  readonly plan: OtPlans;
  /**
   * Batch sources (silent OT): this model's replay of the pools, starting after setup. Stateful:
   * one model predicts one session, call by call in order. Absent for IKNP (stateless).
   */
  readonly pool?: PoolReplay;
  /**
   * Batch sources: COTs drawn so far per direction (keyed by the COT sender), counted by
   * CostBuilder.otCall and .draw; a step's prediction reads its demand here (src/opt/cost.ts).
   */
  readonly drawn?: CotDemand;
  /** The same model with fresh pools (IKNP: itself). */
  fresh(): OtCostModel;
  /** The model of an engine forked from this one for a concurrent member (a batch source: a slice of its pools, no refills). */
  forked(): OtCostModel;
  /** Base OTs in both directions (setup): bytes each party sends, 2 rounds. */
  setup(): { bytesEachWay: number; messagesEachWay: number; rounds: number };
  cot(n: number): OtCost;
  rcot(n: number): OtCost;
  rot(n: number, bits: number): OtCost;
  ot(n: number, bits: number): OtCost;
  fcot(n: number, bits: number): OtCost;
  acot(n: number, ell: number): OtCost;
  otN(n: number, N: number, bits: number): OtCost;
}

/**
 * Cost model for an engine with the given chunk size (must match the engine's) and CotSource wire
 * (IKNP's u matrix by default; wireOf(source) for another backend).
 */
export function makeOtCost(chunk: number = DEFAULT_CHUNK, wire: CotWire = IKNP_WIRE): OtCostModel {
  const u = (sizes: number[], cotsPer = 1, bytes = wire.chosen) => sizes.map((m) => bytes(m * cotsPer)).filter((b) => b > 0);
  const plan: OtPlans = {
    cot: (n) => ({ receiverToSender: u(chunks(n, chunk)), senderToReceiver: [], cots: n }),
    rcot: (n) => ({ receiverToSender: u(chunks(n, chunk), 1, wire.random), senderToReceiver: [], cots: n }),
    ot: (n, bits) => {
      const c = chunks(n, chunk);
      return { receiverToSender: u(c), senderToReceiver: c.map((m) => 2 * Math.ceil((m * bits) / 8)), cots: n };
    },
    fcot: (n, bits) => {
      const c = chunks(n, chunk);
      return { receiverToSender: u(c), senderToReceiver: c.map((m) => Math.ceil((m * bits) / 8)), cots: n };
    },
    otN: (n, N, bits) => {
      const c = chunks(n, oneOfNChunk(N, bits, chunk));
      return { receiverToSender: u(c, log2ceil(N)), senderToReceiver: c.map((m) => Math.ceil((m * N * bits) / 8)), cots: n * log2ceil(N) };
    },
  };
  const pool = wire.replay?.();
  const batch = wire.batch || pool !== undefined;
  const model: OtCostModel = {
    chunk,
    plan,
    pool,
    drawn: batch ? { client: 0, server: 0 } : undefined,
    fresh: () => (batch ? makeOtCost(chunk, wire) : model),
    forked: () => (batch ? makeOtCost(chunk, { ...wire, replay: undefined, batch: true }) : model),
    setup: () => ({ bytesEachWay: 32 + 32 * 128, messagesEachWay: 2, rounds: 2 }),
    cot: (n) => summarise(plan.cot(n)),
    rcot: (n) => summarise(plan.rcot(n)),
    rot: (n) => summarise(plan.cot(n)),
    ot: (n, bits) => summarise(plan.ot(n, bits)),
    fcot: (n, bits) => summarise(plan.fcot(n, bits)),
    acot: (n, ell) => summarise(plan.fcot(n, ell)),
    otN: (n, N, bits) => summarise(plan.otN(n, N, bits)),
  };
  return model;
}

/** Cost model for the default chunk size. */
export const otCost: OtCostModel = makeOtCost();

/**
 * Average bytes per COT over a long session, with chosen and with random choice bits: IKNP 16 and
 * 16; a batch source (Ferret) its own bits per COT plus its refills' share in steady state (main
 * iterations, ferret/params.ts). What byte-level protocol parameters are chosen by (the
 * comparison's digits, compare.ts), so both parties and the cost functions choose alike.
 */
export function cotUnitBytes(m: OtCostModel): { chosen: number; random: number; batch: boolean } {
  // Silent: under IKNP's 16 bytes per chosen COT (a session's model, a slice's or a fork's alike).
  const n = 1 << 13, chosen = m.cot(n).bytesReceiverToSender / n, batch = chosen < 16, refill = batch ? steadyBitsPerCot() / 8 : 0;
  return { chosen: chosen + refill, random: m.rcot(n).bytesReceiverToSender / n + refill, batch };
}
