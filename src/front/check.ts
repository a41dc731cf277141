// The checker: names, types, shapes and visibility for a loaded program, plus the leak report.
// Declarations (items) are handled here; expressions in check-expr.ts, statements in
// check-stmt.ts. docs/language.md describes the rules; docs/diagnostics.md lists the codes.
import type { Expr, FnItem, Item, Span } from './ast.ts';
import { freshSymbol, symDim, type DimSymbol } from './dims.ts';
import { DiagnosticBag, sortDiagnostics, type Diagnostic } from './diagnostics.ts';
import type { LeakEntry } from './leaks.ts';
import { loadProgram, type Host, type LoadResult, type Module } from './modules.ts';
import { resolveType, scopeDimLookup, scopeEncLookup } from './resolve.ts';
import { Scope, type FnEntity } from './scope.ts';
import { checkExpr } from './check-expr.ts';
import { checkBlock, definitelyReturns } from './check-stmt.ts';
import type { Ty } from './types.ts';
import type { Bindings, SigContext } from './unify.ts';

export interface ModelInput {
  name: string;
  owner: 'client' | 'server';
  ty: Ty;
  source: string | null;
  span: Span;
}
export interface ModelInfo {
  name: string;
  module: Module;
  item: Extract<Item, { kind: 'Model' }>;
  inputs: ModelInput[];
  outputs: { to: 'client' | 'server'; ty: Ty; span: Span }[];
  /** Output statements seen, including ones with errors (for the "no output" warning). */
  outputStatements: number;
}

/** What the IR needs from checking: each expression's type and each call's resolution. */
export interface Typing {
  exprTypes: Map<Expr, Ty>;
  /** `swapped`: a `@commutative` op matched with its two operands exchanged (lowering swaps them). */
  calls: Map<Expr, { fn: FnEntity; bindings: Bindings; swapped?: boolean }>;
  /** Config sizes: symbol -> default value (a checkpoint's config.json may override it). */
  configSizes: Map<DimSymbol, number>;
}

export interface CheckResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  leaks: LeakEntry[];
  modules: Module[];
  entries: Module[];
  models: ModelInfo[];
  typing: Typing;
  /** Module-level names (for lowering). */
  scopes: ReadonlyMap<Module, Scope>;
  /** Build the signature context for calling `fn` from a place whose names are given by lookups. */
  sigContext(fn: FnEntity, callDims: SigContext['callDims'], callEncs: SigContext['callEncs'], callFns?: SigContext['callFns']): SigContext;
}

/** Where the checker is: the definition, its loops, whether diagnostics are kept. */
export interface Ctx {
  module: Module;
  scope: Scope;
  fn: FnItem | null;
  model: ModelInfo | null;
  within: string;
  loops: string[];
}

export class Checker {
  diags: DiagnosticBag;
  /** True while a loop body is checked the first time to find loop-carried shapes. */
  probing = false;
  readonly leaks: LeakEntry[] = [];
  readonly models: ModelInfo[] = [];
  readonly typing: Typing = { exprTypes: new Map(), calls: new Map(), configSizes: new Map() };
  /** Call graph between definitions (for recursion and for which models reach a reveal). */
  readonly calls = new Map<string, Set<string>>();
  readonly fnSites = new Map<string, { item: FnItem; module: Module }>();
  private readonly scopes = new Map<Module, Scope>();
  readonly preludeScope = new Scope();
  private readonly load: LoadResult;

  constructor(load: LoadResult) {
    this.load = load;
    this.diags = load.diags;
  }

  run(): CheckResult {
    const prelude = this.load.prelude;
    this.declareNames(prelude, this.preludeScope);
    for (const m of this.load.modules) if (!m.isPrelude) this.declareNames(m, new Scope(this.preludeScope));
    for (const m of this.load.modules) this.defineValues(m);
    for (const m of this.load.modules) this.checkBodies(m);
    this.checkRecursion();
    this.attributeLeaks();
    const diagnostics = sortDiagnostics(this.diags.items);
    return {
      ok: !diagnostics.some((d) => d.severity === 'error'),
      diagnostics,
      leaks: this.leaks,
      modules: this.load.modules,
      entries: this.load.entries,
      models: this.models,
      typing: this.typing,
      scopes: this.scopes,
      sigContext: (fn, callDims, callEncs, callFns) => ({ ...this.sigContext(fn, { scope: this.preludeScope } as Ctx), callDims, callEncs, callFns }),
    };
  }

