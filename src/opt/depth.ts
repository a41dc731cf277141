// Pass `depth`: communication depth of every op (ARCHITECTURE §4, the reference design is
// MP-SPDZ's round merger). A communicating op's depth is 1 + the deepest communicating op it
// depends on (through any chain of local ops); a local op has the depth of its deepest input.
// Ops at one depth never depend on each other, so they can share rounds.
//
// An op also depends on the ops that reveal the sizes in its type or attributes (a size learned
// at run time, e.g. CipherPrune's kept count k): `first_mask::<k>()` has no arguments, yet must
// run after `reveal count(keep)`.
import type { IrOp, IrProgram } from '../ir/ir.ts';
import { opRow } from '../ir/ops/table.ts';
import { opDims } from '../ir/dim-env.ts';
import { dimSymbols } from '../front/dims.ts';

export function commDepths(p: IrProgram, dead: ReadonlySet<number>): number[] {
  const depth: number[] = new Array(p.ops.length).fill(0);
  const revealedBy = new Map(p.runtimeDims.map((r) => [r.symbol.id, r.op]));
  for (const op of p.ops) {
    if (dead.has(op.id)) continue;
    let d = 0;
    for (const a of op.args) d = Math.max(d, depth[a]);
    if (revealedBy.size) for (const r of sizeSources(op, revealedBy)) d = Math.max(d, depth[r]);
    depth[op.id] = d + (opRow(op.op).comm === 'local' ? 0 : 1);
  }
  return depth;
}

/** The ops revealing the run-time sizes that `op`'s type and attributes mention. */
function sizeSources(op: IrOp, revealedBy: ReadonlyMap<number, number>): number[] {
  return opDims(op)
    .flatMap(dimSymbols)
    .flatMap((sym) => revealedBy.get(sym.id) ?? [])
    .filter((r) => r !== op.id);
}
