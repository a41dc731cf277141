// CST (grammar/parser.ts) -> AST (ast.ts). Tolerates the partial trees that error recovery
// produces: missing pieces become placeholder nodes, never exceptions.
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.ts';
import type { SourceFile } from './source.ts';

type Kids = Record<string, CstElement[] | undefined>;

const isToken = (e: CstElement | undefined): e is IToken => !!e && 'image' in e;

export class AstBuilder {
  private readonly src: SourceFile;
  constructor(src: SourceFile) {
    this.src = src;
  }

  // ---- helpers ----
  private kids(n: CstNode | undefined): Kids {
    return (n?.children ?? {}) as Kids;
  }
  private node(n: CstNode | undefined, key: string, i = 0): CstNode | undefined {
    const e = this.kids(n)[key]?.[i];
    return e && !isToken(e) ? e : undefined;
  }
  private nodes(n: CstNode | undefined, key: string): CstNode[] {
    return (this.kids(n)[key] ?? []).filter((e): e is CstNode => !isToken(e));
  }
  private tok(n: CstNode | undefined, key: string, i = 0): IToken | undefined {
    const e = this.kids(n)[key]?.[i];
    return isToken(e) && !isNaN(e.startOffset) ? e : undefined;
  }
  private toks(n: CstNode | undefined, key: string): IToken[] {
    return (this.kids(n)[key] ?? []).filter((e): e is IToken => isToken(e) && !isNaN(e.startOffset));
  }
  private tokSpan(t: IToken | undefined, fallback: A.Span): A.Span {
    if (!t) return fallback;
    return { start: this.src.byteOf(t.startOffset), end: this.src.byteOf((t.endOffset ?? t.startOffset) + 1) };
  }
  private span(n: CstNode | undefined): A.Span {
    const loc = n?.location;
    if (!loc || isNaN(loc.startOffset)) return { start: 0, end: 0 };
    const end = loc.endOffset === undefined || isNaN(loc.endOffset) ? loc.startOffset : loc.endOffset;
    return { start: this.src.byteOf(loc.startOffset), end: this.src.byteOf(end + 1) };
  }
  private ident(n: CstNode | undefined, key = 'Identifier', i = 0): { name: string; span: A.Span } {
    const t = this.tok(n, key, i);
    return { name: t?.image ?? '<missing>', span: this.tokSpan(t, this.span(n)) };
  }

  // ---- file and items ----
  file(cst: CstNode): A.FileAst {
    const mod = this.node(cst, 'moduleDecl');
    return {
      module: mod ? { path: this.qualName(this.node(mod, 'qualName')), span: this.span(mod) } : null,
      items: this.nodes(cst, 'item').map((i) => this.item(i)).filter((i): i is A.Item => i !== null),
      span: { start: 0, end: this.src.byteOf(this.src.text.length) },
    };
  }

  private qualName(n: CstNode | undefined): string[] {
    return this.toks(n, 'Identifier').map((t) => t.image);
  }

