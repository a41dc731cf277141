// Pass `fold`: public folding. A public scalar computed from constants only (sizes, literals,
// `d / h`, `0.00001` encoded as fixed point) becomes a constant, computed once by its plaintext
// twin with the same fixed-point semantics as at run time. Ids do not change.
import type { IrOp, IrProgram } from '../ir/ir.ts';
import { opRow } from '../ir/ops/table.ts';
import { realValues } from '../ir/twins.ts';
import type { Tensor } from '../ir/tensor.ts';

/** Ops that folding must leave alone: inputs, constants and anything that talks to the peer. */
const foldable = (op: IrOp): boolean => op.op !== 'input' && op.op !== 'const' && opRow(op.op).comm === 'local';

export function foldPublic(p: IrProgram): { program: IrProgram; folded: number } {
  const ops: IrOp[] = [];
  const known = new Map<number, Tensor>();
  let folded = 0;
  for (const op of p.ops) {
    let out = op;
    const scalar = op.type.vis === 'public' && op.type.shape.length === 0;
    if (op.op === 'const' && scalar) known.set(op.id, constTensor(op));
    else if (scalar && foldable(op) && op.args.length > 0 && op.args.every((a) => known.has(a))) {
      const t = opRow(op.op).twin({ args: op.args.map((a) => known.get(a)!), shape: [], enc: op.type.enc, attrs: op.attrs, mode: 'fixed' });
      const value = op.type.enc.kind === 'bool' ? t.data[0] === 1 : realValues(t, 'fixed')[0];
      out = { ...op, op: 'const', args: [], attrs: { value } };
      known.set(op.id, constTensor(out));
      folded++;
    }
    ops.push(out);
  }
  return { program: { ...p, ops }, folded };
}

function constTensor(op: IrOp): Tensor {
  return opRow('const').twin({ args: [], shape: [], enc: op.type.enc, attrs: op.attrs, mode: 'fixed' });
}
