// The plaintext reference interpreter: runs an IR program on opened values, in `fixed` mode
// (exactly the secure path's fixed-point semantics) or `float` mode (float64, to measure the
// approximation error). Sizes revealed at run time are bound as their reveals execute.
import { OpError, type IrOp, type IrProgram } from '../ir/ir.ts';
import { DimEnv, encodeInput, type InputValues } from '../ir/dim-env.ts';
import { RangeViolation, type RangeProbe } from '../crypto/ranges.ts';
import { opTable } from '../ir/ops/table.ts';
import type { Mode, Tensor } from '../ir/tensor.ts';

export class InterpretError extends OpError {
  override name = 'InterpretError';
  /** Set when an op's precondition failed (a value outside its safe range). */
  range?: RangeViolation['record'];
}

export interface InterpretResult {
  outputs: { id: number; to: 'client' | 'server'; tensor: Tensor }[];
  /** Every value computed, by SSA id (for comparing with the secure run op by op). */
  values: Tensor[];
  /** Sizes revealed during the run, by symbol name. */
  revealed: Record<string, number>;
  dims: DimEnv;
}

export interface InterpretOptions {
  /** Per op, a probe that receives its range checks instead of failing (calibrate). */
  probe?: (op: IrOp) => RangeProbe | undefined;
  /** Called after each op with every value so far (values[op.id] is the op's); a caller may
   * adjust values later ops read (src/interp/thresholds.ts sets thresholds as scores appear, and
   * recomputes what was computed from them, with `dims` for their sizes). */
  onValue?: (op: IrOp, values: Tensor[], dims: DimEnv) => void;
}

export function interpret(p: IrProgram, inputs: InputValues, mode: Mode, opts: InterpretOptions = {}): InterpretResult {
  const dims = new DimEnv();
  const values: Tensor[] = [];
  const missing = p.inputs.filter((i) => !(i.name in inputs)).map((i) => i.name);
  if (missing.length) throw new InterpretError(`missing input${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  for (const op of p.ops) {
    try {
      if (op.op === 'input') {
        values[op.id] = encodeInput(p, op.attrs.name as string, inputs[op.attrs.name as string], mode, dims);
        opts.onValue?.(op, values, dims);
        continue;
      }
      const twin = opTable.get(op.op)?.twin;
      if (!twin) throw new InterpretError(`no plaintext twin for op '${op.op}'`, op);
      const t = twin({ args: op.args.map((a) => values[a]), shape: dims.shape(op.type.shape), enc: op.type.enc, attrs: dims.attrs(op), mode, vis: op.type.vis, probe: opts.probe?.(op) });
      values[op.id] = t;
      opts.onValue?.(op, values, dims);
      dims.bindReveal(p, op.id, t.data);
    } catch (e) {
      if (e instanceof InterpretError && e.op) throw e;
      throw opFailure(e, op);
    }
  }
  return { outputs: p.outputs.map((o) => ({ id: o.id, to: o.to, tensor: values[o.id] })), values, revealed: dims.revealed, dims };
}

/** An op's failure as an InterpretError: a violated precondition names the op first. */
export function opFailure(e: unknown, op: IrOp): InterpretError {
  if (e instanceof RangeViolation) {
    const err = new InterpretError(`${op.op}: ${e.message}`, op);
    err.range = e.record;
    return err;
  }
  return new InterpretError((e as Error).message, op);
}
