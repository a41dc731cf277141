// Sizes of a run: config sizes are bound at lowering; sizes revealed at run time are bound here
// as their reveals execute (by the interpreter, the executor, or assumed for a cost prediction).
// Also the encoding of a party's input values for its declared type.
import { constValue, substDim, constDim, type Dim, type DimSymbol } from '../front/dims.ts';
import { OpError, showType, type IrOp, type IrProgram } from './ir.ts';
import { encodeReal } from './values.ts';
import { size, type Mode, type Tensor } from './tensor.ts';

/** Input values: real numbers (flat, row-major) for each input name. */
export type InputValues = Record<string, ArrayLike<number>>;

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
    if (v === null) throw new OpError(`size ${JSON.stringify(d)} is not known yet`);
    return v;
  }
  shape(dims: Dim[]): number[] {
    return dims.map((d) => this.eval(d));
  }
  /** Op attributes with sizes evaluated to numbers. */
  attrs(op: IrOp): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(op.attrs)) {
      if (isDim(v)) out[k] = this.eval(v);
      else if (Array.isArray(v) && v.every(isDim)) out[k] = v.map((x) => this.eval(x));
      else out[k] = v;
    }
    return out;
  }
}

const isDim = (v: unknown): v is Dim => !!v && typeof v === 'object' && 'terms' in v;

/** Every size an op's type and attributes mention (what `shape` and `attrs` evaluate). */
export function opDims(op: IrOp): Dim[] {
  const out = [...op.type.shape];
  for (const v of Object.values(op.attrs)) {
    if (isDim(v)) out.push(v);
    else if (Array.isArray(v) && v.every(isDim)) out.push(...v);
  }
  return out;
}

/** Encode one named input's real values for its declared type; checks the element count. */
export function encodeInput(p: IrProgram, name: string, values: ArrayLike<number>, mode: Mode, dims = new DimEnv()): Tensor {
  const inp = p.inputs.find((i) => i.name === name);
  if (!inp) throw new OpError(`the program has no input '${name}' (inputs: ${p.inputs.map((i) => i.name).join(', ')})`);
  const shape = dims.shape(inp.type.shape);
  if (values.length !== size(shape)) {
    throw new OpError(`input '${name}' has ${values.length} values, but ${showType(inp.type)} needs ${size(shape)}`);
  }
  try {
    return { shape, enc: inp.type.enc, data: encodeReal(values, inp.type.enc, mode, (i) => `input '${name}' element ${i}${shape.length > 1 ? ` (${unflatten(i, shape)})` : ''}`) };
  } catch (e) {
    throw new OpError(`${(e as Error).message} (${showType(inp.type)})`);
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
