// Lowering a checked model to the IR (ir.ts). Functions are inlined, loops over public ranges
// unrolled, config sizes bound to numbers, and every implicit step the checker allowed is made
// an explicit op: `share` (a value moves up the visibility lattice), `encode` (an integer or
// literal becomes fixed point) and `broadcast` (an elementwise operand is stretched). Each call
// re-instantiates its signature with the actual argument types, so a size revealed at run time
// (one fresh symbol per reveal executed, e.g. `k@l=1`) flows into every later shape.
import type { Block, Expr, FnItem, GenericArg, Pattern, Span, Stmt } from '../front/ast.ts';
import type { CheckResult, ModelInfo } from '../front/check.ts';
import { constDim, constValue, dimEq, freshSymbol, substDim, symDim, type Dim, type DimSymbol } from '../front/dims.ts';
import type { Module } from '../front/modules.ts';
import { resolveType, type DimLookup, type EncLookup } from '../front/resolve.ts';
import type { Entity, FnEntity } from '../front/scope.ts';
import { encEq, visLeq, type Enc, type TensorTy, type Ty } from '../front/types.ts';
import { broadcast, buildResult, instantiate, type Bindings } from '../front/unify.ts';
import { evalConst } from './fold.ts';
import type { IrOp, IrProgram, IrType, Provenance } from './ir.ts';

export class LowerError extends Error {
  readonly file: string;
  readonly span: Span;
  constructor(message: string, file: string, span: Span) {
    super(message);
    this.name = 'LowerError';
    this.file = file;
    this.span = span;
  }
}

/** A value during lowering: an SSA value (with its constant value or dimension when known), or a tuple. */
type LVal =
  | { kind: 'val'; id: number; type: IrType; dim?: Dim; konst?: number | boolean }
  | { kind: 'tuple'; items: LVal[]; names: (string | null)[] }
  | { kind: 'dim'; dim: Dim }
  | { kind: 'enc'; enc: Enc }
  /** The function passed for an `F: unary` parameter. */
  | { kind: 'fn'; fn: FnEntity };

class Env {
  private readonly vars = new Map<string, LVal>();
  readonly parent: Env | null;
  constructor(parent: Env | null) {
    this.parent = parent;
  }
  get(name: string): LVal | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }
  define(name: string, v: LVal): void {
    this.vars.set(name, v);
  }
  /** Reassign in the scope that owns the name. */
  assign(name: string, v: LVal): boolean {
    if (this.vars.has(name)) return this.vars.set(name, v), true;
    return this.parent?.assign(name, v) ?? false;
  }
}

interface Frame {
  module: Module;
  env: Env;
  stack: string[];
  loops: string[];
  /** Set when the frame's function executed `return`. */
  returned?: LVal;
}

/**
 * Limits (docs/execution.md, "Limits"): larger programs are refused at once instead of running
 * out of memory or time. A config size is at most 2^20, a tensor has at most 2^28 elements, a
 * loop runs at most 10,000 iterations, and a program unrolls to at most 100,000 ops.
 */
export const LIMITS = { configSize: 2 ** 20, tensorElements: 2 ** 28, loopIterations: 10_000, ops: 100_000 } as const;

export interface LowerOptions {
  /** Config sizes to use instead of the defaults, by name. */
  config?: Record<string, number>;
}

export function lowerModel(checked: CheckResult, model: ModelInfo, opts: LowerOptions = {}): IrProgram {
  return new Lowerer(checked, model, opts).run();
}

class Lowerer {
  private readonly ops: IrOp[] = [];
  private readonly checked: CheckResult;
  private readonly model: ModelInfo;
  private readonly configValues = new Map<DimSymbol, number>();
  private readonly configByName: Record<string, number> = {};
  private readonly program: IrProgram;

  constructor(checked: CheckResult, model: ModelInfo, opts: LowerOptions) {
    this.checked = checked;
    this.model = model;
    const unknown = new Set(Object.keys(opts.config ?? {}));
    for (const [sym, dflt] of checked.typing.configSizes) {
      const v = opts.config?.[sym.name] ?? dflt;
      unknown.delete(sym.name);
      if (!(Number.isInteger(v) && v > 0)) throw new LowerError(`config size ${sym.name} must be a positive integer, got ${v}`, model.module.file.path, sym.at ?? { start: 0, end: 0 });
      if (v > LIMITS.configSize) throw new LowerError(`config size ${sym.name} = ${v} is above the limit of ${LIMITS.configSize} (2^20; docs/execution.md, "Limits")`, model.module.file.path, sym.at ?? { start: 0, end: 0 });
      this.configValues.set(sym, v);
      if (sym.at?.file === model.module.file || !(sym.name in this.configByName)) this.configByName[sym.name] = v;
    }
    if (unknown.size) throw new LowerError(`unknown config size${unknown.size > 1 ? 's' : ''}: ${[...unknown].join(', ')}`, model.module.file.path, model.item.nameSpan);
    this.program = { model: model.name, config: this.configByName, ops: this.ops, inputs: [], outputs: [], runtimeDims: [] };
  }

