// The IR: a model lowered to a straight-line SSA program of primitive ops (stdlib functions
// inlined, loops over public ranges unrolled, config sizes bound to numbers). Shapes are
// concrete numbers except sizes revealed at run time, which stay symbolic (one fresh symbol per
// reveal executed, e.g. `k@l=3`) until the run binds them.
import type { Dim, DimSymbol } from '../front/dims.ts';
import { showDim } from '../front/dims.ts';
import { showEnc, type Enc, type Vis } from '../front/types.ts';

export interface IrType {
  vis: Vis;
  enc: Enc;
  shape: Dim[];
}

/** Where an op comes from: source position and the chain of inlined calls and loop iterations. */
export interface Provenance {
  file: string;
  line: number;
  col: number;
  /** Inlined function calls, outermost first, e.g. ['bert.layer', 'nn.attention_probs']. */
  stack: string[];
  /** Enclosing loop iterations, e.g. ['l=3']. */
  loops: string[];
}

export interface IrOp {
  /** SSA id of the op's result. */
  id: number;
  /** An op-table name: a prelude prim (`add`, `matmul_sx`, ...) or a builtin (`input`, `const`, ...). */
  op: string;
  args: number[];
  attrs: Record<string, unknown>;
  type: IrType;
  where: Provenance;
}

export interface IrInput {
  name: string;
  owner: 'client' | 'server';
  source: string | null;
  id: number;
  type: IrType;
}

export interface IrOutput {
  id: number;
  to: 'client' | 'server';
  where: Provenance;
}

export interface IrProgram {
  model: string;
  /** Bound config sizes. */
  config: Record<string, number>;
  ops: IrOp[];
  inputs: IrInput[];
  outputs: IrOutput[];
  /** Sizes revealed at run time, in order of the reveals that produce them. */
  runtimeDims: { symbol: DimSymbol; op: number }[];
  /**
   * Exact mode (docs/tuning.md, "Exact mode"): every secure truncation floors exactly, so every
   * op equals its fixed-point twin bit for bit (the run costs more). Public and part of the
   * program's identity: the IR text and so the program hash name it, and the parties compare it.
   */
  exact?: boolean;
}

/** `%id = op (file:line:col, loop iterations, in the inlined calls)`: where an op comes from, for
 * error messages, e.g. `%140 = mul_ss (stdlib/nn.cpl:19:22, l=3, in bert.layer > nn.layernorm)`. */
export function opLocation(op: IrOp): string {
  const w = op.where;
  return `%${op.id} = ${op.op} (${w.file}:${w.line}:${w.col}${w.loops.length ? ', ' + w.loops.join(' ') : ''}${w.stack.length ? ', in ' + w.stack.join(' > ') : ''})`;
}

/** An error raised while running an op; the message ends with the op's location. */
export class OpError extends Error {
  readonly op?: IrOp;
  constructor(message: string, op?: IrOp) {
    super(op ? `${message}\n  at ${opLocation(op)}` : message);
    this.op = op;
  }
}

export const showType = (t: IrType): string => `${t.vis} ${showEnc(t.enc)}${t.shape.length ? `[${t.shape.map(showDim).join(', ')}]` : ''}`;

/** An attribute value as the IR text shows it (sizes symbolic). */
export function showAttr(v: unknown): string {
  if (v && typeof v === 'object' && 'terms' in (v as object)) return showDim(v as Dim);
  if (Array.isArray(v)) return `[${v.map(showAttr).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v && typeof v === 'object' && 'kind' in (v as object)) return showEnc(v as Enc);
  return String(v);
}

/**
 * The IR text form (`cipherprune compile --emit ir`): one op per line. `where: false` leaves out
 * source positions and lists the config sorted: the canonical form that `programHash` hashes.
 */
export function formatIr(p: IrProgram, opts: { where?: boolean } = {}): string {
  const showWhere = opts.where ?? true;
  const config = Object.entries(p.config);
  if (!showWhere) config.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = [`model ${p.model}`, `config ${config.map(([k, v]) => `${k}=${v}`).join(' ')}`, ...(p.exact ? ['mode exact'] : [])];
  for (const op of p.ops) {
    const attrs = Object.entries(op.attrs)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${showAttr(v)}`);
    const args = op.args.map((a) => `%${a}`).join(', ');
    const where = `${op.where.file}:${op.where.line}:${op.where.col}${op.where.loops.length ? ' ' + op.where.loops.join(' ') : ''}`;
    lines.push(`  %${op.id} = ${op.op}(${args})${attrs.length ? ' {' + attrs.join(', ') + '}' : ''} : ${showType(op.type)}${showWhere ? `  # ${where}` : ''}`);
  }
  for (const o of p.outputs) lines.push(`  output %${o.id} to ${o.to}`);
  return lines.join('\n') + '\n';
}