  scopeOf(m: Module): Scope {
    return this.scopes.get(m)!;
  }

  /** Run `f` with diagnostics and leak records discarded (loop probing). */
  quietly<T>(f: () => T): T {
    const saved = this.diags;
    const wasProbing = this.probing;
    const leakCount = this.leaks.length;
    this.diags = new DiagnosticBag();
    this.probing = true;
    try {
      return f();
    } finally {
      this.diags = saved;
      this.probing = wasProbing;
      this.leaks.length = leakCount;
    }
  }

  fnKey(module: Module, name: string): string {
    return `${module.name}.${name}`;
  }

  recordCall(ctx: Ctx, callee: FnEntity): void {
    const from = ctx.fn ? this.fnKey(ctx.module, ctx.fn.name) : `model ${ctx.model?.name}`;
    const to = this.fnKey(callee.module, callee.item.name);
    if (!this.calls.has(from)) this.calls.set(from, new Set());
    this.calls.get(from)!.add(to);
  }

  sigContext(fn: FnEntity, ctx: Ctx): SigContext {
    const defScope = this.scopeOf(fn.module);
    return {
      module: fn.module,
      encs: scopeEncLookup(defScope),
      dims: scopeDimLookup(defScope),
      callDims: scopeDimLookup(ctx.scope),
      callEncs: scopeEncLookup(ctx.scope),
      callFns: scopeFnLookup(ctx.scope),
    };
  }

  // ---- pass 1: names of definitions ----
  private declareNames(m: Module, scope: Scope): void {
    this.scopes.set(m, scope);
    const seen = new Map<string, Span>();
    const dup = (name: string, span: Span) => {
      const prev = seen.get(name);
      if (prev) {
        this.diags.add('E0202', m.file, span, `'${name}' is defined twice`, { notes: [{ message: 'first defined here', file: m.file, span: prev }] });
        return true;
      }
      seen.set(name, span);
      return false;
    };
    for (const [alias, target] of m.imports) scope.define(alias, { kind: 'module', module: target });
    for (const alias of m.brokenImports) if (!m.imports.has(alias)) scope.define(alias, { kind: 'broken-module', name: alias });
    for (const item of m.ast.items) {
      if (item.kind === 'Fn') {
        if (dup(item.name, item.nameSpan)) continue;
        const ent: FnEntity = { kind: 'fn', item, module: m };
        scope.define(item.name, ent);
        this.fnSites.set(this.fnKey(m, item.name), { item, module: m });
      } else if (item.kind === 'Model') {
        dup(`model ${item.name}`, item.nameSpan);
      } else if (item.kind === 'Inputs') {
        if (dup(`inputs ${item.name}`, item.nameSpan)) continue;
        scope.define(`(inputs) ${item.name}`, { kind: 'inputs', item });
        for (const s of item.body.stmts) if (s.kind !== 'Input') this.diags.add('E0211', m.file, s.span, `an \`inputs\` block holds only \`input\` declarations`);
      }
    }
    for (const item of m.ast.items) {
      if (item.kind !== 'Overload') continue;
      if (dup(item.name, item.nameSpan)) continue;
      const members: FnEntity[] = [];
      for (const mem of item.members) {
        const e = scope.lookup(mem.name);
        if (!e) this.diags.add('E0201', m.file, mem.span, `unknown name '${mem.name}'`);
        else if (e.kind !== 'fn') this.diags.add('E0209', m.file, mem.span, `'${mem.name}' is not a function or primitive`);
        else members.push(e);
      }
      scope.define(item.name, { kind: 'overload', name: item.name, members });
    }
  }

