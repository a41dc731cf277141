// Pass `fuse`: a conversion that only drops fractional bits and ring width, applied to the sole
// use of a reciprocal or reciprocal square root, moves into that function: its last truncation
// (by G, SIRNN §5's rescaling) drops the extra bits too and its result is reduced to the
// narrower ring, so the conversion's own truncation (one correlated OT, up to two rounds) goes
// away. LayerNorm's `convert::<E>(rsqrt(var))` is the case (docs/schedule.md). The function's
// result takes the conversion's type and the conversion becomes local (same encoding). Exact
// in the twins: floor(floor(z / 2^G) / 2^t) = floor(z / 2^(G + t)). Ids do not change.
import type { IrOp, IrProgram } from '../ir/ir.ts';

const FUSABLE = new Set(['recip', 'rsqrt']);

export function fuseConverts(p: IrProgram): { program: IrProgram; fused: number } {
  const uses = new Map<number, number>();
  for (const op of p.ops) for (const a of op.args) uses.set(a, (uses.get(a) ?? 0) + 1);
  for (const o of p.outputs) uses.set(o.id, (uses.get(o.id) ?? 0) + 1);
  const ops: IrOp[] = p.ops.slice();
  let fused = 0;
  for (const op of p.ops) {
    if (op.op !== 'convert' || op.type.vis !== 'secret') continue;
    const src = ops[op.args[0]], from = src.type.enc, to = op.type.enc;
    if (!FUSABLE.has(src.op) || uses.get(src.id) !== 1 || from.kind !== 'fix' || to.kind !== 'fix') continue;
    if (!(to.scale < from.scale && to.ell <= from.ell && to.ell - to.scale <= from.ell - from.scale)) continue;
    ops[src.id] = { ...src, type: { ...src.type, enc: to } };
    fused++;
  }
  return { program: { ...p, ops }, fused };
}
