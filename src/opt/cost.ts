// Predicted communication of a program: each op's message flights (from the op table), in
// execution order, with rounds found by simulating the channel's round clock (channel.ts): a
// party stamps a message with 1 + the highest stamp it has received, and the rounds are the
// highest stamp. Session setup (HE keys, base OTs) is charged to the first op that needs it.
import type { Party } from '../transport/channel.ts';
import { RoundClock } from '../transport/round-clock.ts';
import type { DimEnv } from '../ir/dim-env.ts';
import type { IrOp, IrProgram } from '../ir/ir.ts';
import { makeCostParams, opRow } from '../ir/ops/table.ts';
import type { CostParams, Flight } from '../ir/ops/types.ts';
import { opCall } from '../ir/ops/call.ts';

export interface OpCost {
  id: number;
  op: string;
  bytesC2S: number;
  bytesS2C: number;
  /** Round-clock advance while this op ran, as each party's channel counts it. */
  rounds: Record<Party, number>;
  flights: Flight[];
}

export interface ProgramCost {
  ops: OpCost[];
  bytesC2S: number;
  bytesS2C: number;
  rounds: number;
}

/**
 * Predict bytes and rounds. `dims` must know every size revealed at run time (from a run, or
 * assumed values for `inspect`); ops are costed in program order, as the executor runs them.
 */
export function predictCost(p: IrProgram, dims: DimEnv, params: CostParams = makeCostParams()): ProgramCost {
  const clock = new RoundClock();
  const ops: OpCost[] = [];
  let c2s = 0, s2c = 0;
  for (const op of p.ops) {
    const row = opRow(op.op);
    const call = opCall(p, op, dims);
    const flights: Flight[] = row.cost(call, params);
    if (flights.length === 0) continue;
    const before = { ...clock.high };
    for (const f of flights) clock.flight(f);
    const bc = flights.reduce((s, f) => s + f.c2s, 0);
    const bs = flights.reduce((s, f) => s + f.s2c, 0);
    c2s += bc;
    s2c += bs;
    ops.push({ id: op.id, op: op.op, bytesC2S: bc, bytesS2C: bs, rounds: { client: clock.high.client - before.client, server: clock.high.server - before.server }, flights });
  }
  return { ops, bytesC2S: c2s, bytesS2C: s2c, rounds: clock.rounds };
}
