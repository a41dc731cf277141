// The plaintext reference interpreter: runs an IR program on opened values, in `fixed` mode
// (exactly the secure path's fixed-point semantics) or `float` mode (float64, to measure the
// approximation error). Sizes revealed at run time are bound as their reveals execute.
import { constValue, substDim, constDim, type Dim, type DimSymbol } from '../front/dims.ts';
import { OpError, showType, type IrOp, type IrProgram } from '../ir/ir.ts';
import { encodeReal } from './values.ts';
import { RangeViolation, type RangeProbe } from '../crypto/ranges.ts';
import { opTable } from '../ir/ops/table.ts';
import { size, type Mode, type Tensor } from './tensor.ts';

/** Input values: real numbers (flat, row-major) for each input name. */
export type InputValues = Record<string, ArrayLike<number>>;

export class InterpretError extends OpError {
  override name = 'InterpretError';
  /** Set when an op's precondition failed (a value outside its safe range). */
  range?: RangeViolation['record'];
}

export class DimEnv {
  readonly values = new Map<DimSymbol, number>();
  /** Sizes revealed during a run, by symbol name (e.g. `k@l=0`). */
  readonly revealed: Record<string, number> = {};

  /** After op `id` produced `data`: if it is a reveal that sizes later tensors, bind that size. */
  bindReveal(p: IrProgram, id: number, data: ArrayLike<number | bigint> | null): void {
    const rd = p.runtimeDims.find((r) => r.op === id);
    if (!rd || !data) return;
    const v = Number(data[0]);
    this.values.set(rd.symbol, v);
    this.revealed[rd.symbol.name] = v;
  }

  eval(d: Dim): number {
    const v = constValue(substDim(d, (s) => (this.values.has(s) ? constDim(this.values.get(s)!) : undefined)));
    if (v === null) throw new InterpretError(`size ${JSON.stringify(d)} is not known yet`);
    return v;
  }
  shape(dims: Dim[]): number[] {
    return dims.map((d) => this.eval(d));
  }
  /** Op attributes with sizes evaluated to numbers. */
  attrs(op: IrOp): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(op.attrs)) {
      if (v && typeof v === 'object' && 'terms' in (v as object)) out[k] = this.eval(v as Dim);
      else if (Array.isArray(v) && v.every((x) => x && typeof x === 'object' && 'terms' in x)) out[k] = v.map((x) => this.eval(x as Dim));
      else out[k] = v;
    }
    return out;
  }
}

/** Encode one named input's real values for its declared type; checks the element count. */
export function encodeInput(p: IrProgram, name: string, values: ArrayLike<number>, mode: Mode, dims = new DimEnv()): Tensor {
  const inp = p.inputs.find((i) => i.name === name);
  if (!inp) throw new InterpretError(`the program has no input '${name}' (inputs: ${p.inputs.map((i) => i.name).join(', ')})`);
  const shape = dims.shape(inp.type.shape);
  if (values.length !== size(shape)) {
    throw new InterpretError(`input '${name}' has ${values.length} values, but ${showType(inp.type)} needs ${size(shape)}`);
  }
  try {
    return { shape, enc: inp.type.enc, data: encodeReal(values, inp.type.enc, mode, (i) => `input '${name}' element ${i}${shape.length > 1 ? ` (${unflatten(i, shape)})` : ''}`) };
  } catch (e) {
    throw new InterpretError(`${(e as Error).message} (${showType(inp.type)})`);
  }
}

/** Index i of a row-major tensor as coordinates, e.g. [2, 5]. */
function unflatten(i: number, shape: number[]): string {
  const c: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    c.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return `[${c.join(', ')}]`;
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
        continue;
      }
      const twin = opTable.get(op.op)?.twin;
      if (!twin) throw new InterpretError(`no plaintext twin for op '${op.op}'`, op);
      const t = twin({ args: op.args.map((a) => values[a]), shape: dims.shape(op.type.shape), enc: op.type.enc, attrs: dims.attrs(op), mode, vis: op.type.vis, probe: opts.probe?.(op) });
      values[op.id] = t;
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
