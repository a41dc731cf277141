// Matching a call's arguments against a `prim` or `fn` signature: binds generic dimensions,
// rest shapes, encodings and visibilities, checks the visibility lattice and shapes, and builds
// the result type. A result tuple field `k: public int` that no argument determines becomes a
// fresh dimension (a dependent result: `-> (k: public int, y: secret E[k, d])`).
import type { DimItem, Expr, FnItem, GenericArg, Span, TypeRef } from './ast.ts';
import { constDim, constValue, dimEq, dimSymbols, freshSymbol, mulDim, showDim, symDim, type Dim } from './dims.ts';
import type { SourceFile } from './source.ts';
import { DiagnosticBag } from './diagnostics.ts';
import type { Module } from './modules.ts';
import type { FnEntity } from './scope.ts';
import { evalDim, resolveEncoding, VISIBILITIES, type DimLookup, type EncLookup } from './resolve.ts';
import { encFits, showEnc, showShape, showTy, visJoin, visLeq, type Enc, type TensorTy, type Ty, type Vis } from './types.ts';

export interface Arg {
  ty: Ty;
  span: Span;
}

export interface MatchError {
  code: string;
  message: string;
  /** Index of the offending argument, if any. */
  arg?: number;
  suggestion?: string;
  /** Dimensions involved in a shape mismatch (their origins become notes). */
  dims?: Dim[];
}

export interface Bindings {
  dims: Map<string, Dim>;
  rests: Map<string, Dim[]>;
  encs: Map<string, Enc>;
  vis: Map<string, Vis>;
  /** `F: unary` parameters: the function passed for each. */
  fns: Map<string, FnEntity>;
}

/** How to read names in a signature that are not generics: the defining module's aliases and constants. */
export interface SigContext {
  module: Module;
  encs: EncLookup;
  dims: DimLookup;
  /** Resolve an explicit dimension argument at the call site. */
  callDims: DimLookup;
  callEncs: EncLookup;
  /** Resolve a function passed for an `F: unary` parameter at the call site. */
  callFns?: (name: string) => FnEntity | undefined;
}

type Outcome = { ok: true; result: Ty; bindings: Bindings } | { ok: false; err: MatchError };

/** Notes that say where the symbolic dimensions in a mismatch come from. */
export function dimNotes(dims: Dim[]): { message: string; file?: SourceFile; span?: Span }[] {
  const seen = new Set<number>();
  const notes: { message: string; file?: SourceFile; span?: Span }[] = [];
  for (const s of dims.flatMap(dimSymbols)) {
    if (seen.has(s.id)) continue;
    seen.add(s.id);
    const what: Record<string, string> = {
      reveal: `'${s.name}' is a count revealed here; tensors sized by it differ from the unpruned ones`,
      result: `'${s.name}' is a size returned by a call here`,
      param: `'${s.name}' is a dimension parameter declared here`,
      config: `'${s.name}' is a config size declared here`,
      loop: `'${s.name}' is a loop variable`,
      'loop-carried': `'${s.name}' is a size that changes between loop iterations`,
    };
    const message = what[s.origin];
    if (message) notes.push({ message, file: s.at?.file, span: s.at ? { start: s.at.start, end: s.at.end } : undefined });
  }
  return notes;
}

