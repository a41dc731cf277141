// The largest message a party can receive in a run of a program, from the cost model: every
// message belongs to one flight of one op (the messages one party sends without waiting for the
// other), and a flight's bytes in a direction are the sum of its messages that way (the op
// table's exact cost; flights also fix the rounds, and both are checked against the channel in
// tests). So the peer's largest flight bounds its largest message, and a message announced above
// it is a protocol error at its first frame header (transport/ws-channel.ts, `maxMessageBytes`).
//
// When ops are merged into one invocation per round (a schedule), the bound must be taken over
// the schedule's flights instead; `SizeGuard` (transport/channel.ts) takes each message's exact size.
import { DimEnv } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import type { Party } from '../transport/channel.ts';
import { predictCost } from './cost.ts';

/** Bytes of the largest message `party` may receive, or null when it is unknown before the run
 * (sizes revealed at run time, or an op whose cost is unknown). */
export function recvBound(p: IrProgram, party: Party): number | null {
  let bound = 0;
  try {
    for (const op of predictCost(p, new DimEnv()).ops) for (const f of op.flights) bound = Math.max(bound, party === 'server' ? f.c2s : f.s2c);
  } catch {
    return null; // a size revealed at run time shapes some op
  }
  return Number.isFinite(bound) ? bound : null;
}
