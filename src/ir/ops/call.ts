// An op's call as the op table sees it: argument and result types with every size evaluated.
import type { DimEnv } from '../dim-env.ts';
import type { IrOp, IrProgram } from '../ir.ts';
import type { OpCall } from './types.ts';

export function opCall(p: IrProgram, op: IrOp, dims: DimEnv): OpCall {
  return {
    args: op.args.map((a) => ({ vis: p.ops[a].type.vis, enc: p.ops[a].type.enc, shape: dims.shape(p.ops[a].type.shape) })),
    type: { vis: op.type.vis, enc: op.type.enc, shape: dims.shape(op.type.shape) },
    attrs: dims.attrs(op),
  };
}