export function instantiate(fn: FnItem, args: Arg[], explicit: GenericArg[], ctx: SigContext): Outcome {
  const b: Bindings = { dims: new Map(), rests: new Map(), encs: new Map(), vis: new Map(), fns: new Map() };
  const kinds = new Map(fn.generics.map((g) => [g.name, g.kind]));
  const elementwise = fn.attributes.some((a) => a.name === 'elementwise');
  const fail = (code: string, message: string, arg?: number, suggestion?: string): Outcome => ({ ok: false, err: { code, message, arg, suggestion } });
  const file = ctx.module.file;

  // 1. Explicit generic arguments bind in declaration order.
  if (explicit.length > fn.generics.length) return fail('E0303', `'${fn.name}' takes ${fn.generics.length} generic argument(s), found ${explicit.length}`);
  for (let i = 0; i < explicit.length; i++) {
    const g = fn.generics[i];
    const a = explicit[i];
    if (g.kind === 'dim' && a.kind === 'DimArg') {
      const probe = new DiagnosticBag();
      const d = evalDim(a.expr, ctx.callDims, file, probe);
      if (!d) {
        const why = probe.items[0];
        return why ? fail(why.code, `generic argument ${i + 1} of '${fn.name}': ${why.message}`, undefined, why.code === 'E0404' ? 'reveal it first (the reveal is recorded in the leak report)' : undefined) : fail('E0311', `generic argument ${i + 1} of '${fn.name}' is not a dimension value`);
      }
      b.dims.set(g.name, d);
    } else if ((g.kind === 'enc' || g.kind === 'num') && (a.kind === 'EncArg' || (a.kind === 'DimArg' && a.expr.kind === 'Name'))) {
      const ref = a.kind === 'EncArg' ? a.encoding : { kind: 'EncodingRef' as const, name: (a.expr as { name: string }).name, args: [], span: a.span };
      const e = resolveEncoding(ref, ctx.callEncs, ctx.callDims, file, null);
      if (!e) return fail('E0204', `generic argument ${i + 1} of '${fn.name}' is not an encoding`);
      if (g.kind === 'num' && e.kind === 'bool') return fail('E0301', `generic argument ${i + 1} of '${fn.name}' must be an encoding of numbers, not bool`);
      b.encs.set(g.name, e);
    } else if (g.kind === 'shape' && a.kind === 'ShapeArg') {
      const dims: Dim[] = [];
      for (const item of a.dims) {
        const d = item.kind === 'DimExpr' ? evalDim(item.expr, ctx.callDims, file, null) : null;
        if (!d) return fail('E0311', `generic argument ${i + 1} of '${fn.name}' must be a shape of dimension values`);
        dims.push(d);
      }
      b.rests.set(g.name, dims);
    } else if (g.kind === 'unary' && (a.kind === 'EncArg' || (a.kind === 'DimArg' && a.expr.kind === 'Name'))) {
      const name = a.kind === 'EncArg' ? a.encoding.name : (a.expr as { name: string }).name;
      const f = ctx.callFns?.(name);
      const bad = f ? unaryProblem(f, ctx) : `'${name}' is not a function`;
      if (bad) return fail('E0301', `generic argument ${i + 1} of '${fn.name}' must be a function of one argument that keeps its encoding and shape: ${bad}`, undefined, 'e.g. relu, silu, sigmoid, gelu_hi, gelu_lo, tanh, exp_hi, or a `fn` of one secret tensor');
      b.fns.set(g.name, f!);
    } else return fail('E0301', `generic argument ${i + 1} of '${fn.name}' must be a ${g.kind === 'shape' ? 'shape' : g.kind === 'enc' || g.kind === 'num' ? 'encoding' : g.kind === 'dim' ? 'dimension' : 'visibility'}`);
  }

  if (args.length !== fn.params.length) {
    return fail('E0303', `'${fn.name}' takes ${fn.params.length} argument${fn.params.length === 1 ? '' : 's'}, found ${args.length}`);
  }

  const visSeen = new Map<string, Vis[]>();
  const deferred: { expr: Expr; actual: Dim; arg: number; shape: Dim[] }[] = [];
  const broadcastShapes: { shape: Dim[]; arg: number }[] = [];
  const litEncs: { name: string; enc: Enc; arg: number }[] = [];

  // 2. Parameters, left to right.
  for (let i = 0; i < fn.params.length; i++) {
    const p = fn.params[i];
    const a = args[i].ty;
    if (a.kind === 'error') continue;
    if (p.type.kind === 'TupleType') return fail('E0301', `parameter '${p.name}' has a tuple type, which is not supported`, i);
    if (a.kind === 'tuple') return fail('E0301', `argument ${i + 1} of '${fn.name}' is a tuple ${showTy(a)}; destructure it with \`let (a, b) = ...\``, i);
    const pt = p.type;
    // visibility
    if (kinds.get(pt.visibility) === 'vis' || kinds.get(pt.visibility) === 'party' || kinds.get(pt.visibility) === 'plain') {
      visSeen.set(pt.visibility, [...(visSeen.get(pt.visibility) ?? []), a.vis]);
    } else if (VISIBILITIES.includes(pt.visibility)) {
      const want = pt.visibility as Vis;
      if (!visLeq(a.vis, want)) return fail(visCode(a.vis, want), `argument ${i + 1} of '${fn.name}' is ${a.vis} but parameter '${p.name}' is ${want}`, i, visHelp(a.vis, want));
    }
    // encoding
    const encName = pt.encoding.name;
    if (kinds.get(encName) === 'num' && a.enc.kind === 'bool') {
      return fail('E0301', `argument ${i + 1} of '${fn.name}' is bool, but '${fn.name}' works on numbers`, i, BOOL_HINT);
    }
    if (kinds.get(encName) === 'enc' || kinds.get(encName) === 'num') {
      if (a.enc.kind === 'lit' || a.enc.kind === 'int') litEncs.push({ name: encName, enc: a.enc, arg: i });
      else {
        const prev = b.encs.get(encName);
        if (!prev) b.encs.set(encName, a.enc);
        else if (!encFits(a.enc, prev)) return fail('E0301', `argument ${i + 1} of '${fn.name}' is ${showEnc(a.enc)}, expected ${showEnc(prev)}`, i);
      }
    } else {
      const want = resolveEncoding(pt.encoding, ctx.encs, sigDims(b, ctx), file, null);
      if (want && !encFits(a.enc, want)) return fail('E0301', `argument ${i + 1} of '${fn.name}' is ${showEnc(a.enc)}, expected ${showEnc(want)}`, i);
    }
    // value parameters (public int scalars) name dimensions
    if (pt.shape === null && a.value && !b.dims.has(p.name)) b.dims.set(p.name, a.value);
    // shape
    if (pt.shape === null) {
      if (a.shape.length !== 0) return fail('E0402', `argument ${i + 1} of '${fn.name}' must be a scalar, found shape ${showShape(a.shape)}`, i);
      continue;
    }
    if (elementwise && pt.shape.length === 1 && pt.shape[0].kind === 'Rest') {
      broadcastShapes.push({ shape: a.shape, arg: i });
      continue;
    }
    const r = matchShape(pt.shape, a.shape, kinds, b, i, deferred);
    if (r) return { ok: false, err: { code: r.code, message: `argument ${i + 1} of '${fn.name}': ${r.message}`, arg: i, dims: a.shape } };
  }

  // 3. Visibility generics: the join of what was passed, within the kind's bounds.
  for (const g of fn.generics) {
    if (g.kind !== 'vis' && g.kind !== 'party' && g.kind !== 'plain') continue;
    const seen = visSeen.get(g.name) ?? [];
    const v = seen.reduce<Vis>((acc, x) => visJoin(acc, x), 'public');
    if (g.kind === 'party' && v !== 'client' && v !== 'server') return fail('E0302', `'${fn.name}' needs a value private to one party for ${g.name}, found ${v}`);
    if (g.kind === 'plain' && v === 'secret') return fail('E0302', `'${fn.name}' works on values one party can see; found secret`);
    b.vis.set(g.name, v);
  }
  // Encodings known only from literals.
  for (const l of litEncs.sort((x, y) => (x.enc.kind === 'int' ? 0 : 1) - (y.enc.kind === 'int' ? 0 : 1))) {
    const prev = b.encs.get(l.name);
    if (!prev || (prev.kind === 'lit' && l.enc.kind === 'int')) b.encs.set(l.name, l.enc);
    else if (!encFits(l.enc, prev)) return fail('E0301', `argument ${l.arg + 1} of '${fn.name}' is ${showEnc(l.enc)}, expected ${showEnc(prev)}`, l.arg);
  }
  // 4. Broadcasting for elementwise ops.
  if (broadcastShapes.length) {
    const restName = (fn.params.find((p) => p.type.kind === 'TensorType' && p.type.shape?.[0]?.kind === 'Rest')!.type as { shape: DimItem[] }).shape[0] as { name: string };
    let acc: Dim[] = [];
    for (const s of broadcastShapes) {
      const r = broadcast(acc, s.shape);
      if (!r) return { ok: false, err: { code: 'E0401', message: `cannot broadcast ${showShape(acc)} with ${showShape(s.shape)} (argument ${s.arg + 1} of '${fn.name}')`, arg: s.arg, dims: broadcastConflict(acc, s.shape) } };
      acc = r;
    }
    b.rests.set(restName.name, acc);
  }
  // 5. Deferred dimension equalities.
  for (const d of deferred) {
    const want = evalDim(d.expr, sigDims(b, ctx), file, null);
    if (!want) return fail('E0312', `cannot infer the dimensions of argument ${d.arg + 1} of '${fn.name}'`, d.arg);
    if (!dimEq(want, d.actual)) {
      return { ok: false, err: { code: 'E0401', message: `argument ${d.arg + 1} of '${fn.name}' has shape ${showShape(d.shape)}, where ${showDimPair(want, d.actual)}`, arg: d.arg, dims: [want, d.actual] } };
    }
  }
  // 6. The result.
  if (!fn.result) return { ok: true, result: { kind: 'tuple', fields: [] }, bindings: b };
  const result = buildResult(fn.result, b, ctx, fn);
  if ('err' in result) return { ok: false, err: result.err };
  // `@same_size` (reshape): the result has as many elements as the first argument.
  if (fn.attributes.some((a) => a.name === 'same_size') && result.ty.kind === 'tensor' && args[0]?.ty.kind === 'tensor') {
    const count = (shape: Dim[]) => shape.reduce((acc, d) => mulDim(acc, d), constDim(1));
    const have = count(args[0].ty.shape), want = count(result.ty.shape);
    if (!dimEq(have, want)) {
      return { ok: false, err: { code: 'E0401', message: `'${fn.name}' cannot make ${showShape(args[0].ty.shape)} (${showDim(have)} elements) into ${showShape(result.ty.shape)} (${showDim(want)} elements)`, arg: 0, dims: [have, want] } };
    }
  }
  return { ok: true, result: result.ty, bindings: b };
}

