// An op's call as the op table sees it: argument and result types with every size evaluated.
import { showDim } from '../../front/dims.ts';
import type { DimEnv } from '../dim-env.ts';
import { showAttr, type IrOp, type IrProgram, type IrType } from '../ir.ts';
import type { OpCall, OpSignature } from './types.ts';

export function opCall(p: IrProgram, op: IrOp, dims: DimEnv): OpCall {
  return {
    args: op.args.map((a) => ({ vis: p.ops[a].type.vis, enc: p.ops[a].type.enc, shape: dims.shape(p.ops[a].type.shape) })),
    type: { vis: op.type.vis, enc: op.type.enc, shape: dims.shape(op.type.shape) },
    attrs: dims.attrs(op),
  };
}

const sigType = (t: IrType) => ({ vis: t.vis, enc: t.enc, shape: t.shape.map(showDim) });

/** An op's signature before the run: what batch keys are made of (sizes may be symbolic). */
export function opSignature(p: IrProgram, op: IrOp): OpSignature {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(op.attrs)) if (v !== undefined) attrs[k] = showAttr(v);
  return { args: op.args.map((a) => sigType(p.ops[a].type)), type: sigType(op.type), attrs, argIds: op.args };
}
