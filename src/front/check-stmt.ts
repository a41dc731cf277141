// Typing statements: let, assignment (loop-carried state), for over public ranges, if on public
// conditions, return, and the model-only input/output statements.
import type { Block, Pattern, Stmt } from './ast.ts';
import { dimEq, dimKey, freshSymbol, symDim, type Dim } from './dims.ts';
import { leakOf } from './leaks.ts';
import { checkExpr } from './check-expr.ts';
import { checkFor } from './check-loop.ts';
import type { Checker, Ctx } from './check.ts';
import { resolveType } from './resolve.ts';
import { Scope, type VarEntity } from './scope.ts';
import { encEq, errorTy, showTy, visJoin, type Ty } from './types.ts';
import { assignable, dimNotes } from './unify.ts';

export function checkBlock(c: Checker, block: Block, ctx: Ctx, scope: Scope): void {
  const inner: Ctx = { ...ctx, scope };
  for (const s of block.stmts) checkStmt(c, s, inner);
  if (!c.probing) {
    for (const [name, ent] of scope.entries()) {
      if (ent.kind === 'var' && ent.warnUnused && !ent.used && !name.startsWith('_')) {
        c.diags.add('W0001', ctx.module.file, ent.span, `'${name}' is never used`, { suggestion: `remove it, or name it '_${name}'` });
      }
    }
  }
}

export function definitelyReturns(block: Block): boolean {
  const last = block.stmts[block.stmts.length - 1];
  if (!last) return false;
  if (last.kind === 'Return') return true;
  if (last.kind === 'If') return !!last.else && definitelyReturns(last.then) && definitelyReturns(last.else);
  return false;
}