/** What to do with booleans where numbers are needed (sums of XOR-shared bits would be wrong). */
export const BOOL_HINT = 'booleans are not numbers (secret ones are XOR-shared bits): convert them with `convert::<int>(b)` (one boolean-to-arithmetic conversion per element), or count the true values with `count(b)`';

function showDimPair(want: Dim, got: Dim): string {
  return `'${showShape([want]).slice(1, -1)}' is required but '${showShape([got]).slice(1, -1)}' was found`;
}

const visCode = (have: Vis, want: Vis): string => (have === 'secret' ? 'E0501' : 'E0506');
function visHelp(have: Vis, want: Vis): string | undefined {
  if (have === 'secret' && want === 'public') return 'declassify it explicitly with `reveal`, which is recorded in the leak report';
  if (have === 'secret') return `use \`reveal ... to ${want}\` if ${want} may learn it`;
  return undefined;
}

function sigDims(b: Bindings, ctx: SigContext): DimLookup {
  return (name) => b.dims.get(name) ?? ctx.dims(name);
}

function matchShape(
  items: DimItem[],
  shape: Dim[],
  kinds: Map<string, string>,
  b: Bindings,
  arg: number,
  deferred: { expr: Expr; actual: Dim; arg: number; shape: Dim[] }[],
): { code: string; message: string } | null {
  const restAt = items.findIndex((i) => i.kind === 'Rest');
  const fixed = items.length - (restAt >= 0 ? 1 : 0);
  if (restAt < 0 ? shape.length !== fixed : shape.length < fixed) {
    const want = restAt < 0 ? `${fixed}` : `at least ${fixed}`;
    return { code: 'E0402', message: `expected a tensor of rank ${want}, found shape ${showShape(shape)} (rank ${shape.length})` };
  }
  const pairs: [DimItem, Dim][] = [];
  if (restAt < 0) items.forEach((it, k) => pairs.push([it, shape[k]]));
  else {
    for (let k = 0; k < restAt; k++) pairs.push([items[k], shape[k]]);
    const tail = items.length - restAt - 1;
    for (let k = 0; k < tail; k++) pairs.push([items[restAt + 1 + k], shape[shape.length - tail + k]]);
    const rest = shape.slice(restAt, shape.length - tail);
    const name = (items[restAt] as { name: string }).name;
    const prev = b.rests.get(name);
    if (!prev) b.rests.set(name, rest);
    else if (prev.length !== rest.length || !prev.every((d, k) => dimEq(d, rest[k]))) {
      return { code: 'E0401', message: `shape ${showShape(shape)} does not match ${name} = ${showShape(prev)}` };
    }
  }
  for (const [it, actual] of pairs) {
    if (it.kind !== 'DimExpr') continue;
    const e = it.expr;
    if (e.kind === 'Name' && kinds.get(e.name) === 'dim' && !b.dims.has(e.name)) b.dims.set(e.name, actual);
    else deferred.push({ expr: e, actual, arg, shape });
  }
  return null;
}

