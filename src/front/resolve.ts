// Type expressions as written (AST) -> checked types, and dimension expressions -> symbolic dims.
import type { EncodingRef, Expr, TypeRef } from './ast.ts';
import { addDim, constDim, divDim, mulDim, subDim, type Dim } from './dims.ts';
import type { DiagnosticBag } from './diagnostics.ts';
import type { Scope } from './scope.ts';
import type { SourceFile } from './source.ts';
import { errorTy, type Enc, type TensorTy, type Ty, type Vis } from './types.ts';

export const VISIBILITIES: readonly string[] = ['public', 'secret', 'client', 'server'];

/** Look a dimension name up: returns its dim, or a reason it is not one. */
export type DimLookup = (name: string) => Dim | { error: string } | undefined;

export function scopeDimLookup(scope: Scope): DimLookup {
  return (name) => {
    const e = scope.lookup(name);
    if (!e) return undefined;
    if (e.kind === 'generic-dim') return e.dim;
    if (e.kind === 'var') {
      e.used = true;
      const t = e.ty;
      if (t.kind === 'tensor' && t.value && t.shape.length === 0) return t.value;
      if (t.kind === 'tensor' && t.vis !== 'public') return { error: `'${name}' is ${t.vis}: a dimension must be a public integer` };
      return { error: `'${name}' is not a dimension value (a public integer known before the run or revealed)` };
    }
    return { error: `'${name}' is not a dimension` };
  };
}

/** Evaluate a dimension expression. Reports diagnostics; returns null on error. */
export function evalDim(e: Expr, lookup: DimLookup, file: SourceFile, diags: DiagnosticBag | null): Dim | null {
  const fail = (code: string, msg: string, extra = {}) => {
    diags?.add(code, file, e.span, msg, extra);
    return null;
  };
  switch (e.kind) {
    case 'Int':
      return constDim(e.value);
    case 'Paren':
      return evalDim(e.inner, lookup, file, diags);
    case 'Name': {
      if (e.name === '<missing>') return null;
      const d = lookup(e.name);
      if (d === undefined) return fail('E0201', `unknown name '${e.name}'`);
      if ('error' in d) return fail('E0404', d.error);
      return d;
    }
    case 'Binary': {
      if (!['+', '-', '*', '/'].includes(e.op)) return fail('E0405', `'${e.op}' is not allowed in a dimension (use + - * /)`);
      const a = evalDim(e.left, lookup, file, diags);
      const b = evalDim(e.right, lookup, file, diags);
      if (!a || !b) return null;
      if (e.op === '+') return addDim(a, b);
      if (e.op === '-') return subDim(a, b);
      if (e.op === '*') return mulDim(a, b);
      const q = divDim(a, b);
      return q ?? fail('E0405', 'dimension division is not exact');
    }
    default:
      return fail('E0405', 'not a dimension expression: use integers, sizes and + - * /');
  }
}

export type EncLookup = (name: string) => Enc | { error: string } | undefined;

export function scopeEncLookup(scope: Scope): EncLookup {
  return (name) => {
    const e = scope.lookup(name);
    if (!e) return undefined;
    if (e.kind === 'alias') return e.enc;
    if (e.kind === 'generic-enc') return e.enc;
    return { error: `'${name}' is not an encoding` };
  };
}

/** Builtin encodings and aliases. Encoding arguments may name integer constants. */
export function resolveEncoding(ref: EncodingRef, encs: EncLookup, dims: DimLookup, file: SourceFile, diags: DiagnosticBag | null): Enc | null {
  const args: number[] = [];
  for (const a of ref.args) {
    if (typeof a.value === 'number') args.push(a.value);
    else {
      const d = dims(a.value);
      const v = d && !('error' in d) && d.terms.length <= 1 && d.terms.every((t) => t.syms.length === 0 && t.quots.length === 0) ? (d.terms[0]?.coef ?? 0) : null;
      if (v === null) {
        diags?.add('E0309', file, a.span, `encoding parameter '${a.value}' must be an integer constant`);
        return null;
      }
      args.push(v);
    }
  }
  const arity = (n: number): boolean => {
    if (args.length === n) return true;
    diags?.add('E0309', file, ref.span, `'${ref.name}' takes ${n} parameter${n === 1 ? '' : 's'}, found ${args.length}`);
    return false;
  };
  switch (ref.name) {
    case 'int':
    case 'bool':
      return arity(0) ? { kind: ref.name } : null;
    case 'ring': {
      if (!arity(1)) return null;
      const [ell] = args;
      if (!(ell >= 1 && ell <= 64)) return diags?.add('E0309', file, ref.span, `ring width must be 1..64, found ${ell}`), null;
      return { kind: 'ring', ell };
    }
    case 'fix': {
      if (!arity(2)) return null;
      const [ell, scale] = args;
      if (!(ell >= 2 && ell <= 64)) return diags?.add('E0309', file, ref.span, `fixed-point width must be 2..64, found ${ell}`), null;
      if (!(scale >= 0 && scale < ell)) return diags?.add('E0309', file, ref.span, `fixed-point scale must be 0..${ell - 1}, found ${scale}`), null;
      return { kind: 'fix', ell, scale };
    }
  }
  if (ref.name === '<missing>') return null;
  const found = encs(ref.name);
  if (found === undefined) {
    diags?.add('E0204', file, ref.span, `unknown encoding '${ref.name}'`, { suggestion: 'builtin encodings are int, bool, ring<l> and fix<l, s>; or declare `type NAME = ...`' });
    return null;
  }
  if ('error' in found) return diags?.add('E0204', file, ref.span, found.error), null;
  if (ref.args.length) return diags?.add('E0309', file, ref.span, `'${ref.name}' takes no parameters`), null;
  return found;
}

/** Resolve a written type in a scope (function bodies, let annotations, inputs). */
export function resolveType(ref: TypeRef, scope: Scope, file: SourceFile, diags: DiagnosticBag | null, extraDims?: DimLookup): Ty {
  const baseDims = scopeDimLookup(scope);
  const dims: DimLookup = extraDims ? (n) => extraDims(n) ?? baseDims(n) : baseDims;
  if (ref.kind === 'TupleType') {
    return { kind: 'tuple', fields: ref.fields.map((f) => ({ name: f.name, ty: resolveType(f.type, scope, file, diags, extraDims) })) };
  }
  let vis: Vis;
  if (VISIBILITIES.includes(ref.visibility)) vis = ref.visibility as Vis;
  else {
    const g = scope.lookup(ref.visibility);
    if (g?.kind === 'generic-vis') vis = g.vis;
    else {
      if (ref.visibility !== '<missing>') diags?.add('E0204', file, ref.span, `unknown visibility '${ref.visibility}'`, { suggestion: 'use public, secret, client or server' });
      return errorTy;
    }
  }
  const enc = resolveEncoding(ref.encoding, scopeEncLookup(scope), dims, file, diags);
  if (!enc) return errorTy;
  const shape: Dim[] = [];
  for (const item of ref.shape ?? []) {
    if (item.kind === 'Rest') {
      diags?.add('E0206', file, item.span, 'a rest shape `...S` is only allowed in `prim` signatures');
      return errorTy;
    }
    const d = evalDim(item.expr, dims, file, diags);
    if (!d) return errorTy;
    shape.push(d);
  }
  const t: TensorTy = { kind: 'tensor', vis, enc, shape };
  return t;
}