  run(): IrProgram {
    const frame: Frame = { module: this.model.module, env: new Env(null), stack: [], loops: [] };
    this.block(this.model.item.body, frame);
    return this.program;
  }

  // ---- helpers ----
  private fail(msg: string, frame: Frame, span: Span): never {
    throw new LowerError(msg, frame.module.file.path, span);
  }

  private where(frame: Frame, span: Span): Provenance {
    const { line, col } = frame.module.file.position(span.start);
    return { file: frame.module.file.path, line, col, stack: [...frame.stack], loops: [...frame.loops] };
  }

  /** Replace config symbols by their values. */
  private bind(d: Dim): Dim {
    return substDim(d, (s) => (this.configValues.has(s) ? constDim(this.configValues.get(s)!) : undefined));
  }

  private emit(op: string, args: number[], attrs: Record<string, unknown>, type: IrType, frame: Frame, span: Span, extra: Partial<LVal & { kind: 'val' }> = {}): LVal & { kind: 'val' } {
    const id = this.ops.length;
    const shape = type.shape.map((d) => this.bind(d));
    if (id >= LIMITS.ops) this.fail(`the program unrolls to more than ${LIMITS.ops} ops (docs/execution.md, "Limits"); use smaller loop bounds (e.g. fewer layers)`, frame, span);
    const elements = shape.reduce<number>((n, d) => n * (constValue(d) ?? 1), 1);
    if (elements > LIMITS.tensorElements) this.fail(`a tensor of shape [${shape.map((d) => constValue(d) ?? '?').join(', ')}] has ${elements} elements, above the limit of 2^28 (docs/execution.md, "Limits")`, frame, span);
    this.ops.push({ id, op, args, attrs, type: { ...type, shape }, where: this.where(frame, span) });
    return { kind: 'val', id, type: { ...type, shape }, ...extra };
  }

  private value(v: LVal | undefined, frame: Frame, span: Span): LVal & { kind: 'val' } {
    if (!v) this.fail('internal: missing value', frame, span);
    if (v.kind === 'val') return v;
    if (v.kind === 'dim') {
      const c = constValue(v.dim);
      return this.emit('const', [], c === null ? { dim: v.dim } : { value: c }, { vis: 'public', enc: { kind: 'lit', float: false }, shape: [] }, frame, span, { dim: v.dim, konst: c ?? undefined });
    }
    this.fail(`expected a value, found a ${v.kind}`, frame, span);
  }

  private tyOf(v: LVal & { kind: 'val' }): TensorTy {
    return { kind: 'tensor', vis: v.type.vis, enc: v.type.enc, shape: v.type.shape, value: v.dim };
  }

  private moduleEntity(frame: Frame, name: string): Entity | undefined {
    return this.checked.scopes.get(frame.module)!.lookup(name);
  }

  private dimLookup(frame: Frame): DimLookup {
    return (name) => {
      const v = frame.env.get(name);
      if (v?.kind === 'dim') return v.dim;
      if (v?.kind === 'val') return v.dim ?? { error: `'${name}' has no known size value` };
      const e = this.moduleEntity(frame, name);
      if (e?.kind === 'var' && e.ty.kind === 'tensor' && e.ty.value) return this.bind(e.ty.value);
      return undefined;
    };
  }

  /** Functions passed for `F: unary` parameters: the frame's, or a module-level `fn`/`prim`. */
  private fnLookup(frame: Frame): (name: string) => FnEntity | undefined {
    return (name) => {
      const v = frame.env.get(name);
      if (v?.kind === 'fn') return v.fn;
      const e = this.moduleEntity(frame, name);
      return e?.kind === 'fn' ? e : undefined;
    };
  }

