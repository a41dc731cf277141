// Typing `for` loops: public integer bounds known before the run, and loop-carried variables whose
// shapes change between iterations. A size that grows by the same amount every iteration (`ct =
// concat(ct, row)`) is known exactly: `entry + step * (i - from)` inside, `entry + step * (to -
// from)` after, so it matches the sizes it equals. Other changes (pruning by a revealed count)
// widen to a fresh size that changes between iterations.
import type { Stmt } from './ast.ts';
import { addDim, constDim, dimEq, dimSymbols, freshSymbol, mulDim, showDim, subDim, substDim, symDim, type Dim, type DimSymbol } from './dims.ts';
import { checkExpr } from './check-expr.ts';
import { assignedNames, checkBlock, joinTy } from './check-stmt.ts';
import type { Checker, Ctx } from './check.ts';
import { Scope, type VarEntity } from './scope.ts';
import { showTy, type Ty } from './types.ts';
import { dimNotes } from './unify.ts';

export function checkFor(c: Checker, s: Extract<Stmt, { kind: 'For' }>, ctx: Ctx): void {
  const file = ctx.module.file;
  const bounds: (Dim | undefined)[] = [];
  for (const bound of [s.from, s.to]) {
    const t = checkExpr(c, bound, ctx);
    bounds.push(t.kind === 'tensor' ? t.value : undefined);
    if (t.kind !== 'tensor') continue;
    if (t.vis !== 'public') c.diags.add('E0503', file, bound.span, `a loop bound must be public, found ${t.vis}`, { suggestion: 'reveal it first if it may be disclosed (the reveal is recorded in the leak report)' });
    else if (t.shape.length || !(t.enc.kind === 'int' || (t.enc.kind === 'lit' && !t.enc.float))) c.diags.add('E0301', file, bound.span, `a loop bound must be an integer, found ${showTy(t)}`);
    else if (t.value && dimSymbols(t.value).some((x) => x.origin === 'reveal')) {
      // Programs unroll before the run (docs/execution.md): a count revealed during it cannot bound a loop.
      c.diags.add('E0406', file, bound.span, `a loop bound must be known before the run, but '${showDim(t.value)}' is revealed during it`, {
        notes: dimNotes([t.value]),
        suggestion: 'loop over the size it is at most (a config size) and mask the iterations past the count with `select_ss`',
      });
    }
  }
  const loopSym = freshSymbol(s.var, 'loop', { file, ...s.varSpan });
  const bodyScope = () => {
    const sc = new Scope(ctx.scope);
    sc.define(s.var, { kind: 'var', name: s.var, ty: { kind: 'tensor', vis: 'public', enc: { kind: 'int' }, shape: [], value: symDim(loopSym) }, span: s.varSpan, mutable: false, used: true, warnUnused: false });
    return sc;
  };
  const inner: Ctx = { ...ctx, loops: [...ctx.loops, `${s.var} in ${file.slice(s.from.span)}..${file.slice(s.to.span)}`] };
  // Check the body once quietly to see how loop-carried variables change.
  const vars = [...assignedNames(s.body, ctx.scope)].map((n) => ctx.scope.lookup(n) as VarEntity);
  const entry = vars.map((v) => v.ty);
  const mark = freshSymbol('', 'mark').id;
  c.quietly(() => checkBlock(c, s.body, inner, bodyScope()));
  const exit = vars.map((v) => v.ty);
  // Widen every dimension that changed to a fresh one, unless it steps by a known amount.
  const memo = new Map<string, Dim>();
  const widened = vars.map((v, i) => joinTy(entry[i], exit[i], v.name, memo));
  const [from, to] = bounds;
  const induct = from && to ? induction(c, vars, entry, exit, widened, loopSym, from, to, mark, () => checkBlock(c, s.body, inner, bodyScope())) : null;
  vars.forEach((v, i) => (v.ty = induct?.inside[i] ?? widened[i]));
  checkBlock(c, s.body, inner, bodyScope());
  vars.forEach((v, i) => (v.ty = induct?.after[i] ?? widened[i]));
}

/** Loop-carried types by induction: a dimension that steps by an amount made of sizes known
 * before the loop is guessed as `entry + step * (i - from)`; the body must check (quietly) to
 * `entry + step * (i + 1 - from)`. Variables that do not step keep their widened type. Null if
 * nothing steps or the guess does not hold. */
function induction(c: Checker, vars: VarEntity[], entry: Ty[], exit: Ty[], widened: Ty[], loop: DimSymbol, from: Dim, to: Dim, mark: number, body: () => void): { inside: Ty[]; after: Ty[] } | null {
  const at = (i: Dim) => (a: Dim, b: Dim): Dim | null => {
    const step = subDim(b, a);
    if (dimSymbols(step).some((x) => x.id >= mark || x.id === loop.id)) return null;
    return addDim(a, mulDim(step, subDim(i, from)));
  };
  const steps = entry.map((t, i) => !sameTy(t, exit[i]) && mapTy(t, exit[i], at(symDim(loop))) !== null);
  if (!steps.some(Boolean)) return null;
  const inside = entry.map((t, i) => (steps[i] ? mapTy(t, exit[i], at(symDim(loop)))! : widened[i]));
  const after = entry.map((t, i) => (steps[i] ? mapTy(t, exit[i], at(to))! : widened[i]));
  vars.forEach((v, i) => (v.ty = inside[i]));
  c.quietly(body);
  const next = (d: Dim) => substDim(d, (x) => (x.id === loop.id ? addDim(symDim(loop), constDim(1)) : undefined));
  const holds = vars.every((v, i) => !steps[i] || sameTy(v.ty, mapTy(inside[i], inside[i], next)));
  return holds ? { inside, after } : null;
}


/** Apply `f` to matching dimensions (and scalar values) of two types of one variable; unchanged
 * types stay as they are. */
function mapTy(a: Ty, b: Ty, f: (x: Dim, y: Dim) => Dim | null): Ty | null {
  if (a.kind !== 'tensor' || b.kind !== 'tensor') return a === b || a.kind === 'error' ? a : null;
  if (a.vis !== b.vis || a.shape.length !== b.shape.length || a.enc.kind !== b.enc.kind) return null;
  const shape: Dim[] = [];
  for (let i = 0; i < a.shape.length; i++) {
    const d = f(a.shape[i], b.shape[i]);
    if (!d) return null;
    shape.push(d);
  }
  if (!a.value !== !b.value) return null;
  const value = a.value && b.value ? f(a.value, b.value) : undefined;
  if (value === null) return null;
  return { ...a, shape, value };
}

function sameTy(a: Ty, b: Ty | null): boolean {
  if (!b || a.kind !== 'tensor' || b.kind !== 'tensor') return a === b;
  if (a.vis !== b.vis || a.shape.length !== b.shape.length || !a.shape.every((d, i) => dimEq(d, b.shape[i]))) return false;
  return !a.value === !b.value && (!a.value || dimEq(a.value, b.value!));
}
