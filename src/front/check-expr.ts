// Typing expressions: names, literals, calls and operators (resolved against `prim`/`fn`
// signatures and `overload` sets), indexing, tuple fields, and `reveal`.
import type { Expr, Span } from './ast.ts';
import { constValue, freshSymbol, symDim, type Dim } from './dims.ts';
import { leakOf } from './leaks.ts';
import type { Checker, Ctx } from './check.ts';
import type { Entity, FnEntity } from './scope.ts';
import { suggestMember, suggestName } from './suggest.ts';
import { errorTy, showTy, visJoin, type TensorTy, type Ty } from './types.ts';
import { dimNotes, instantiate, type Arg, type MatchError } from './unify.ts';

export function checkExpr(c: Checker, e: Expr, ctx: Ctx): Ty {
  const ty = typeOf(c, e, ctx);
  c.typing.exprTypes.set(e, ty);
  return ty;
}

function typeOf(c: Checker, e: Expr, ctx: Ctx): Ty {
  const file = ctx.module.file;
  switch (e.kind) {
    case 'Int':
      if (!Number.isSafeInteger(e.value)) return c.diags.add('E0104', file, e.span, `integer literal ${e.text} is too large`), errorTy;
      return { kind: 'tensor', vis: 'public', enc: { kind: 'lit', float: false }, shape: [], value: constOf(e.value) };
    case 'Float':
      if (!Number.isFinite(e.value)) return c.diags.add('E0104', file, e.span, `number literal ${e.text} is out of range`), errorTy;
      return { kind: 'tensor', vis: 'public', enc: { kind: 'lit', float: true }, shape: [] };
    case 'Bool':
      return { kind: 'tensor', vis: 'public', enc: { kind: 'bool' }, shape: [] };
    case 'Str':
      return c.diags.add('E0301', file, e.span, 'strings are only allowed as input sources (`input x: ... = "name"`)'), errorTy;
    case 'Paren':
      return checkExpr(c, e.inner, ctx);
    case 'Tuple':
      return { kind: 'tuple', fields: e.items.map((i) => ({ name: null, ty: checkExpr(c, i, ctx) })) };
    case 'Name':
      return nameType(c, e.name, e.span, ctx);
    case 'Field':
      return fieldType(c, e, ctx);
    case 'Index':
      return indexType(c, e, ctx);
    case 'Reveal':
      return revealType(c, e, ctx);
    case 'Binary':
      return callOperator(c, e, `(${e.op})`, [e.left, e.right], e.opSpan, ctx);
    case 'Unary':
      return callOperator(c, e, `(${e.op})`, [e.operand], e.span, ctx);
    case 'Call':
      return callType(c, e, ctx);
  }
}

const constOf = (v: number): Dim => ({ terms: v === 0 ? [] : [{ coef: v, syms: [], quots: [] }] });

function nameType(c: Checker, name: string, span: Span, ctx: Ctx): Ty {
  if (name === '<missing>') return errorTy;
  const ent = ctx.scope.lookup(name);
  if (!ent) {
    c.diags.add('E0201', ctx.module.file, span, `unknown name '${name}'`, { suggestion: suggestName(c, name, ctx.scope, false) });
    return errorTy;
  }
  if (ent.kind === 'broken-module') return errorTy; // its import is already reported
  if (ent.kind === 'var') {
    ent.used = true;
    return ent.ty;
  }
  if (ent.kind === 'generic-dim') return { kind: 'tensor', vis: 'public', enc: { kind: 'lit', float: false }, shape: [], value: ent.dim };
  c.diags.add('E0301', ctx.module.file, span, `'${name}' is ${describe(ent)}, not a value`, ent.kind === 'fn' || ent.kind === 'overload' ? { suggestion: `call it: ${name}(...)` } : {});
  return errorTy;
}

function describe(e: Entity): string {
  switch (e.kind) {
    case 'fn':
      return e.item.prim ? 'a primitive op' : 'a function';
    case 'overload':
      return 'an overloaded operation';
    case 'module':
    case 'broken-module':
      return 'a module';
    case 'inputs':
      return 'a block of inputs';
    case 'generic-fn':
      return 'a function parameter';
    case 'alias':
    case 'generic-enc':
      return 'an encoding';
    case 'generic-vis':
      return 'a visibility';
    default:
      return 'a value';
  }
}