  private encLookup(frame: Frame): EncLookup {
    return (name) => {
      const v = frame.env.get(name);
      if (v?.kind === 'enc') return v.enc;
      const e = this.moduleEntity(frame, name);
      if (e?.kind === 'alias') return e.enc;
      return undefined;
    };
  }

  // ---- statements ----
  private block(b: Block, frame: Frame): void {
    for (const s of b.stmts) {
      if (frame.returned) return;
      this.stmt(s, frame);
    }
  }

  private stmt(s: Stmt, frame: Frame): void {
    switch (s.kind) {
      case 'Let': {
        let v = this.expr(s.value, frame);
        if (s.type && v.kind === 'val') {
          const want = resolveType(s.type, this.checked.scopes.get(frame.module)!, frame.module.file, null, this.dimLookup(frame));
          if (want.kind === 'tensor') v = this.coerce(v, { vis: want.vis, enc: want.enc, shape: want.shape.map((d) => this.bind(d)) }, frame, s.value.span);
        }
        this.bindPattern(s.pattern, v, frame);
        return;
      }
      case 'Assign':
        if (!frame.env.assign(s.name, this.expr(s.value, frame))) this.fail(`internal: assignment to unknown '${s.name}'`, frame, s.span);
        return;
      case 'For': {
        const from = this.constInt(this.expr(s.from, frame), frame, s.from.span);
        const to = this.constInt(this.expr(s.to, frame), frame, s.to.span);
        if (to - from > LIMITS.loopIterations) this.fail(`this loop runs ${to - from} times, above the limit of ${LIMITS.loopIterations} iterations (docs/execution.md, "Limits")`, frame, s.span);
        for (let i = from; i < to; i++) {
          const env = new Env(frame.env);
          env.define(s.var, { kind: 'dim', dim: constDim(i) });
          const inner: Frame = { ...frame, env, loops: [...frame.loops, `${s.var}=${i}`] };
          this.block(s.body, inner);
          if (inner.returned) return void (frame.returned = inner.returned);
        }
        return;
      }
      case 'If': {
        const c = this.expr(s.cond, frame);
        if (c.kind !== 'val' || typeof c.konst !== 'boolean') this.fail('this condition is only known at run time; conditions must be computable from constants and config sizes', frame, s.cond.span);
        const branch = c.konst ? s.then : s.else;
        if (branch) {
          const inner: Frame = { ...frame, env: new Env(frame.env) };
          this.block(branch, inner);
          if (inner.returned) frame.returned = inner.returned;
        }
        return;
      }
      case 'Return':
        frame.returned = this.expr(s.value, frame);
        return;
      case 'UseInputs': {
        const block = frame.module.ast.items.find((i) => i.kind === 'Inputs' && i.name === s.name);
        if (block?.kind !== 'Inputs') this.fail(`internal: inputs block '${s.name}'`, frame, s.span);
        for (const st of block.body.stmts) this.stmt(st, frame);
        return;
      }
      case 'Input': {
        const ty = resolveType(s.type, this.checked.scopes.get(frame.module)!, frame.module.file, null, this.dimLookup(frame));
        if (ty.kind !== 'tensor') this.fail('internal: input type', frame, s.span);
        const v = this.emit('input', [], { name: s.name, source: s.source ?? undefined }, { vis: ty.vis, enc: ty.enc, shape: ty.shape }, frame, s.span);
        this.program.inputs.push({ name: s.name, owner: ty.vis as 'client' | 'server', source: s.source, id: v.id, type: v.type });
        frame.env.define(s.name, v);
        return;
      }
      case 'Output': {
        const v = this.value(this.expr(s.value, frame), frame, s.value.span);
        const out = this.emit('output', [v.id], { to: s.to }, { ...v.type, vis: v.type.vis === 'public' ? 'public' : s.to }, frame, s.span);
        this.program.outputs.push({ id: out.id, to: s.to, where: this.where(frame, s.span) });
        return;
      }
    }
  }

  private constInt(v: LVal, frame: Frame, span: Span): number {
    const d = v.kind === 'dim' ? v.dim : v.kind === 'val' ? v.dim : undefined;
    const c = d ? constValue(d) : v.kind === 'val' && typeof v.konst === 'number' ? v.konst : null;
    if (c === null || c === undefined) this.fail('a loop bound must be known before the run (a constant or config size), not revealed during it', frame, span);
    return c;
  }

