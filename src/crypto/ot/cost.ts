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
import type { CotCost } from './cot-source.ts';
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
  ot(n: number, bits: number): MessagePlan;
  fcot(n: number, bits: number): MessagePlan;
  otN(n: number, N: number, bits: number): MessagePlan;
}

export interface OtCostModel {
  readonly chunk: number;
  /** Per-chunk message sizes (the ideal OT replays them to charge the channel). */
  readonly plan: OtPlans;
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
 * Cost model for an engine with the given chunk size (must match the engine's). `cotBytes(m)` is
 * the receiver→sender message of one chunk of m COTs: IKNP's u matrix by default; another
 * CotSource (silent OT) passes its own.
 */
export function makeOtCost(chunk: number = DEFAULT_CHUNK, cotBytes: (m: number) => number = iknpChunkBytes): OtCostModel {
  const u = (sizes: number[], cotsPer = 1) => sizes.map((m) => cotBytes(m * cotsPer));
  const plan: OtPlans = {
    cot: (n) => ({ receiverToSender: u(chunks(n, chunk)), senderToReceiver: [] }),
    ot: (n, bits) => {
      const c = chunks(n, chunk);
      return { receiverToSender: u(c), senderToReceiver: c.map((m) => 2 * Math.ceil((m * bits) / 8)) };
    },
    fcot: (n, bits) => {
      const c = chunks(n, chunk);
      return { receiverToSender: u(c), senderToReceiver: c.map((m) => Math.ceil((m * bits) / 8)) };
    },
    otN: (n, N, bits) => {
      const c = chunks(n, oneOfNChunk(N, bits, chunk));
      return { receiverToSender: u(c, log2ceil(N)), senderToReceiver: c.map((m) => Math.ceil((m * N * bits) / 8)) };
    },
  };
  return {
    chunk,
    plan,
    setup: () => ({ bytesEachWay: 32 + 32 * 128, messagesEachWay: 2, rounds: 2 }),
    cot: (n) => summarise(plan.cot(n)),
    rcot: (n) => summarise(plan.cot(n)),
    rot: (n) => summarise(plan.cot(n)),
    ot: (n, bits) => summarise(plan.ot(n, bits)),
    fcot: (n, bits) => summarise(plan.fcot(n, bits)),
    acot: (n, ell) => summarise(plan.fcot(n, ell)),
    otN: (n, N, bits) => summarise(plan.otN(n, N, bits)),
  };
}

/** Cost model for the default chunk size. */
export const otCost: OtCostModel = makeOtCost();
