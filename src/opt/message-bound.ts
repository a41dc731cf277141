// The largest message a party can receive in a run of a program, from the cost model: every
// message belongs to one op, and an op's messages to one party add up to its flights' bytes in
// that direction (the op table's exact cost, checked against the channel counters in tests). So
// the peer's largest op bounds its largest message, and a message announced above it is a
// protocol error at its first frame header (transport/ws-channel.ts, `maxMessageBytes`).
//
// When ops are merged into one invocation per round (a schedule), the bound must be taken over
// the schedule's steps instead; `SizeGuard` (transport/channel.ts) takes each message's exact size.
import { DimEnv } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import type { Party } from '../transport/channel.ts';
import { predictCost } from './cost.ts';

/** Bytes of the largest message `party` may receive, or null when it is unknown before the run
 * (sizes revealed at run time, or an op whose cost is unknown). */
export function recvBound(p: IrProgram, party: Party): number | null {
  let bound = 0;
  try {
    for (const op of predictCost(p, new DimEnv()).ops) bound = Math.max(bound, party === 'server' ? op.bytesC2S : op.bytesS2C);
  } catch {
    return null; // a size revealed at run time shapes some op
  }
  return Number.isFinite(bound) ? bound : null;
}
