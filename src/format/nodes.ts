// Node schema for the formatter. The AST (src/front/ast.ts) is plain data and some of its pieces
// (parameters, config entries, ...) carry no `kind`, so before printing we walk the tree once and
// give every node a tag (`$t`) and a location in string indices (`loc`; the AST's spans are UTF-8
// byte offsets). The walk checks every node against the schema below: a node kind or field the
// formatter does not know throws "cannot format node X" instead of silently dropping text.
import type { SourceFile } from '../front/source.ts';

export interface Loc {
  start: number;
  end: number;
}

export interface CplComment {
  $t: 'Comment';
  block: boolean;
  value: string;
  loc: Loc;
  // Set by prettier's comment attachment.
  leading?: boolean;
  trailing?: boolean;
  printed?: boolean;
}

/** A tagged AST node. Fields are the AST's own plus `$t`, `loc`, and prettier's `comments`. */
export interface FNode {
  $t: string;
  loc: Loc;
  comments?: CplComment[];
  /** Set on the synthetic block that holds an `else if` (it is printed through its `if`). */
  $elseIf?: boolean;
  /** The parent node (non-enumerable, so that no traversal follows it). */
  $parent?: FNode;
  [field: string]: any;
}

/** Node categories whose members are told apart by `kind`. */
export const categories: Record<string, string[]> = {
  Item: ['Import', 'Const', 'Config', 'TypeAlias', 'Overload', 'Fn', 'Model', 'Inputs'],
  Stmt: ['Let', 'Assign', 'For', 'If', 'Return', 'Input', 'UseInputs', 'Output'],
  Expr: ['Int', 'Float', 'Str', 'Bool', 'Name', 'Field', 'Tuple', 'Paren', 'Binary', 'Unary', 'Reveal', 'Call', 'Index'],
  TypeRef: ['TensorType', 'TupleType'],
  DimItem: ['Rest', 'DimExpr'],
  GenericArg: ['DimArg', 'ShapeArg', 'EncArg'],
  Pattern: ['PName', 'PTuple'],
};

/**
 * Every field of every node: `null` for data (strings, numbers, spans), otherwise the category or
 * tag of the child node(s) it holds (a single node, an array of nodes, or null).
 */
const schema: Record<string, Record<string, string | null>> = {
  File: { module: 'Module', items: 'Item', span: null },
  Module: { path: null, span: null },
  Import: { kind: null, path: null, alias: null, span: null },
  Const: { kind: null, name: null, nameSpan: null, type: 'TypeRef', value: 'Expr', span: null },
  Config: { kind: null, entries: 'ConfigEntry', span: null },
  ConfigEntry: { name: null, nameSpan: null, value: 'Expr', span: null },
  TypeAlias: { kind: null, name: null, nameSpan: null, encoding: 'EncodingRef', span: null },
  Overload: { kind: null, name: null, nameSpan: null, members: 'OverloadMember', span: null },
  OverloadMember: { name: null, span: null },
  Fn: {
    kind: null, prim: null, attributes: 'Attribute', name: null, nameSpan: null, generics: 'GenericParam',
    params: 'Param', result: 'TypeRef', body: 'Block', span: null,
  },
  Attribute: { name: null, span: null },
  GenericParam: { name: null, kind: null, span: null },
  Param: { name: null, type: 'TypeRef', span: null },
  Model: { kind: null, name: null, nameSpan: null, body: 'Block', span: null },
  Inputs: { kind: null, name: null, nameSpan: null, body: 'Block', span: null },
  // types
  EncodingRef: { kind: null, name: null, args: 'EncodingArg', span: null },
  EncodingArg: { value: null, span: null },
  TensorType: { kind: null, visibility: null, encoding: 'EncodingRef', shape: 'DimItem', span: null },
  TupleType: { kind: null, fields: 'TupleField', span: null },
  TupleField: { name: null, type: 'TypeRef', span: null },
  Rest: { kind: null, name: null, span: null },
  DimExpr: { kind: null, expr: 'Expr', span: null },
  // statements
  Block: { stmts: 'Stmt', span: null },
  Let: { kind: null, pattern: 'Pattern', type: 'TypeRef', value: 'Expr', span: null },
  PName: { kind: null, name: null, span: null },
  PTuple: { kind: null, items: 'Pattern', span: null },
  Assign: { kind: null, name: null, nameSpan: null, value: 'Expr', span: null },
  For: { kind: null, var: null, varSpan: null, from: 'Expr', to: 'Expr', body: 'Block', span: null },
  If: { kind: null, cond: 'Expr', then: 'Block', else: 'Block', span: null },
  Return: { kind: null, value: 'Expr', span: null },
  Input: { kind: null, name: null, nameSpan: null, type: 'TypeRef', source: null, span: null },
  UseInputs: { kind: null, name: null, nameSpan: null, span: null },
  Output: { kind: null, value: 'Expr', to: null, span: null },
  // expressions
  Int: { kind: null, value: null, text: null, span: null },
  Float: { kind: null, value: null, text: null, span: null },
  Str: { kind: null, value: null, span: null },
  Bool: { kind: null, value: null, span: null },
  Name: { kind: null, name: null, span: null },
  Field: { kind: null, target: 'Expr', name: null, nameSpan: null, span: null },
  Tuple: { kind: null, items: 'Expr', span: null },
  Paren: { kind: null, inner: 'Expr', span: null },
  Binary: { kind: null, op: null, left: 'Expr', right: 'Expr', opSpan: null, span: null },
  Unary: { kind: null, op: null, operand: 'Expr', span: null },
  Reveal: { kind: null, operand: 'Expr', to: null, span: null },
  Call: { kind: null, callee: 'Expr', generics: 'GenericArg', args: 'Expr', span: null },
  Index: { kind: null, target: 'Expr', indices: 'Expr', span: null },
  DimArg: { kind: null, expr: 'Expr', span: null },
  ShapeArg: { kind: null, dims: 'DimItem', span: null },
  EncArg: { kind: null, encoding: 'EncodingRef', span: null },
};