/** NumPy-style broadcast: trailing alignment; equal dims, or one side is 1 or missing. */
export function broadcast(a: Dim[], c: Dim[]): Dim[] | null {
  const n = Math.max(a.length, c.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i];
    const y = c[c.length - n + i];
    if (!x) out.push(y);
    else if (!y) out.push(x);
    else if (dimEq(x, y)) out.push(x);
    else if (constValue(x) === 1) out.push(y);
    else if (constValue(y) === 1) out.push(x);
    else return null;
  }
  return out;
}

/** The first pair of dimensions that stops a broadcast. */
function broadcastConflict(a: Dim[], c: Dim[]): Dim[] {
  const n = Math.max(a.length, c.length);
  for (let i = n - 1; i >= 0; i--) {
    const x = a[a.length - n + i];
    const y = c[c.length - n + i];
    if (x && y && !broadcast([x], [y])) return [x, y];
  }
  return [];
}

export function buildResult(ref: TypeRef, b: Bindings, ctx: SigContext, fn: FnItem): { ty: Ty } | { err: MatchError } {
  if (ref.kind === 'TupleType') {
    const fields: { name: string | null; ty: Ty }[] = [];
    for (const f of ref.fields) {
      // A named public int field that no argument fixed is a fresh, dependent dimension.
      let value: Dim | undefined;
      if (f.name && f.type.kind === 'TensorType' && f.type.shape === null && !b.dims.has(f.name)) {
        value = symDim(freshSymbol(f.name, 'result'));
        b.dims.set(f.name, value);
      }
      const r = buildResult(f.type, b, ctx, fn);
      if ('err' in r) return r;
      if (value && r.ty.kind === 'tensor') (r.ty as TensorTy).value = value;
      fields.push({ name: f.name, ty: r.ty });
    }
    return { ty: { kind: 'tuple', fields } };
  }
  let vis: Vis;
  if (VISIBILITIES.includes(ref.visibility)) vis = ref.visibility as Vis;
  else vis = b.vis.get(ref.visibility) ?? 'public';
  const enc = b.encs.get(ref.encoding.name) ?? resolveEncoding(ref.encoding, ctx.encs, sigDims(b, ctx), ctx.module.file, null);
  if (!enc) return { err: { code: 'E0312', message: `cannot infer the encoding of the result of '${fn.name}'`, suggestion: `give it explicitly: ${fn.name}::<...>(...)` } };
  const shape: Dim[] = [];
  for (const item of ref.shape ?? []) {
    if (item.kind === 'Rest') {
      const r = b.rests.get(item.name);
      if (!r) return { err: { code: 'E0312', message: `cannot infer the shape ${item.name} of the result of '${fn.name}'`, suggestion: `give it explicitly: ${fn.name}::<...>(...)` } };
      shape.push(...r);
      continue;
    }
    const d = evalDim(item.expr, sigDims(b, ctx), ctx.module.file, null);
    if (!d) return { err: { code: 'E0312', message: `cannot infer the result dimensions of '${fn.name}'`, suggestion: `give them explicitly: ${fn.name}::<...>(...)` } };
    shape.push(d);
  }
  return { ty: { kind: 'tensor', vis, enc, shape } };
}

