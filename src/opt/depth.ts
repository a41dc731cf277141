// Pass `depth`: communication depth of every op (ARCHITECTURE §4, the reference design is
// MP-SPDZ's round merger). A communicating op's depth is 1 + the deepest communicating op it
// depends on (through any chain of local ops); a local op has the depth of its deepest input.
// Ops at one depth never depend on each other, so they can share rounds.
import type { IrProgram } from '../ir/ir.ts';
import { opRow } from '../ir/ops/table.ts';

export function commDepths(p: IrProgram, dead: ReadonlySet<number>): number[] {
  const depth: number[] = new Array(p.ops.length).fill(0);
  for (const op of p.ops) {
    if (dead.has(op.id)) continue;
    let d = 0;
    for (const a of op.args) d = Math.max(d, depth[a]);
    depth[op.id] = d + (opRow(op.op).comm === 'local' ? 0 : 1);
  }
  return depth;
}