  private item(n: CstNode): A.Item | null {
    const k = this.kids(n);
    const [key] = Object.keys(k);
    const c = this.node(n, key);
    if (!c) return null;
    const span = this.span(c);
    switch (key) {
      case 'importDecl':
        return { kind: 'Import', path: this.qualName(this.node(c, 'qualName')), alias: this.tok(c, 'alias')?.image ?? null, span };
      case 'constDecl': {
        const id = this.ident(c);
        const ty = this.node(c, 'typeExpr');
        return { kind: 'Const', name: id.name, nameSpan: id.span, type: ty ? this.typeExpr(ty) : null, value: this.expr(this.node(c, 'expression')), span };
      }
      case 'configDecl':
        return {
          kind: 'Config',
          entries: this.nodes(c, 'configEntry').map((e) => {
            const id = this.ident(e);
            return { name: id.name, nameSpan: id.span, value: this.expr(this.node(e, 'expression')), span: this.span(e) };
          }),
          span,
        };
      case 'typeDecl': {
        const id = this.ident(c);
        return { kind: 'TypeAlias', name: id.name, nameSpan: id.span, encoding: this.encoding(this.node(c, 'encoding')), span };
      }
      case 'overloadDecl': {
        const opNode = this.node(c, 'operator');
        const nameTok = this.tok(c, 'name');
        const opTok = opNode ? Object.values(this.kids(opNode)).flat().find(isToken) : undefined;
        const name = nameTok ? nameTok.image : opTok ? `(${opTok.image})` : '<missing>';
        return {
          kind: 'Overload',
          name,
          nameSpan: this.tokSpan(nameTok ?? opTok, span),
          members: this.toks(c, 'member').map((t) => ({ name: t.image, span: this.tokSpan(t, span) })),
          span,
        };
      }
      case 'modelDecl': {
        const id = this.ident(c);
        return { kind: 'Model', name: id.name, nameSpan: id.span, body: this.block(this.node(c, 'block')), span };
      }
      case 'inputsDecl': {
        const id = this.ident(c);
        return { kind: 'Inputs', name: id.name, nameSpan: id.span, body: this.block(this.node(c, 'block')), span };
      }
      case 'callableDecl':
        return this.callable(c);
      default:
        return null;
    }
  }

  private callable(c: CstNode): A.FnItem {
    const prim = !!this.tok(c, 'Prim');
    const sig = this.node(c, 'signature');
    const id = this.ident(sig);
    const gp = this.node(sig, 'genericParams');
    const result = this.node(sig, 'typeExpr');
    return {
      kind: 'Fn',
      prim,
      attributes: this.nodes(c, 'attribute').map((a) => ({ name: this.ident(a).name, span: this.span(a) })),
      name: id.name,
      nameSpan: id.span,
      generics: this.nodes(gp, 'genericParam').map((g) => {
        const rest = !!this.tok(g, 'DotDotDot');
        const kindTok = this.tok(g, 'kind');
        const kind = rest ? 'shape' : ((kindTok?.image ?? 'dim') as A.GenericParam['kind']);
        return { name: this.tok(g, 'name')?.image ?? '<missing>', kind, span: this.span(g) };
      }),
      params: this.nodes(sig, 'param').map((p) => ({ name: this.ident(p).name, type: this.typeExpr(this.node(p, 'typeExpr')), span: this.span(p) })),
      result: result ? this.typeExpr(result) : null,
      body: prim ? null : this.block(this.node(c, 'block')),
      span: this.span(c),
    };
  }

  // ---- types ----
  typeExpr(n: CstNode | undefined): A.TypeRef {
    const tuple = this.node(n, 'tupleType');
    if (tuple) {
      return {
        kind: 'TupleType',
        fields: this.nodes(tuple, 'tupleField').map((f) => ({
          name: this.tok(f, 'name')?.image ?? null,
          type: this.typeExpr(this.node(f, 'typeExpr')),
          span: this.span(f),
        })),
        span: this.span(tuple),
      };
    }
    const t = this.node(n, 'tensorType');
    const vis = this.node(t, 'visibility');
    const visTok = vis ? Object.values(this.kids(vis)).flat().find(isToken) : undefined;
    const shape = this.node(t, 'shape');
    return {
      kind: 'TensorType',
      visibility: visTok?.image ?? '<missing>',
      encoding: this.encoding(this.node(t, 'encoding')),
      shape: shape ? this.shape(shape) : null,
      span: this.span(t ?? n),
    };
  }

  private encoding(n: CstNode | undefined): A.EncodingRef {
    const id = this.ident(n);
    const args = [...this.toks(n, 'IntLit'), ...this.toks(n, 'Identifier').slice(1)]
      .sort((a, b) => a.startOffset - b.startOffset)
      .map((t) => ({ value: t.tokenType.name === 'IntLit' ? Number(t.image) : t.image, span: this.tokSpan(t, id.span) }));
    return { kind: 'EncodingRef', name: id.name, args, span: this.span(n) };
  }