function fieldType(c: Checker, e: Extract<Expr, { kind: 'Field' }>, ctx: Ctx): Ty {
  if (e.target.kind === 'Name') {
    const ent = ctx.scope.lookup(e.target.name);
    if (ent?.kind === 'broken-module') return errorTy;
    if (ent?.kind === 'module') {
      const member = c.scopeOf(ent.module).own(e.name);
      if (!member) {
        c.diags.add('E0208', ctx.module.file, e.nameSpan, `module '${ent.module.name}' has no member '${e.name}'`, { suggestion: suggestMember(c, ent.module, e.name) });
        return errorTy;
      }
      if (member.kind === 'var') return member.ty;
      c.diags.add('E0301', ctx.module.file, e.span, `'${e.target.name}.${e.name}' is ${describe(member)}, not a value`);
      return errorTy;
    }
  }
  const t = checkExpr(c, e.target, ctx);
  if (t.kind === 'error') return t;
  if (t.kind === 'tuple') {
    const f = t.fields.find((x) => x.name === e.name);
    if (f) return f.ty;
  }
  c.diags.add('E0208', ctx.module.file, e.nameSpan, `${showTy(t)} has no field '${e.name}'`);
  return errorTy;
}

function indexType(c: Checker, e: Extract<Expr, { kind: 'Index' }>, ctx: Ctx): Ty {
  const file = ctx.module.file;
  const t = checkExpr(c, e.target, ctx);
  const idx = e.indices.map((i) => checkExpr(c, i, ctx));
  if (t.kind === 'error') return t;
  if (t.kind === 'tuple' || t.shape.length === 0) {
    c.diags.add('E0313', file, e.span, `cannot index ${showTy(t)}`, t.kind === 'tuple' ? { suggestion: 'destructure tuples with `let (a, b) = ...` or use a named field' } : {});
    return errorTy;
  }
  if (idx.length > t.shape.length) {
    c.diags.add('E0402', file, e.span, `${idx.length} indices for a tensor of rank ${t.shape.length}`);
    return errorTy;
  }
  for (let k = 0; k < idx.length; k++) {
    const it = idx[k];
    if (it.kind === 'error') continue;
    if (it.kind !== 'tensor' || it.shape.length !== 0 || !(it.enc.kind === 'int' || (it.enc.kind === 'lit' && !it.enc.float))) {
      c.diags.add('E0301', file, e.indices[k].span, `an index must be an integer, found ${showTy(it)}`);
      continue;
    }
    if (it.vis !== 'public') {
      c.diags.add('E0503', file, e.indices[k].span, `an index must be public, found ${it.vis}`, { suggestion: 'secret positions need an oblivious selection (e.g. select_ss or a one-hot product)' });
      continue;
    }
    const iv = it.value ? constValue(it.value) : null;
    const dv = constValue(t.shape[k]);
    if (iv !== null && (iv < 0 || (dv !== null && iv >= dv))) {
      c.diags.add('E0403', file, e.indices[k].span, `index ${iv} is out of range for a dimension of size ${dv}`);
    }
  }
  return { kind: 'tensor', vis: t.vis, enc: t.enc, shape: t.shape.slice(idx.length) };
}

function revealType(c: Checker, e: Extract<Expr, { kind: 'Reveal' }>, ctx: Ctx): Ty {
  const file = ctx.module.file;
  const t = checkExpr(c, e.operand, ctx);
  if (t.kind === 'error') return t;
  if (t.kind === 'tuple') {
    c.diags.add('E0301', file, e.span, 'reveal one value at a time, not a tuple');
    return errorTy;
  }
  const to = e.to ?? 'public';
  if (t.vis === 'public' || t.vis === to) {
    c.diags.add('W0002', file, e.span, `this value is already ${t.vis}; the reveal has no effect`);
    return t;
  }
  if (!c.probing) c.leaks.push(leakOf('reveal', file, e.span, file.slice(e.operand.span), t, e.to ?? 'both', ctx.within, [...ctx.loops]));
  const out: TensorTy = { kind: 'tensor', vis: e.to ? visJoin('public', e.to) : 'public', enc: t.enc, shape: t.shape };
  // A revealed public integer can size tensors: it becomes a fresh dimension.
  if (out.vis === 'public' && out.shape.length === 0 && out.enc.kind === 'int') {
    out.value = symDim(freshSymbol('?', 'reveal', { file, ...e.span }));
  }
  return out;
}