  private bindPattern(p: Pattern, v: LVal, frame: Frame): void {
    if (p.kind === 'PName') {
      if (v.kind === 'val' && v.dim) {
        // Name the runtime symbol of a reveal after its variable.
        for (const t of v.dim.terms) for (const s of t.syms) if (s.origin === 'runtime' && s.name.startsWith('?')) s.name = s.name.replace('?', p.name);
      }
      frame.env.define(p.name, v);
      return;
    }
    if (v.kind !== 'tuple' || v.items.length !== p.items.length) this.fail('internal: tuple pattern', frame, p.span);
    p.items.forEach((item, i) => this.bindPattern(item, v.items[i], frame));
  }

  // ---- expressions ----
  private expr(e: Expr, frame: Frame): LVal {
    switch (e.kind) {
      case 'Int':
        return this.emit('const', [], { value: e.value }, { vis: 'public', enc: { kind: 'lit', float: false }, shape: [] }, frame, e.span, { dim: constDim(e.value), konst: e.value });
      case 'Float':
        return this.emit('const', [], { value: e.value }, { vis: 'public', enc: { kind: 'lit', float: true }, shape: [] }, frame, e.span, { konst: e.value });
      case 'Bool':
        return this.emit('const', [], { value: e.value }, { vis: 'public', enc: { kind: 'bool' }, shape: [] }, frame, e.span, { konst: e.value });
      case 'Paren':
        return this.expr(e.inner, frame);
      case 'Tuple':
        return { kind: 'tuple', items: e.items.map((i) => this.expr(i, frame)), names: e.items.map(() => null) };
      case 'Name':
        return this.name(e.name, frame, e.span);
      case 'Field': {
        if (e.target.kind === 'Name' && !frame.env.get(e.target.name)) {
          const m = this.moduleEntity(frame, e.target.name);
          if (m?.kind === 'module') return this.name(e.name, { ...frame, module: m.module, env: new Env(null) }, e.span);
        }
        const t = this.expr(e.target, frame);
        if (t.kind === 'tuple') {
          const i = t.names.indexOf(e.name);
          if (i >= 0) return t.items[i];
        }
        return this.fail(`internal: field ${e.name}`, frame, e.span);
      }
      case 'Index': {
        const t = this.value(this.expr(e.target, frame), frame, e.span);
        const idx = e.indices.map((i) => this.constInt(this.expr(i, frame), frame, i.span));
        return this.emit('index', [t.id], { indices: idx }, { ...t.type, shape: t.type.shape.slice(idx.length) }, frame, e.span);
      }
      case 'Reveal': {
        const v = this.value(this.expr(e.operand, frame), frame, e.span);
        const vis = e.to ?? 'public';
        const out: Partial<LVal & { kind: 'val' }> = {};
        if (vis === 'public' && v.type.shape.length === 0 && v.type.enc.kind === 'int') {
          out.dim = symDim(freshSymbol(`?${frame.loops.length ? '@' + frame.loops.join(',') : ''}`, 'runtime'));
        }
        const r = this.emit('reveal', [v.id], { to: e.to ?? 'both' }, { ...v.type, vis }, frame, e.span, out);
        if (out.dim) this.program.runtimeDims.push({ symbol: out.dim.terms[0].syms[0], op: r.id });
        return r;
      }
      case 'Binary':
      case 'Unary':
      case 'Call':
        return this.call(e, frame);
      default:
        return this.fail('internal: unknown expression', frame, (e as Expr).span);
    }
  }

  private name(name: string, frame: Frame, span: Span): LVal {
    const local = frame.env.get(name);
    if (local) return local;
    const e = this.moduleEntity(frame, name);
    if (e?.kind === 'var') {
      if (e.ty.kind === 'tensor' && e.ty.value) return { kind: 'dim', dim: this.bind(e.ty.value) };
      // A constant: lower its defining expression in its own module.
      const owner = this.constOwner(frame.module, name);
      if (owner) return this.expr(owner.value, { module: owner.module, env: new Env(null), stack: frame.stack, loops: frame.loops });
    }
    return this.fail(`internal: cannot lower name '${name}'`, frame, span);
  }

  private constOwner(m: Module, name: string): { module: Module; value: Expr } | null {
    const item = m.ast.items.find((i) => i.kind === 'Const' && i.name === name);
    if (item && item.kind === 'Const') return { module: m, value: item.value };
    return null;
  }