/** Is a value of type `have` acceptable where `want` is declared (let annotations, returns)? */
export function assignable(have: Ty, want: Ty): { code: string; message: string; suggestion?: string; dims?: Dim[] } | null {
  if (have.kind === 'error' || want.kind === 'error') return null;
  if (have.kind === 'tuple' || want.kind === 'tuple') {
    if (have.kind !== 'tuple' || want.kind !== 'tuple') return { code: 'E0301', message: `expected ${showTy(want)}, found ${showTy(have)}` };
    if (have.fields.length !== want.fields.length) return { code: 'E0305', message: `expected a tuple of ${want.fields.length}, found ${have.fields.length}` };
    for (let i = 0; i < have.fields.length; i++) {
      const r = assignable(have.fields[i].ty, want.fields[i].ty);
      if (r) return { ...r, message: `tuple element ${i + 1}: ${r.message}` };
    }
    return null;
  }
  if (!visLeq(have.vis, want.vis)) {
    return { code: visCode(have.vis, want.vis), message: `a ${have.vis} value cannot be used as ${want.vis}`, suggestion: visHelp(have.vis, want.vis) };
  }
  if (!encFits(have.enc, want.enc)) return { code: 'E0301', message: `expected ${showEnc(want.enc)}, found ${showEnc(have.enc)}` };
  if (have.shape.length !== want.shape.length) return { code: 'E0402', message: `expected shape ${showShape(want.shape)}, found ${showShape(have.shape)}` };
  for (let i = 0; i < have.shape.length; i++) {
    if (!dimEq(have.shape[i], want.shape[i])) {
      return { code: 'E0401', message: `expected shape ${showShape(want.shape)}, found ${showShape(have.shape)}`, dims: [have.shape[i], want.shape[i]] };
    }
  }
  return null;
}