function callOperator(c: Checker, e: Expr, op: string, operands: Expr[], span: Span, ctx: Ctx): Ty {
  const args: Arg[] = operands.map((o) => ({ ty: checkExpr(c, o, ctx), span: o.span }));
  const ent = ctx.scope.lookup(op);
  if (!ent || ent.kind !== 'overload') {
    if (args.some((a) => a.ty.kind === 'error')) return errorTy;
    c.diags.add('E0302', ctx.module.file, span, `operator '${op.slice(1, -1)}' is not defined in CPL`, { suggestion: 'see stdlib/prelude.cpl for the operators and their primitive ops' });
    return errorTy;
  }
  return resolveCall(c, e, `operator '${op.slice(1, -1)}'`, ent.members, args, [], span, ctx);
}

function callType(c: Checker, e: Extract<Expr, { kind: 'Call' }>, ctx: Ctx): Ty {
  const file = ctx.module.file;
  const args: Arg[] = e.args.map((a) => ({ ty: checkExpr(c, a, ctx), span: a.span }));
  let ent: Entity | undefined;
  let display = '';
  const callee = e.callee;
  if (callee.kind === 'Name') {
    display = callee.name;
    ent = ctx.scope.lookup(callee.name);
    if (!ent) {
      if (callee.name !== '<missing>') c.diags.add('E0201', file, callee.span, `unknown function '${callee.name}'`, { suggestion: suggestName(c, callee.name, ctx.scope, true) });
      return errorTy;
    }
  } else if (callee.kind === 'Field' && callee.target.kind === 'Name' && ctx.scope.lookup(callee.target.name)?.kind === 'broken-module') {
    return errorTy; // the failed import is reported once, not at every use
  } else if (callee.kind === 'Field' && callee.target.kind === 'Name' && ctx.scope.lookup(callee.target.name)?.kind === 'module') {
    const mod = ctx.scope.lookup(callee.target.name) as Extract<Entity, { kind: 'module' }>;
    display = `${callee.target.name}.${callee.name}`;
    ent = c.scopeOf(mod.module).own(callee.name);
    if (!ent) {
      c.diags.add('E0208', file, callee.nameSpan, `module '${mod.module.name}' has no member '${callee.name}'`, { suggestion: suggestMember(c, mod.module, callee.name) });
      return errorTy;
    }
  } else {
    c.diags.add('E0304', file, callee.span, 'only functions and primitive ops can be called');
    return errorTy;
  }
  if (ent.kind === 'generic-fn') return unaryCall(c, ent.name, args, e, callee.span, ctx);
  if (ent.kind === 'fn') return resolveCall(c, e, `'${display}'`, [ent], args, e.generics, callee.span, ctx);
  if (ent.kind === 'overload') return resolveCall(c, e, `'${display}'`, ent.members, args, e.generics, callee.span, ctx);
  c.diags.add('E0304', file, callee.span, `'${display}' is ${describe(ent)}, which cannot be called`);
  return errorTy;
}

