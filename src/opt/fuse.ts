// Pass `fuse`: a step folded into the protocol before it, where that saves the step's own
// correlated OTs and rounds (docs/schedule.md). Both patterns are LayerNorm's; ids do not change.
//
// - A conversion that only drops fractional bits and ring width, applied to the sole use of a
//   reciprocal or reciprocal square root, moves into that function: its last truncation (by G,
//   SIRNN §5's rescaling) drops the extra bits too and its result is reduced to the narrower
//   ring, so the conversion's own truncation (one correlated OT, up to two rounds) goes away:
//   `convert::<E>(rsqrt(var))`. The function's result takes the conversion's type and the
//   conversion becomes local (same encoding). Exact in the twins: floor(floor(z / 2^G) / 2^t) =
//   floor(z / 2^(G + t)).
// - A division by a public constant of the sole use of a `sumsq` (`sumsq::<W>(xc) / d`) moves
//   into it (attribute `divisor`): the squares are extended straight into the division's wide
//   ring (stats.ts), so the division's own extension and its preparation flight go away. The
//   division becomes a local conversion to its own encoding (an identity). Exact in the twins:
//   the fused twin is div_sp's twin of sumsq's.
import type { IrOp, IrProgram } from '../ir/ir.ts';

const FUSABLE = new Set(['recip', 'rsqrt']);

const sameEnc = (a: IrOp['type']['enc'], b: IrOp['type']['enc']): boolean => JSON.stringify(a) === JSON.stringify(b);
/** Fractional bits of a value (0 for rings and integers). */
const scaleOf = (op: IrOp): number => (op.type.enc.kind === 'fix' ? op.type.enc.scale : 0);

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
  for (const op of p.ops) {
    if (op.op !== 'div_sp' || op.type.vis !== 'secret' || typeof op.attrs.divisor !== 'number') continue;
    const src = ops[op.args[0]];
    if (src.op !== 'sumsq' || uses.get(src.id) !== 1 || !sameEnc(src.type.enc, op.type.enc) || 2 * scaleOf(ops[src.args[0]]) > scaleOf(src)) continue;
    ops[src.id] = { ...src, attrs: { ...src.attrs, divisor: op.attrs.divisor } };
    ops[op.id] = { ...op, op: 'convert', args: [src.id], attrs: {} };
    fused++;
  }
  return { program: { ...p, ops }, fused };
}
