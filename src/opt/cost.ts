// Predicted communication of a schedule: each step's message flights (from the op table: one op's
// `cost`, or a merged step's `batch.cost`), in execution order, with rounds found by replaying the
// channel's round clock (src/transport/round-clock.ts): a party stamps a message with 1 + the
// highest stamp it has received, and the rounds are the highest stamp. Session setup (HE keys,
// base OTs) is charged to the first step that needs it. Prediction == measurement is tested for
// every bundled program, merged and unmerged.
import type { Party } from '../transport/channel.ts';
import { RoundClock } from '../transport/round-clock.ts';
import type { DimEnv } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import { makeCostParams, opRow } from '../ir/ops/table.ts';
import type { CostParams, Flight } from '../ir/ops/types.ts';
import { opCall } from '../ir/ops/call.ts';
import { buildSchedule, type Schedule, type Step } from './schedule.ts';

/** A flight with the round stamp of each sender's messages. */
export interface TimedFlight extends Flight {
  stamps: Partial<Record<Party, number>>;
}

export interface OpCost {
  /** The step's index in the schedule. */
  step: number;
  /** The first op of the step, and all of them (more than one when merged). */
  id: number;
  ids: number[];
  op: string;
  bytesC2S: number;
  bytesS2C: number;
  /** Round-clock advance while this step ran, as each party's channel counts it. */
  rounds: Record<Party, number>;
  /** Rounds the step added to the program's total (its share of the critical path). */
  added: number;
  flights: TimedFlight[];
}

export interface ProgramCost {
  /** Steps that communicate, in execution order. */
  ops: OpCost[];
  bytesC2S: number;
  bytesS2C: number;
  rounds: number;
}

/** The exact flights of one step. */
export function stepFlights(s: Schedule, step: Step, dims: DimEnv, params: CostParams): Flight[] {
  const p = s.program, row = opRow(step.op);
  const calls = step.ops.map((id) => opCall(p, p.ops[id], dims));
  if (step.ops.length === 1) return row.cost(calls[0], params);
  if (!row.batch) throw new Error(`internal: merged step #${step.index} of '${step.op}', which has no batched implementation`);
  return row.batch.cost(calls, params);
}

/**
 * Predict bytes and rounds of a schedule. `dims` must know every size revealed at run time (from a
 * run, or assumed values for `inspect`).
 */
export function predictSchedule(s: Schedule, dims: DimEnv, params: CostParams = makeCostParams()): ProgramCost {
  const clock = new RoundClock();
  const ops: OpCost[] = [];
  let c2s = 0, s2c = 0;
  for (const step of s.steps) {
    if (step.comm === 'local') continue;
    const flights = stepFlights(s, step, dims, params);
    if (flights.length === 0) continue;
    const before = { ...clock.high }, total = clock.rounds;
    const timed = flights.map((f) => ({ ...f, stamps: clock.flight(f) }));
    const bc = flights.reduce((a, f) => a + f.c2s, 0);
    const bs = flights.reduce((a, f) => a + f.s2c, 0);
    c2s += bc;
    s2c += bs;
    ops.push({ step: step.index, id: step.ops[0], ids: step.ops, op: step.op, bytesC2S: bc, bytesS2C: bs, rounds: { client: clock.high.client - before.client, server: clock.high.server - before.server }, added: clock.rounds - total, flights: timed });
  }
  return { ops, bytesC2S: c2s, bytesS2C: s2c, rounds: clock.rounds };
}

/** Predict the sequential (unmerged) execution of a program: every op on its own, in program order. */
export function predictCost(p: IrProgram, dims: DimEnv, params: CostParams = makeCostParams()): ProgramCost {
  return predictSchedule(buildSchedule(p, { merge: false }), dims, params);
}