  // ---- pass 2: config sizes, constants, encodings aliases (in source order) ----
  private defineValues(m: Module): void {
    const scope = this.scopeOf(m);
    const ctx: Ctx = { module: m, scope, fn: null, model: null, within: `module ${m.name}`, loops: [] };
    const seen = new Set<string>();
    const taken = (name: string, span: Span): boolean => {
      if (seen.has(name) || scope.own(name)?.kind === 'fn' || scope.own(name)?.kind === 'overload') {
        this.diags.add('E0202', m.file, span, `'${name}' is defined twice`);
        return true;
      }
      seen.add(name);
      return false;
    };
    for (const item of m.ast.items) {
      if (item.kind === 'Config') {
        for (const e of item.entries) {
          if (taken(e.name, e.nameSpan)) continue;
          const v = e.value;
          const value = v.kind === 'Int' ? v.value : null;
          if (value === null || value <= 0) {
            this.diags.add('E0311', m.file, v.span, `config size '${e.name}' must be a positive integer literal`);
          }
          const sym = freshSymbol(e.name, 'config', { file: m.file, ...e.nameSpan });
          this.typing.configSizes.set(sym, value ?? 1);
          scope.define(e.name, { kind: 'var', name: e.name, ty: { kind: 'tensor', vis: 'public', enc: { kind: 'lit', float: false }, shape: [], value: symDim(sym) }, span: e.nameSpan, mutable: false, used: true, warnUnused: false });
        }
      } else if (item.kind === 'Const') {
        if (taken(item.name, item.nameSpan)) continue;
        let ty = checkExpr(this, item.value, ctx);
        if (ty.kind === 'tensor' && ty.vis !== 'public') {
          this.diags.add('E0501', m.file, item.value.span, `constant '${item.name}' must be public, found ${ty.vis}`);
        }
        if (item.type) {
          const want = resolveType(item.type, scope, m.file, this.diags);
          ty = want.kind === 'tensor' && ty.kind === 'tensor' ? { ...want, value: ty.value } : want;
        }
        scope.define(item.name, { kind: 'var', name: item.name, ty, span: item.nameSpan, mutable: false, used: true, warnUnused: false });
      } else if (item.kind === 'TypeAlias') {
        if (taken(item.name, item.nameSpan)) continue;
        const enc = resolveType({ kind: 'TensorType', visibility: 'public', encoding: item.encoding, shape: null, span: item.span }, scope, m.file, this.diags);
        if (enc.kind === 'tensor') scope.define(item.name, { kind: 'alias', enc: enc.enc });
      }
    }
  }

  // ---- pass 3: bodies ----
  private checkBodies(m: Module): void {
    const scope = this.scopeOf(m);
    for (const item of m.ast.items) {
      if (item.kind === 'Fn') this.checkFn(m, scope, item);
      else if (item.kind === 'Model') this.checkModel(m, scope, item);
    }
  }

