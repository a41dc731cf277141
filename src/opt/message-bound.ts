// The largest message a party can receive in a run of a program, from the cost model: every
// message belongs to one flight of one op (the messages one party sends without waiting for the
// other), and a flight's bytes in a direction are the sum of its messages that way (the op
// table's exact cost; flights also fix the rounds, and both are checked against the channel in
// tests). So the peer's largest flight bounds its largest message, and a message announced above
// it is a protocol error at its first frame header (transport/ws-channel.ts, `maxMessageBytes`).
//
// The bound is taken over the flights of the schedule that runs (merged by default, as serve and
// connect run it): a merged step's flight carries every op's elements, and the steps of a
// concurrent group send their messages separately (exec/concurrent.ts), so each member's own
// flights bound them. `SizeGuard` (transport/channel.ts) takes each message's exact size.
import type { Dim } from '../front/dims.ts';
import { DimEnv } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import type { Party } from '../transport/channel.ts';
import { predictSchedule } from './cost.ts';
import { makeCostParams } from '../ir/ops/table.ts';
import { OT_BACKENDS } from '../crypto/ot/index.ts';
import { buildSchedule, type Schedule } from './schedule.ts';

/** Margin on the bound of a program whose sizes are revealed at run time: there the bound is
 * taken with every revealed count at its largest value (nothing pruned), and a smaller count
 * could in principle make the blocking choose larger messages. */
export const RUNTIME_SIZE_MARGIN = 2;

/**
 * Every size revealed at run time bound to its largest possible value, or null when one is not a
 * count (the library's pruning reveals `count(mask)`, at most the mask's length). Sizes are bound
 * in program order, since a later mask's length can be an earlier count.
 */
export function largestRevealedSizes(p: IrProgram): DimEnv | null {
  const dims = new DimEnv();
  for (const rd of p.runtimeDims) {
    const arg = p.ops[p.ops[rd.op].args[0]];
    if (arg?.op !== 'count') return null;
    try {
      dims.bindReveal(p, rd.op, [dims.eval(arg.attrs.n as Dim)]);
    } catch {
      return null;
    }
  }
  return dims;
}

/** Bytes of the largest message `party` may receive in a run of `schedule`, or null when it is
 * unknown before the run (a revealed size that is not a count, or an op whose cost is unknown). */
export function recvBound(p: IrProgram, party: Party, schedule?: Schedule): number | null {
  const dims = largestRevealedSizes(p);
  if (!dims) return null;
  let bound = 0;
  try {
    // Either OT backend (the peer's choice is checked after the handshake): IKNP's messages are the
    // larger per call, Ferret adds its refills (up to ≈ 760 KB).
    const s = schedule ?? buildSchedule(p);
    for (const ot of OT_BACKENDS) for (const op of predictSchedule(s, dims, makeCostParams({ ot })).ops) for (const f of op.flights) bound = Math.max(bound, party === 'server' ? f.c2s : f.s2c);
  } catch {
    return null;
  }
  if (p.runtimeDims.length) bound *= RUNTIME_SIZE_MARGIN;
  return Number.isFinite(bound) ? bound : null;
}
