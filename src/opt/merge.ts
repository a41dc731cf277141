// Passes `merge` and `hegroup`: ops at the same communication depth with equal merge keys become
// one batched invocation (one protocol run on their concatenated inputs, so one OT-extension batch
// and one message per direction for each of its rounds). `merge` groups the OT protocols and the
// openings; `hegroup` groups HE products that share their secret operand (one upload for
// [X]·Wq, [X]·Wk, [X]·Wv). Keys come from the op table (row.mergeKey + row.batchKey); a row
// without a batched implementation is never merged.
import type { IrProgram } from '../ir/ir.ts';
import { opSignature } from '../ir/ops/call.ts';
import { opRow } from '../ir/ops/table.ts';
import type { CommClass } from '../ir/ops/types.ts';

/** Merge key of each batchable op of the given communication classes. */
export function mergeKeys(p: IrProgram, dead: ReadonlySet<number>, classes: readonly CommClass[]): Map<number, string> {
  const keys = new Map<number, string>();
  for (const op of p.ops) {
    const row = opRow(op.op);
    if (dead.has(op.id) || !classes.includes(row.comm) || !row.batch || !row.batchKey || !row.mergeKey) continue;
    keys.set(op.id, `${row.mergeKey} ${row.batchKey(opSignature(p, op))}`);
  }
  return keys;
}