  private checkFn(m: Module, moduleScope: Scope, fn: FnItem): void {
    const scope = new Scope(moduleScope);
    const generics = new Set<string>();
    for (const g of fn.generics) {
      if (generics.has(g.name)) this.diags.add('E0202', m.file, g.span, `generic parameter '${g.name}' is declared twice`);
      generics.add(g.name);
      if (!['dim', 'shape', 'enc', 'num', 'vis', 'party', 'plain', 'unary'].includes(g.kind)) {
        this.diags.add('E0206', m.file, g.span, `unknown kind '${g.kind}' for generic parameter '${g.name}'`, { suggestion: 'kinds are dimensions (no kind), ...S (shape), enc, num, vis, party, plain and unary (a function of one argument)' });
        continue;
      }
      if (fn.prim) continue;
      if (g.kind === 'dim') scope.define(g.name, { kind: 'generic-dim', dim: symDim(freshSymbol(g.name, 'param', { file: m.file, ...g.span })) });
      else if (g.kind === 'enc' || g.kind === 'num') scope.define(g.name, { kind: 'generic-enc', enc: { kind: 'param', name: g.name, id: freshSymbol(g.name, 'enc').id } });
      else if (g.kind === 'unary') scope.define(g.name, { kind: 'generic-fn', name: g.name });
      else this.diags.add('E0206', m.file, g.span, `only \`prim\` signatures may be generic over ${g.kind === 'shape' ? 'shape rank' : 'visibility'}`, { suggestion: 'give the function explicit dimensions, e.g. fn f<n, d>(x: secret act[n, d])' });
    }
    if (fn.prim) return; // signatures are checked where they are used
    for (const p of fn.params) {
      const ty = resolveType(p.type, scope, m.file, this.diags);
      // A public int parameter names a dimension for later parameter and result types.
      if (ty.kind === 'tensor' && ty.vis === 'public' && ty.shape.length === 0 && ty.enc.kind === 'int') {
        ty.value = symDim(freshSymbol(p.name, 'param', { file: m.file, ...p.span }));
      }
      scope.define(p.name, { kind: 'var', name: p.name, ty, span: p.span, mutable: true, used: false, warnUnused: false });
    }
    const ctx: Ctx = { module: m, scope, fn, model: null, within: `fn ${m.name}.${fn.name}`, loops: [] };
    checkBlock(this, fn.body!, ctx, scope);
    if (fn.result && !definitelyReturns(fn.body!)) {
      this.diags.add('E0306', m.file, fn.nameSpan, `function '${fn.name}' may end without returning a value`, { suggestion: 'end the function with `return ...`' });
    }
  }

  private checkModel(m: Module, moduleScope: Scope, item: Extract<Item, { kind: 'Model' }>): void {
    const info: ModelInfo = { name: item.name, module: m, item, inputs: [], outputs: [], outputStatements: 0 };
    this.models.push(info);
    const scope = new Scope(moduleScope);
    const ctx: Ctx = { module: m, scope, fn: null, model: info, within: `model ${item.name}`, loops: [] };
    checkBlock(this, item.body, ctx, scope);
    if (info.outputStatements === 0) this.diags.add('W0003', m.file, item.nameSpan, `model '${item.name}' has no output`);
  }

  private checkRecursion(): void {
    const state = new Map<string, 'active' | 'done'>();
    const visit = (k: string, path: string[]) => {
      if (state.get(k) === 'done') return;
      if (state.get(k) === 'active') {
        const site = this.fnSites.get(k);
        if (site) this.diags.add('E0310', site.module.file, site.item.nameSpan, `recursive function: ${[...path.slice(path.indexOf(k)), k].join(' -> ')}`, { suggestion: 'CPL programs are unrolled at compile time; use a `for` loop over a public range' });
        return;
      }
      state.set(k, 'active');
      for (const c of this.calls.get(k) ?? []) visit(c, [...path, k]);
      state.set(k, 'done');
    };
    for (const k of this.calls.keys()) visit(k, []);
  }

  /** Fill each leak entry's `models`: the models whose call graph reaches its definition. */
  private attributeLeaks(): void {
    const reach = new Map<string, Set<string>>();
    for (const model of this.models) {
      const seen = new Set<string>();
      const stack = [`model ${model.name}`];
      while (stack.length) {
        const k = stack.pop()!;
        if (seen.has(k)) continue;
        seen.add(k);
        for (const c of this.calls.get(k) ?? []) stack.push(c);
      }
      reach.set(model.name, seen);
    }
    for (const l of this.leaks) {
      const key = l.within.startsWith('fn ') ? l.within.slice(3) : l.within;
      l.models = this.models.filter((md) => reach.get(md.name)!.has(key)).map((md) => md.name);
    }
  }
}

export interface CheckInput {
  path: string;
  text?: string;
}

/** Load and check a program (entry files plus their imports and the prelude). */
export function checkProgram(entries: CheckInput[], host?: Host): CheckResult {
  const load = loadProgram(entries, host);
  return new Checker(load).run();
}

/** Functions by name (for `F: unary` arguments): a `fn` or `prim` in reach. */
export function scopeFnLookup(scope: Scope): (name: string) => FnEntity | undefined {
  return (name) => {
    const e = scope.lookup(name);
    return e?.kind === 'fn' ? e : undefined;
  };
}