const childKeyCache = new Map<string, string[]>();

/** Fields of a tagged node that hold child nodes (prettier's visitor keys). */
export function childKeys(tag: string): string[] {
  let keys = childKeyCache.get(tag);
  if (!keys) {
    const fields = schema[tag];
    keys = fields ? Object.keys(fields).filter((k) => fields[k] !== null) : [];
    childKeyCache.set(tag, keys);
  }
  return keys;
}

export class UnknownNodeError extends Error {
  constructor(what: string) {
    super(`cannot format node ${what} (the formatter's schema in src/format/nodes.ts does not know it)`);
    this.name = 'UnknownNodeError';
  }
}

/** Tag the whole tree in place (see the header). `root` is the FileAst. */
export function tagTree(root: object, src: SourceFile): FNode {
  const visit = (node: any, expected: string, parent: FNode | undefined): void => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      throw new UnknownNodeError(`${expected}: expected an object, got ${JSON.stringify(node)}`);
    }
    let tag = expected;
    const members = categories[expected];
    if (members) {
      if (!members.includes(node.kind)) throw new UnknownNodeError(`${String(node.kind)} (in ${expected} position)`);
      tag = node.kind;
    } else if ('kind' in node && tag !== 'GenericParam' && node.kind !== tag) {
      throw new UnknownNodeError(`${String(node.kind)} (in ${expected} position)`);
    }
    const fields = schema[tag];
    if (!fields) throw new UnknownNodeError(tag);
    for (const key of Object.keys(node)) {
      if (!(key in fields)) throw new UnknownNodeError(`${tag}: unknown field '${key}'`);
    }
    node.$t = tag;
    Object.defineProperty(node, '$parent', { value: parent, enumerable: false });
    node.loc = { start: src.indexOf(node.span.start), end: src.indexOf(node.span.end) };
    for (const key of childKeys(tag)) {
      const child = node[key];
      if (child === null || child === undefined) continue;
      if (Array.isArray(child)) for (const c of child) visit(c, fields[key]!, node);
      else visit(child, fields[key]!, node);
    }
  };
  visit(root, 'File', undefined);
  markElseIf(root as FNode);
  return root as FNode;
}

/** True when an `if`'s else block is the synthetic holder of an `else if` (not `else { if ... }`). */
export function isElseIfBlock(block: FNode | null | undefined): boolean {
  if (!block || block.stmts.length !== 1) return false;
  const inner = block.stmts[0];
  return inner.kind === 'If' && block.span.start === inner.span.start;
}

function markElseIf(node: FNode): void {
  for (const key of childKeys(node.$t)) {
    const child = node[key];
    if (Array.isArray(child)) child.forEach(markElseIf);
    else if (child) markElseIf(child);
  }
  if (node.$t === 'If' && isElseIfBlock(node.else)) node.else.$elseIf = true;
}