function checkStmt(c: Checker, s: Stmt, ctx: Ctx): void {
  const file = ctx.module.file;
  switch (s.kind) {
    case 'Let': {
      let ty = checkExpr(c, s.value, ctx);
      if (s.type) {
        const want = resolveType(s.type, ctx.scope, file, c.diags);
        const bad = assignable(ty, want);
        if (bad) c.diags.add(bad.code, file, s.value.span, bad.message, { suggestion: bad.suggestion, notes: dimNotes(bad.dims ?? []) });
        ty = carryValue(ty, want);
      }
      bindPattern(c, s.pattern, ty, ctx);
      return;
    }
    case 'Assign': {
      const ent = ctx.scope.lookup(s.name);
      const ty = checkExpr(c, s.value, ctx);
      if (!ent || ent.kind !== 'var' || !ent.mutable) {
        const why = !ent ? `'${s.name}' is not declared` : ent.kind !== 'var' ? `'${s.name}' is not a variable` : `'${s.name}' cannot be reassigned`;
        c.diags.add('E0207', file, s.nameSpan, why, { suggestion: !ent ? `declare it first: let ${s.name} = ...` : undefined });
        return;
      }
      const old = ent.ty;
      if (old.kind === 'tensor' && ty.kind === 'tensor') {
        if (!encEq(old.enc, ty.enc) && old.enc.kind !== 'lit' && ty.enc.kind !== 'lit') {
          c.diags.add('E0301', file, s.value.span, `'${s.name}' holds ${showTy(old)}; cannot assign ${showTy(ty)}`);
          return;
        }
        if (old.shape.length !== ty.shape.length) {
          c.diags.add('E0402', file, s.value.span, `'${s.name}' has rank ${old.shape.length}; cannot assign a value of rank ${ty.shape.length}`);
          return;
        }
      } else if (old.kind !== 'error' && ty.kind !== 'error' && old.kind !== ty.kind) {
        c.diags.add('E0301', file, s.value.span, `'${s.name}' holds ${showTy(old)}; cannot assign ${showTy(ty)}`);
        return;
      }
      ent.ty = ty;
      return;
    }
    case 'For':
      return checkFor(c, s, ctx);
    case 'If': {
      const cond = checkExpr(c, s.cond, ctx);
      if (cond.kind === 'tensor') {
        if (cond.vis !== 'public') c.diags.add('E0503', file, s.cond.span, `an if condition must be public, found ${cond.vis}`, { suggestion: 'both parties run the same steps; for a secret choice use select_ss(c, a, b)' });
        else if (cond.enc.kind !== 'bool' || cond.shape.length) c.diags.add('E0301', file, s.cond.span, `an if condition must be a bool, found ${showTy(cond)}`);
      } else if (cond.kind === 'tuple') c.diags.add('E0301', file, s.cond.span, 'an if condition must be a bool');
      const assigned = assignedNames(s.then, ctx.scope);
      if (s.else) for (const n of assignedNames(s.else, ctx.scope)) assigned.add(n);
      const vars = [...assigned].map((n) => ctx.scope.lookup(n) as VarEntity);
      const entry = vars.map((v) => v.ty);
      checkBlock(c, s.then, ctx, new Scope(ctx.scope));
      const afterThen = vars.map((v) => v.ty);
      vars.forEach((v, i) => (v.ty = entry[i]));
      if (s.else) checkBlock(c, s.else, ctx, new Scope(ctx.scope));
      const memo = new Map<string, Dim>();
      vars.forEach((v, i) => (v.ty = joinTy(afterThen[i], v.ty, v.name, memo)));
      return;
    }
    case 'Return': {
      const ty = checkExpr(c, s.value, ctx);
      if (!ctx.fn) {
        c.diags.add('E0307', file, s.span, '`return` is only allowed in a function', { suggestion: 'a model sends results with `output VALUE to client`' });
        return;
      }
      if (!ctx.fn.result) {
        c.diags.add('E0301', file, s.value.span, `function '${ctx.fn.name}' declares no result`, { suggestion: `declare one: fn ${ctx.fn.name}(...) -> TYPE` });
        return;
      }
      checkReturn(c, ty, s.value.span, ctx);
      return;
    }
    case 'Input': {
      const ty = resolveType(s.type, ctx.scope, file, c.diags);
      if (!ctx.model) {
        c.diags.add('E0507', file, s.span, '`input` is only allowed in a model');
        return;
      }
      if (ty.kind === 'tuple') c.diags.add('E0301', file, s.type.span, 'an input must be a tensor or scalar');
      else if (ty.kind === 'tensor' && ty.vis !== 'client' && ty.vis !== 'server') {
        c.diags.add('E0504', file, s.type.span, `input '${s.name}' must be owned by one party (client or server), found ${ty.vis}`, {
          suggestion: ty.vis === 'secret' ? 'declare it as client or server; it becomes secret-shared where a secret is needed' : 'public values are constants: use `const`',
        });
      }
      if (ctx.scope.own(s.name)) c.diags.add('E0202', file, s.nameSpan, `'${s.name}' is defined twice`);
      if (ty.kind === 'tensor' && (ty.vis === 'client' || ty.vis === 'server')) ctx.model.inputs.push({ name: s.name, owner: ty.vis, ty, source: s.source, span: s.span });
      ctx.scope.define(s.name, { kind: 'var', name: s.name, ty, span: s.nameSpan, mutable: false, used: false, warnUnused: true });
      return;
    }
    case 'UseInputs': {
      // The block's declarations, checked as if written here (same module: their names resolve alike).
      const ent = ctx.scope.lookup(`(inputs) ${s.name}`);
      if (!ctx.model) c.diags.add('E0507', file, s.span, '`inputs` is only allowed in a model');
      else if (ent?.kind !== 'inputs') {
        const known = [...ctx.module.ast.items].filter((i) => i.kind === 'Inputs').map((i) => i.name);
        c.diags.add('E0210', file, s.nameSpan, `unknown inputs block '${s.name}'`, { suggestion: known.length ? `blocks in this module: ${known.join(', ')}` : 'declare it in this module: `inputs NAME { input ... }`' });
      } else for (const st of ent.item.body.stmts) if (st.kind === 'Input') checkStmt(c, st, ctx);
      return;
    }
    case 'Output': {
      const ty = checkExpr(c, s.value, ctx);
      if (ctx.model && !c.probing) ctx.model.outputStatements++;
      if (!ctx.model) {
        c.diags.add('E0507', file, s.span, '`output` is only allowed in a model', { suggestion: 'return the value and output it from the model' });
        return;
      }
      if (ty.kind === 'error') return;
      if (ty.kind === 'tuple') {
        c.diags.add('E0301', file, s.value.span, 'output one value at a time, not a tuple');
        return;
      }
      const other = s.to === 'client' ? 'server' : 'client';
      if (ty.vis === other) {
        c.diags.add('E0502', file, s.value.span, `this value is private to the ${other}; it cannot be output to the ${s.to}`, {
          suggestion: `if the ${other} may disclose it, reveal it first: \`let v = reveal ${file.slice(s.value.span)} to ${s.to}\` (recorded in the leak report), then \`output v to ${s.to}\``,
        });
        return;
      }
      ctx.model.outputs.push({ to: s.to, ty, span: s.span });
      if (!c.probing) c.leaks.push(leakOf('output', file, s.span, file.slice(s.value.span), ty, s.to, ctx.within, [...ctx.loops]));
      return;
    }
  }
}

/** Join two types of one variable: visibility joins; a dimension (or dimension value) that
 * differs becomes a fresh symbol. `memo` makes the choice consistent across variables: two
 * variables that both go from `n` to `k` share one fresh dimension. */
