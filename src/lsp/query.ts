// What the language server asks of a checked program: the expression at a position and its type
// (hover), and where a name is defined (go to definition). Positions are byte offsets.
import type { Expr, Item, Span, Stmt } from '../front/ast.ts';
import type { CheckResult, Module } from '../front/index.ts';
import type { SourceFile } from '../front/source.ts';
import { showDim } from '../front/dims.ts';
import { showEnc, type Ty } from '../front/types.ts';

const inside = (s: Span, at: number) => s.start <= at && at <= s.end;

/** Every AST node (an object with a `kind` and a `span`) under `node`, depth first. */
function* nodes(node: unknown): Generator<{ kind: string; span: Span }> {
  if (Array.isArray(node)) for (const x of node) yield* nodes(x);
  else if (node && typeof node === 'object') {
    const n = node as { kind?: unknown; span?: Span };
    if (typeof n.kind === 'string' && n.span) yield n as { kind: string; span: Span };
    for (const [k, v] of Object.entries(node)) if (k !== 'span' && k !== 'nameSpan' && v && typeof v === 'object') yield* nodes(v);
  }
}

/** The smallest typed expression whose span holds `at`. */
export function exprAt(r: CheckResult, m: Module, at: number): Expr | undefined {
  let best: Expr | undefined;
  for (const n of nodes(m.ast.items)) {
    if (!inside(n.span, at) || !r.typing.exprTypes.has(n as Expr)) continue;
    if (!best || n.span.end - n.span.start <= best.span.end - best.span.start) best = n as Expr;
  }
  return best;
}

/** Hover text: visibility, encoding and shape of the expression at `at`, and the op a call or an
 * operator resolved to (its cost is the op's: see `compile --emit cost`). */
export function hoverAt(r: CheckResult, m: Module, at: number): { text: string; span: Span } | undefined {
  const e = exprAt(r, m, at);
  if (!e) return undefined;
  const ty = r.typing.exprTypes.get(e)!;
  const call = r.typing.calls.get(e);
  const lines = [`\`${m.file.slice(e.span).replace(/\s+/g, ' ').slice(0, 80)}\`: ${describeTy(ty)}`];
  if (call) lines.push(`op: \`${call.fn.item.name}\`${call.fn.item.prim ? ' (primitive)' : ` (fn in ${call.fn.module.name})`}${call.swapped ? ', operands exchanged' : ''}`);
  return { text: lines.join('\n\n'), span: e.span };
}

function describeTy(ty: Ty): string {
  if (ty.kind === 'error') return 'type unknown (an error is reported here)';
  if (ty.kind === 'tuple') return `(${ty.fields.map((f) => (f.name ? `${f.name}: ` : '') + describeTy(f.ty)).join(', ')})`;
  const shape = ty.shape.length ? `[${ty.shape.map(showDim).join(', ')}]` : 'scalar';
  const value = ty.value ? `, value ${showDim(ty.value)}` : '';
  return `visibility **${ty.vis}**, encoding **${showEnc(ty.enc)}**, shape **${shape}**${value}`;
}

export interface Place {
  file: SourceFile;
  span: Span;
}

/** Where the name (or called function) at `at` is defined. */
export function definitionAt(r: CheckResult, m: Module, at: number): Place | undefined {
  // Calls and operators: the function or primitive they resolved to.
  for (const n of nodes(m.ast.items)) {
    const call = r.typing.calls.get(n as Expr);
    if (!call || !inside(n.span, at)) continue;
    const e = n as Expr;
    const calleeSpan = e.kind === 'Call' ? (e.callee.kind === 'Field' ? e.callee.nameSpan : e.callee.span) : e.kind === 'Binary' || e.kind === 'Unary' ? opSpan(m.file, e) : null;
    if (calleeSpan && inside(calleeSpan, at)) return { file: call.fn.module.file, span: call.fn.item.nameSpan };
  }
  const e = exprAt(r, m, at);
  if (!e || e.kind !== 'Name') return undefined;
  // A local: the last declaration of that name before the use, in the enclosing definition.
  const item = m.ast.items.find((i) => inside(i.span, at));
  const local = item ? declarations(item).filter((d) => d.name === e.name && d.span.start < e.span.start).pop() : undefined;
  if (local) return { file: m.file, span: local.span };
  // An input of a shared `inputs` block.
  for (const b of m.ast.items) if (b.kind === 'Inputs') for (const st of b.body.stmts) if (st.kind === 'Input' && st.name === e.name) return { file: m.file, span: st.nameSpan };
  // A module-level name: here, then the prelude and the imports.
  for (const mod of [m, ...r.modules.filter((x) => x !== m)]) {
    const top = mod.ast.items.flatMap(topDeclarations).find((d) => d.name === e.name);
    if (top && (mod === m || mod.isPrelude)) return { file: mod.file, span: top.span };
  }
  return undefined;
}

/** The operator token of a binary or unary expression: between the operands. */
function opSpan(file: SourceFile, e: Extract<Expr, { kind: 'Binary' | 'Unary' }>): Span {
  if (e.kind === 'Unary') return { start: e.span.start, end: e.operand.span.start };
  return { start: e.left.span.end, end: e.right.span.start };
}

type Decl = { name: string; span: Span };

function topDeclarations(i: Item): Decl[] {
  switch (i.kind) {
    case 'Fn':
    case 'Const':
    case 'TypeAlias':
    case 'Overload':
    case 'Model':
    case 'Inputs':
      return [{ name: i.name, span: i.nameSpan }];
    case 'Config':
      return i.entries.map((c) => ({ name: c.name, span: c.nameSpan }));
    default:
      return [];
  }
}

/** Parameters, generics and every statement-level declaration in a definition, in source order. */
function declarations(i: Item): Decl[] {
  const out: Decl[] = [];
  if (i.kind === 'Fn') {
    out.push(...i.generics.map((g) => ({ name: g.name, span: g.span })), ...i.params.map((p) => ({ name: p.name, span: p.span })));
  }
  for (const n of nodes(i)) {
    const s = n as Stmt | { kind: 'PName'; name: string; span: Span };
    if (s.kind === 'PName') out.push({ name: s.name, span: s.span });
    else if (s.kind === 'Input') out.push({ name: s.name, span: s.nameSpan });
    else if (s.kind === 'For') out.push({ name: s.var, span: s.varSpan });
  }
  return out.sort((a, b) => a.span.start - b.span.start);
}