  private call(e: Expr, frame: Frame): LVal {
    const passed = e.kind === 'Call' && e.callee.kind === 'Name' ? frame.env.get(e.callee.name) : undefined;
    if (passed?.kind === 'fn') return this.unaryCall(passed.fn, e as Extract<Expr, { kind: 'Call' }>, frame);
    const resolved = this.checked.typing.calls.get(e);
    if (!resolved) this.fail('internal: unresolved call', frame, e.span);
    const written = e.kind === 'Binary' ? [e.left, e.right] : e.kind === 'Unary' ? [e.operand] : e.kind === 'Call' ? e.args : [];
    const argExprs = resolved.swapped ? [...written].reverse() : written;
    const generics: GenericArg[] = e.kind === 'Call' ? e.generics : [];
    const args = argExprs.map((a) => this.value(this.expr(a, frame), frame, a.span));
    const fn = resolved.fn;
    const ctx = this.checked.sigContext(fn, this.dimLookup(frame), this.encLookup(frame), this.fnLookup(frame));
    const r = instantiate(fn.item, args.map((a) => ({ ty: this.tyOf(a), span: e.span })), generics, ctx);
    if (!r.ok) this.fail(`internal: ${fn.item.name} does not accept the lowered arguments: ${r.err.message}`, frame, e.span);
    return fn.item.prim ? this.prim(fn, args, r.bindings, r.result, frame, e.span) : this.inline(fn, args, r.bindings, frame, e.span);
  }

  /** `F(x)` for a parameter `F: unary`: the function passed, on x made secret (as the checker typed it). */
  private unaryCall(fn: FnEntity, e: Extract<Expr, { kind: 'Call' }>, frame: Frame): LVal {
    const x = this.value(this.expr(e.args[0], frame), frame, e.args[0].span);
    const arg = x.type.vis === 'secret' ? x : this.coerce(x, { ...x.type, vis: 'secret' }, frame, e.span);
    const ctx = this.checked.sigContext(fn, this.dimLookup(frame), this.encLookup(frame), this.fnLookup(frame));
    const r = instantiate(fn.item, [{ ty: this.tyOf(arg), span: e.span }], [], ctx);
    if (!r.ok) this.fail(`the function passed as '${(e.callee as { name: string }).name}', ${fn.item.name}, does not take this argument: ${r.err.message}`, frame, e.span);
    return fn.item.prim ? this.prim(fn, [arg], r.bindings, r.result, frame, e.span) : this.inline(fn, [arg], r.bindings, frame, e.span);
  }

  /** The parameter types of `fn` under `b`. */
  private paramTypes(fn: FnEntity, b: Bindings, frame: Frame): (IrType | null)[] {
    const ctx = this.checked.sigContext(fn, this.dimLookup(frame), this.encLookup(frame));
    return fn.item.params.map((p) => {
      const t = buildResult(p.type, b, ctx, fn.item);
      if ('err' in t || t.ty.kind !== 'tensor') return null;
      return { vis: t.ty.vis, enc: t.ty.enc, shape: t.ty.shape.map((d) => this.bind(d)) };
    });
  }

  private prim(fn: FnEntity, args: (LVal & { kind: 'val' })[], b: Bindings, result: Ty, frame: Frame, span: Span): LVal {
    if (result.kind !== 'tensor') this.fail('internal: prim with a tuple result', frame, span);
    const elementwise = fn.item.attributes.some((a) => a.name === 'elementwise');
    const params = this.paramTypes(fn, b, frame);
    const coerced = args.map((a, i) => {
      const p = params[i];
      if (!p) return a;
      const shape = elementwise ? result.shape.map((d) => this.bind(d)) : a.type.shape;
      return this.coerce(a, { vis: p.vis, enc: p.enc.kind === 'lit' ? a.type.enc : p.enc, shape }, frame, span);
    });
    const attrs: Record<string, unknown> = {};
    for (const g of fn.item.generics) {
      if (g.kind === 'dim' && b.dims.has(g.name)) attrs[g.name] = this.bind(b.dims.get(g.name)!);
    }
    // Division by a constant: its value shapes the protocol (and its cost), so it is recorded.
    if (fn.item.name.startsWith('div_') && typeof args[1]?.konst === 'number') attrs.divisor = args[1].konst;
    // A public integer argument that is a size (a constant or a revealed count, e.g. compact's k)
    // is recorded under its parameter's name, so its value reaches the op's cost.
    args.forEach((a, i) => {
      const integer = a.type.enc.kind === 'int' || (a.type.enc.kind === 'lit' && !a.type.enc.float);
      if (a.dim && a.type.vis === 'public' && integer && a.type.shape.length === 0) attrs[fn.item.params[i].name] = a.dim;
    });
    const type: IrType = { vis: result.vis, enc: result.enc, shape: result.shape };
    const konst = evalConst(fn.item.name, coerced.map((a) => a.konst), result.enc.kind === 'int' || (result.enc.kind === 'lit' && !result.enc.float));
    const extra: Partial<LVal & { kind: 'val' }> = {};
    if (konst !== undefined) extra.konst = konst;
    if (typeof konst === 'number' && Number.isInteger(konst) && type.vis === 'public' && type.shape.length === 0) extra.dim = constDim(konst);
    if (result.value) extra.dim = this.bind(result.value);
    return this.emit(fn.item.name, coerced.map((a) => a.id), attrs, type, frame, span, extra);
  }