export function joinTy(a: Ty, b: Ty, name: string, memo: Map<string, Dim>): Ty {
  if (a.kind !== 'tensor' || b.kind !== 'tensor') return a.kind === 'error' ? b : a;
  if (!encEq(a.enc, b.enc) || a.shape.length !== b.shape.length) return a;
  const widen = (x: Dim, y: Dim, label: string): Dim => {
    if (dimEq(x, y)) return x;
    const key = `${dimKey(x)} | ${dimKey(y)}`;
    let d = memo.get(key);
    if (!d) memo.set(key, (d = symDim(freshSymbol(label, 'loop-carried'))));
    return d;
  };
  const shape = a.shape.map((d, i) => widen(d, b.shape[i], a.shape.length === 1 || i === a.shape.length - 2 ? `${name}.rows` : `${name}.dim${i}`));
  const value = a.value && b.value ? widen(a.value, b.value, name) : undefined;
  return { kind: 'tensor', vis: visJoin(a.vis, b.vis), enc: a.enc, shape, value: a.shape.length === 0 ? value : undefined };
}

/** Names assigned with `=` inside a block that refer to variables declared outside it. */
export function assignedNames(block: Block, outer: Scope): Set<string> {
  const out = new Set<string>();
  const walk = (b: Block, locals: Set<string>) => {
    const mine = new Set(locals);
    for (const s of b.stmts) {
      if (s.kind === 'Let') patternNames(s.pattern).forEach((n) => mine.add(n));
      else if (s.kind === 'Assign' && !mine.has(s.name) && outer.lookup(s.name)?.kind === 'var') out.add(s.name);
      else if (s.kind === 'For') walk(s.body, new Set([...mine, s.var]));
      else if (s.kind === 'If') {
        walk(s.then, mine);
        if (s.else) walk(s.else, mine);
      }
    }
  };
  walk(block, new Set());
  return out;
}

const patternNames = (p: Pattern): string[] => (p.kind === 'PName' ? [p.name] : p.items.flatMap(patternNames));

function carryValue(have: Ty, want: Ty): Ty {
  if (have.kind === 'tensor' && want.kind === 'tensor' && have.value) return { ...want, value: have.value };
  return want.kind === 'error' ? have : want;
}

function bindPattern(c: Checker, p: Pattern, ty: Ty, ctx: Ctx): void {
  const file = ctx.module.file;
  if (p.kind === 'PName') {
    if (p.name === '<missing>') return;
    // Name the fresh dimension a reveal or a dependent result introduced after its variable.
    if (ty.kind === 'tensor' && ty.value) {
      for (const t of ty.value.terms)
        for (const s of t.syms)
          if ((s.origin === 'reveal' || s.origin === 'result') && !s.named) {
            s.name = p.name;
            s.named = true;
            s.at ??= { file, ...p.span };
          }
    }
    ctx.scope.define(p.name, { kind: 'var', name: p.name, ty, span: p.span, mutable: true, used: false, warnUnused: true });
    return;
  }
  if (ty.kind === 'error') {
    p.items.forEach((i) => bindPattern(c, i, errorTy, ctx));
    return;
  }
  if (ty.kind !== 'tuple' || ty.fields.length !== p.items.length) {
    c.diags.add('E0305', file, p.span, `cannot destructure ${showTy(ty)} into ${p.items.length} names`);
    p.items.forEach((i) => bindPattern(c, i, errorTy, ctx));
    return;
  }
  p.items.forEach((item, i) => bindPattern(c, item, ty.fields[i].ty, ctx));
}

/** Check a returned value against the declared result; named fields bind dimensions in order. */
function checkReturn(c: Checker, ty: Ty, span: { start: number; end: number }, ctx: Ctx): void {
  const file = ctx.module.file;
  const ref = ctx.fn!.result!;
  if (ref.kind !== 'TupleType') {
    const want = resolveType(ref, ctx.scope, file, c.probing ? null : c.diags);
    const bad = assignable(ty, want);
    if (bad) c.diags.add(bad.code, file, span, `return value: ${bad.message}`, { suggestion: bad.suggestion, notes: dimNotes(bad.dims ?? []) });
    return;
  }
  if (ty.kind === 'error') return;
  if (ty.kind !== 'tuple' || ty.fields.length !== ref.fields.length) {
    c.diags.add('E0305', file, span, `return value: expected a tuple of ${ref.fields.length}, found ${showTy(ty)}`);
    return;
  }
  const bound = new Map<string, Dim>();
  for (let i = 0; i < ref.fields.length; i++) {
    const f = ref.fields[i];
    const want = resolveType(f.type, ctx.scope, file, null, (n) => bound.get(n));
    const have = ty.fields[i].ty;
    const bad = assignable(have, want);
    if (bad) {
      c.diags.add(bad.code, file, span, `return value, element ${i + 1}${f.name ? ` (${f.name})` : ''}: ${bad.message}`, { suggestion: bad.suggestion, notes: dimNotes(bad.dims ?? []) });
      return;
    }
    if (f.name && have.kind === 'tensor' && have.value) bound.set(f.name, have.value);
  }
}
