// Checked types: visibility x encoding x shape, tuples, and an error type that silences
// follow-on diagnostics. docs/language.md §Types.
import { showDim, type Dim } from './dims.ts';

export type Vis = 'public' | 'client' | 'server' | 'secret';

export type Enc =
  | { kind: 'int' }
  | { kind: 'bool' }
  | { kind: 'ring'; ell: number }
  | { kind: 'fix'; ell: number; scale: number }
  /** The type of a number literal: adapts to the encoding it meets (ints to any number encoding). */
  | { kind: 'lit'; float: boolean }
  /** An encoding parameter inside a generic function's body: equal only to itself. */
  | { kind: 'param'; name: string; id: number };

export interface TensorTy {
  kind: 'tensor';
  vis: Vis;
  enc: Enc;
  /** [] for a scalar. */
  shape: Dim[];
  /** For public int scalars whose value is known as a dimension (constants, config sizes, reveals). */
  value?: Dim;
}
export interface TupleTy {
  kind: 'tuple';
  fields: { name: string | null; ty: Ty }[];
}
export type Ty = TensorTy | TupleTy | { kind: 'error' };

export const errorTy: Ty = { kind: 'error' };
export const tensor = (vis: Vis, enc: Enc, shape: Dim[] = []): TensorTy => ({ kind: 'tensor', vis, enc, shape });

// Visibility lattice: public < client, server < secret.
export function visLeq(a: Vis, b: Vis): boolean {
  return a === b || a === 'public' || b === 'secret';
}
export function visJoin(a: Vis, b: Vis): Vis {
  if (visLeq(a, b)) return b;
  if (visLeq(b, a)) return a;
  return 'secret';
}

export function encEq(a: Enc, b: Enc): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'ring' && b.kind === 'ring') return a.ell === b.ell;
  if (a.kind === 'fix' && b.kind === 'fix') return a.ell === b.ell && a.scale === b.scale;
  if (a.kind === 'lit' && b.kind === 'lit') return a.float === b.float;
  if (a.kind === 'param' && b.kind === 'param') return a.id === b.id;
  return true;
}

/** Can a value of encoding `a` be used where `b` is expected? Literals adapt; integers convert
 * to ring elements and fixed point (an integer v becomes v * 2^s, a local operation). */
export function encFits(a: Enc, b: Enc): boolean {
  if (a.kind === 'int' && (b.kind === 'ring' || b.kind === 'fix' || b.kind === 'param')) return true;
  if (a.kind === 'lit' && b.kind === 'param') return true;
  if (a.kind === 'lit') {
    if (b.kind === 'lit') return a.float ? b.float : true;
    return a.float ? b.kind === 'fix' : b.kind === 'int' || b.kind === 'ring' || b.kind === 'fix';
  }
  return encEq(a, b);
}

export function showEnc(e: Enc): string {
  switch (e.kind) {
    case 'ring':
      return `ring<${e.ell}>`;
    case 'fix':
      return `fix<${e.ell}, ${e.scale}>`;
    case 'lit':
      return e.float ? 'number' : 'integer';
    case 'param':
      return e.name;
    default:
      return e.kind;
  }
}

export const showShape = (shape: Dim[]): string => `[${shape.map(showDim).join(', ')}]`;

export function showTy(t: Ty): string {
  switch (t.kind) {
    case 'error':
      return '<error>';
    case 'tuple':
      return `(${t.fields.map((f) => (f.name ? `${f.name}: ` : '') + showTy(f.ty)).join(', ')})`;
    case 'tensor':
      return `${t.vis} ${showEnc(t.enc)}${t.shape.length ? showShape(t.shape) : ''}`;
  }
}


/** Width in bits of one element (for the leak report's sizes). */
export function encBits(e: Enc): number {
  switch (e.kind) {
    case 'bool':
      return 1;
    case 'int':
      return 64;
    case 'ring':
    case 'fix':
      return e.ell;
    case 'lit':
    case 'param':
      return 64;
  }
}