  /** Make a value fit a parameter: share up the visibility lattice, encode numbers, broadcast. */
  private coerce(v: LVal & { kind: 'val' }, want: IrType, frame: Frame, span: Span): LVal & { kind: 'val' } {
    let cur = v;
    if (!encEq(cur.type.enc, want.enc) && want.enc.kind !== 'lit' && want.enc.kind !== 'param') {
      // A secret integer (Z_2^32 shares) as fixed point may need a protocol (a wider ring): `convert`.
      const op = cur.type.vis === 'secret' && cur.type.enc.kind === 'int' ? 'convert' : 'encode';
      cur = this.emit(op, [cur.id], { enc: want.enc }, { ...cur.type, enc: want.enc }, frame, span, { konst: cur.konst, dim: cur.dim });
    }
    if (cur.type.vis !== want.vis && visLeq(cur.type.vis, want.vis)) {
      cur = this.emit('share', [cur.id], { to: want.vis }, { ...cur.type, vis: want.vis }, frame, span, want.vis === 'public' ? { konst: cur.konst, dim: cur.dim } : {});
    }
    if (want.shape.length > 0 && (cur.type.shape.length !== want.shape.length || !cur.type.shape.every((d, i) => dimEq(d, want.shape[i])))) {
      if (broadcast(cur.type.shape, want.shape)) cur = this.emit('broadcast', [cur.id], { shape: want.shape }, { ...cur.type, shape: want.shape }, frame, span);
    }
    return cur;
  }

  private inline(fn: FnEntity, args: (LVal & { kind: 'val' })[], b: Bindings, frame: Frame, span: Span): LVal {
    const item: FnItem = fn.item;
    const env = new Env(null);
    for (const g of item.generics) {
      if (g.kind === 'dim' && b.dims.has(g.name)) env.define(g.name, { kind: 'dim', dim: this.bind(b.dims.get(g.name)!) });
      if ((g.kind === 'enc' || g.kind === 'num') && b.encs.has(g.name)) env.define(g.name, { kind: 'enc', enc: b.encs.get(g.name)! });
      if (g.kind === 'unary' && b.fns.has(g.name)) env.define(g.name, { kind: 'fn', fn: b.fns.get(g.name)! });
    }
    const params = this.paramTypes(fn, b, { ...frame, env });
    item.params.forEach((p, i) => {
      const want = params[i];
      env.define(p.name, want ? this.coerce(args[i], { ...want, shape: args[i].type.shape }, frame, span) : args[i]);
    });
    const inner: Frame = { module: fn.module, env, stack: [...frame.stack, `${fn.module.name}.${item.name}`], loops: frame.loops };
    this.block(item.body!, inner);
    if (!inner.returned) this.fail(`internal: ${item.name} returned nothing`, frame, span);
    return this.shapeResult(inner.returned, item, b, fn, frame, span);
  }

  /** Coerce a function's returned value to its declared result (visibility and encoding). */
  private shapeResult(v: LVal, item: FnItem, b: Bindings, fn: FnEntity, frame: Frame, span: Span): LVal {
    const ref = item.result;
    if (!ref) return v;
    if (ref.kind === 'TupleType' && v.kind === 'tuple') {
      return { kind: 'tuple', items: v.items, names: ref.fields.map((f) => f.name) };
    }
    if (ref.kind === 'TensorType' && v.kind === 'val') {
      const ctx = this.checked.sigContext(fn, this.dimLookup(frame), this.encLookup(frame));
      const t = buildResult(ref, b, ctx, item);
      if (!('err' in t) && t.ty.kind === 'tensor') return this.coerce(v, { vis: t.ty.vis, enc: t.ty.enc, shape: v.type.shape }, frame, span);
    }
    return v;
  }
}
