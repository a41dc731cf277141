// Pass `dce`: dead-op elimination. Ops whose results reach no output and no reveal are not run.
// Inputs, outputs and reveals always stay: they are the program's interface and its declared
// leaks (a reveal whose count nothing uses still says what the other party learns).
import type { IrProgram } from '../ir/ir.ts';

const ROOTS = new Set(['input', 'output', 'reveal']);

/** The ids of dead ops. */
export function deadOps(p: IrProgram): Set<number> {
  const live = new Set<number>();
  const stack: number[] = [];
  for (const op of p.ops) if (ROOTS.has(op.op)) stack.push(op.id);
  for (const o of p.outputs) stack.push(o.id);
  while (stack.length) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    for (const a of p.ops[id].args) stack.push(a);
  }
  return new Set(p.ops.filter((op) => !live.has(op.id)).map((op) => op.id));
}