function resolveCall(c: Checker, e: Expr, display: string, candidates: FnEntity[], args: Arg[], generics: Extract<Expr, { kind: 'Call' }>['generics'], span: Span, ctx: Ctx): Ty {
  if (args.some((a) => a.ty.kind === 'error')) return errorTy;
  const failures: { fn: FnEntity; err: MatchError }[] = [];
  for (const fn of candidates) {
    const r = instantiate(fn.item, args, generics, c.sigContext(fn, ctx));
    // A commutative op also takes its operands the other way round (`gamma * gelu_hi(c)`, server
    // value first, is mul_sx like `gelu_hi(c) * gamma`, not the twice as costly mul_ss).
    const swapped = !r.ok && args.length === 2 && fn.item.attributes.some((a) => a.name === 'commutative') ? instantiate(fn.item, [args[1], args[0]], generics, c.sigContext(fn, ctx)) : null;
    const ok = r.ok ? r : swapped?.ok ? swapped : null;
    if (ok) {
      c.recordCall(ctx, fn);
      for (const f of ok.bindings.fns.values()) c.recordCall(ctx, f); // what a passed activation reveals is reached from here
      c.typing.calls.set(e, { fn, bindings: ok.bindings, swapped: ok === swapped || undefined });
      return ok.result;
    }
    if (!r.ok) failures.push({ fn, err: r.err });
  }
  const file = ctx.module.file;
  // A shape problem means visibility and encodings fit: report the first such candidate directly.
  const shapeFailure = failures.find((f) => f.err.code.startsWith('E04'));
  if (failures.length === 1 || shapeFailure) {
    const { err } = shapeFailure ?? failures[0];
    const where = err.arg !== undefined ? args[err.arg].span : span;
    const msg = display.startsWith('operator') ? `${display}: ${err.message.replace(/^argument (\d+) of '[^']+'/, 'operand $1')}` : err.message;
    c.diags.add(err.code, file, where, msg, { suggestion: err.suggestion, notes: dimNotes(err.dims ?? []) });
    return errorTy;
  }
  // Several candidates: report the most specific failure (a shape or visibility problem beats "no match").
  const rank = (code: string) => (code.startsWith('E04') ? 0 : code.startsWith('E05') ? 1 : 2);
  const sorted = [...failures].sort((a, b) => rank(a.err.code) - rank(b.err.code));
  const argTypes = args.map((a) => showTy(a.ty)).join(', ');
  c.diags.add('E0302', file, span, `no version of ${display} accepts (${argTypes})`, {
    notes: sorted.slice(0, 4).map((f) => ({ message: `${f.fn.item.name}: ${f.err.message}` })),
    suggestion: intWithFraction(args, ctx) ?? (failures.every((f) => f.err.suggestion === failures[0].err.suggestion) ? failures[0].err.suggestion : undefined),
  });
  return errorTy;
}

/** An integer (a loop variable, a count) met a fractional literal (`t - 0.5`): no encoding fits
 * both, since integers convert to fixed point only where a fixed-point operand names the scale. */
function intWithFraction(args: Arg[], ctx: Ctx): string | undefined {
  const i = args.findIndex((a) => a.ty.kind === 'tensor' && a.ty.enc.kind === 'int');
  const f = args.findIndex((a) => a.ty.kind === 'tensor' && a.ty.enc.kind === 'lit' && a.ty.enc.float);
  if (i < 0 || f < 0) return undefined;
  const text = ctx.module.file.slice(args[i].span);
  return `'${text}' is an integer and '${ctx.module.file.slice(args[f].span)}' a fraction, with no fixed-point scale between them: convert the integer first, e.g. \`convert::<fix<32, 12>>(${text})\` (exact and local for a public integer)`;
}

/** `F(x)` for a parameter `F: unary`: one tensor in, a secret tensor of its encoding and shape
 * out (the argument is shared if it is not secret yet; the function is known at each call). */
function unaryCall(c: Checker, name: string, args: Arg[], e: Extract<Expr, { kind: 'Call' }>, span: Span, ctx: Ctx): Ty {
  if (args.some((a) => a.ty.kind === 'error')) return errorTy;
  const t = args[0]?.ty;
  if (args.length !== 1 || e.generics.length || t?.kind !== 'tensor') {
    c.diags.add('E0303', ctx.module.file, span, `'${name}' is a function parameter: it takes one tensor${e.generics.length ? ' and no generic arguments' : ''}, found ${args.length === 1 ? showTy(t!) : `${args.length} arguments`}`);
    return errorTy;
  }
  if (t.enc.kind === 'bool') {
    c.diags.add('E0301', ctx.module.file, args[0].span, `'${name}' works on numbers, found ${showTy(t)}`);
    return errorTy;
  }
  return { ...t, vis: 'secret', value: undefined };
}