/** Why `f` cannot be passed for an `F: unary` parameter (null if it can). A primitive applied to
 * a secret `fix<32, 12>[2, 3]` must give a secret value of that encoding and shape; a `fn` must
 * declare its result with its parameter's type, secret. */
function unaryProblem(f: FnEntity, ctx: SigContext): string | null {
  const item = f.item;
  if (item.params.length !== 1) return `'${item.name}' takes ${item.params.length} arguments`;
  if (item.generics.some((g) => g.kind === 'unary')) return `'${item.name}' takes a function itself`;
  if (!item.prim) {
    const text = (t: TypeRef | null) => (t ? f.module.file.slice(t.span).replace(/\s+/g, ' ') : '');
    const param = item.params[0].type;
    if (param.kind !== 'TensorType' || param.visibility !== 'secret' || text(param) !== text(item.result)) return `'${item.name}' maps ${text(param)} to ${text(item.result) || 'nothing'}`;
    return null;
  }
  const probe: Ty = { kind: 'tensor', vis: 'secret', enc: { kind: 'fix', ell: 32, scale: 12 }, shape: [constDim(2), constDim(3)] };
  const r = instantiate(item, [{ ty: probe, span: item.nameSpan }], [], { ...ctx, module: f.module });
  if (!r.ok) return `'${item.name}' does not take a secret tensor (${r.err.message})`;
  const t = r.result;
  if (t.kind !== 'tensor' || t.vis !== 'secret' || t.enc.kind !== 'fix' || t.shape.length !== 2 || !t.shape.every((d, i) => dimEq(d, probe.shape[i]))) return `'${item.name}' maps ${showTy(probe)} to ${showTy(t)}`;
  return null;
}