  private shape(n: CstNode): A.DimItem[] {
    return this.nodes(n, 'dim').map((d) => {
      if (this.tok(d, 'DotDotDot')) return { kind: 'Rest', name: this.ident(d).name, span: this.span(d) };
      return { kind: 'DimExpr', expr: this.expr(this.node(d, 'addExpr')), span: this.span(d) };
    });
  }

  // ---- statements ----
  block(n: CstNode | undefined): A.Block {
    return { stmts: this.nodes(n, 'statement').map((s) => this.stmt(s)).filter((s): s is A.Stmt => s !== null), span: this.span(n) };
  }

  private stmt(n: CstNode): A.Stmt | null {
    const [key] = Object.keys(this.kids(n));
    const c = this.node(n, key);
    if (!c) return null;
    const span = this.span(c);
    switch (key) {
      case 'letStmt': {
        const ty = this.node(c, 'typeExpr');
        return { kind: 'Let', pattern: this.pattern(this.node(c, 'pattern')), type: ty ? this.typeExpr(ty) : null, value: this.expr(this.node(c, 'expression')), span };
      }
      case 'assignStmt': {
        const id = this.ident(c);
        return { kind: 'Assign', name: id.name, nameSpan: id.span, value: this.expr(this.node(c, 'expression')), span };
      }
      case 'forStmt': {
        const id = this.ident(c);
        return { kind: 'For', var: id.name, varSpan: id.span, from: this.expr(this.node(c, 'from')), to: this.expr(this.node(c, 'to')), body: this.block(this.node(c, 'block')), span };
      }
      case 'ifStmt':
        return this.ifStmt(c);
      case 'returnStmt':
        return { kind: 'Return', value: this.expr(this.node(c, 'expression')), span };
      case 'inputStmt': {
        const id = this.ident(c);
        const s = this.tok(c, 'StringLit');
        return { kind: 'Input', name: id.name, nameSpan: id.span, type: this.typeExpr(this.node(c, 'typeExpr')), source: s ? safeString(s.image) : null, span };
      }
      case 'useInputsStmt': {
        const id = this.ident(c);
        return { kind: 'UseInputs', name: id.name, nameSpan: id.span, span };
      }
      case 'outputStmt':
        return { kind: 'Output', value: this.expr(this.node(c, 'expression')), to: this.party(this.node(c, 'party')) ?? 'client', span };
      default:
        return null;
    }
  }

  private ifStmt(c: CstNode): A.Stmt {
    const elseIf = this.node(c, 'elseIf');
    const elseBlock = this.node(c, 'else');
    let els: A.Block | null = null;
    if (elseIf) {
      const s = this.ifStmt(elseIf);
      els = { stmts: [s], span: s.span };
    } else if (elseBlock) els = this.block(elseBlock);
    return { kind: 'If', cond: this.expr(this.node(c, 'expression')), then: this.block(this.node(c, 'then')), else: els, span: this.span(c) };
  }

  private party(n: CstNode | undefined): A.PartyName | null {
    if (!n) return null;
    return this.tok(n, 'Client') ? 'client' : this.tok(n, 'Server') ? 'server' : null;
  }

  private pattern(n: CstNode | undefined): A.Pattern {
    const sub = this.nodes(n, 'pattern');
    if (sub.length || this.tok(n, 'LParen')) return { kind: 'PTuple', items: sub.map((p) => this.pattern(p)), span: this.span(n) };
    const id = this.ident(n);
    return { kind: 'PName', name: id.name, span: id.span };
  }

  // ---- expressions ----
  expr(n: CstNode | undefined): A.Expr {
    if (!n) return { kind: 'Name', name: '<missing>', span: { start: 0, end: 0 } };
    switch (n.name) {
      case 'expression':
        return this.expr(this.node(n, 'orExpr'));
      case 'orExpr':
      case 'andExpr':
      case 'cmpExpr':
      case 'addExpr':
      case 'mulExpr':
        return this.binary(n);
      case 'unaryExpr':
        return this.unary(n);
      case 'revealExpr':
        return { kind: 'Reveal', operand: this.expr(this.node(n, 'unaryExpr')), to: this.party(this.node(n, 'party')), span: this.span(n) };
      case 'postfixExpr':
        return this.postfix(n);
      case 'primary':
        return this.primary(n);
      default:
        return { kind: 'Name', name: '<missing>', span: this.span(n) };
    }
  }

  private binary(n: CstNode): A.Expr {
    const operands = this.nodes(n, 'operand');
    const ops = this.toks(n, 'op');
    let acc = this.expr(operands[0]);
    for (let i = 1; i < operands.length; i++) {
      const right = this.expr(operands[i]);
      const op = ops[i - 1];
      acc = { kind: 'Binary', op: op?.image ?? '?', left: acc, right, opSpan: this.tokSpan(op, right.span), span: { start: acc.span.start, end: right.span.end } };
    }
    return acc;
  }

  private unary(n: CstNode): A.Expr {
    const op = this.tok(n, 'op');
    if (op) return { kind: 'Unary', op: op.image, operand: this.expr(this.node(n, 'unaryExpr')), span: this.span(n) };
    return this.expr(this.node(n, 'revealExpr') ?? this.node(n, 'postfixExpr'));
  }

  private postfix(n: CstNode): A.Expr {
    let acc = this.primary(this.node(n, 'primary'));
    // Suffixes of different kinds interleave; restore source order by offset.
    const suffixes = [...this.nodes(n, 'callSuffix'), ...this.nodes(n, 'indexSuffix'), ...this.nodes(n, 'fieldSuffix')].sort(
      (a, b) => (a.location?.startOffset ?? 0) - (b.location?.startOffset ?? 0),
    );
    for (const s of suffixes) {
      const span = { start: acc.span.start, end: this.span(s).end };
      if (s.name === 'callSuffix') {
        acc = {
          kind: 'Call',
          callee: acc,
          generics: this.nodes(s, 'genericArg').map((g) => this.genericArg(g)),
          args: this.nodes(s, 'expression').map((e) => this.expr(e)),
          span,
        };
      } else if (s.name === 'indexSuffix') {
        acc = { kind: 'Index', target: acc, indices: this.nodes(s, 'expression').map((e) => this.expr(e)), span };
      } else {
        const id = this.ident(s);
        acc = { kind: 'Field', target: acc, name: id.name, nameSpan: id.span, span };
      }
    }
    return acc;
  }

  private genericArg(g: CstNode): A.GenericArg {
    const enc = this.node(g, 'encoding');
    if (enc) return { kind: 'EncArg', encoding: this.encoding(enc), span: this.span(g) };
    const shape = this.node(g, 'shape');
    if (shape) return { kind: 'ShapeArg', dims: this.shape(shape), span: this.span(g) };
    return { kind: 'DimArg', expr: this.expr(this.node(g, 'addExpr')), span: this.span(g) };
  }

  private primary(n: CstNode | undefined): A.Expr {
    const span = this.span(n);
    const t = (key: string) => this.tok(n, key);
    let tk: IToken | undefined;
    if ((tk = t('IntLit'))) {
      const value = Number(tk.image);
      return { kind: 'Int', value, text: tk.image, span };
    }
    if ((tk = t('FloatLit'))) return { kind: 'Float', value: Number(tk.image), text: tk.image, span };
    if ((tk = t('StringLit'))) return { kind: 'Str', value: safeString(tk.image), span };
    if (t('True')) return { kind: 'Bool', value: true, span };
    if (t('False')) return { kind: 'Bool', value: false, span };
    if ((tk = t('Identifier'))) return { kind: 'Name', name: tk.image, span };
    const items = this.nodes(n, 'expression').map((e) => this.expr(e));
    if (items.length === 1 && this.toks(n, 'Comma').length === 0) return { kind: 'Paren', inner: items[0], span };
    if (items.length === 0) return { kind: 'Name', name: '<missing>', span };
    return { kind: 'Tuple', items, span };
  }
}

function safeString(image: string): string {
  try {
    return JSON.parse(image);
  } catch {
    return image.slice(1, -1);
  }
}
