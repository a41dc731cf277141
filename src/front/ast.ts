// CPL abstract syntax tree. Every node has a span of byte offsets into its file (src/front/source.ts
// converts to line:column when printing). The tree is plain data: no methods, no parent links.

export interface Span {
  start: number;
  end: number;
}

export type Visibility = 'public' | 'secret' | 'client' | 'server';
export type PartyName = 'client' | 'server';

// ---- types as written ----
export interface EncodingRef {
  kind: 'EncodingRef';
  name: string;
  args: { value: number | string; span: Span }[];
  span: Span;
}
export type DimItem = { kind: 'Rest'; name: string; span: Span } | { kind: 'DimExpr'; expr: Expr; span: Span };
export interface TensorTypeRef {
  kind: 'TensorType';
  /** A visibility keyword, or the name of a visibility parameter. */
  visibility: string;
  encoding: EncodingRef;
  /** Absent for scalars. */
  shape: DimItem[] | null;
  span: Span;
}
export interface TupleTypeRef {
  kind: 'TupleType';
  fields: { name: string | null; type: TypeRef; span: Span }[];
  span: Span;
}
export type TypeRef = TensorTypeRef | TupleTypeRef;

// ---- expressions ----
export type Expr =
  | { kind: 'Int'; value: number; text: string; span: Span }
  | { kind: 'Float'; value: number; text: string; span: Span }
  | { kind: 'Str'; value: string; span: Span }
  | { kind: 'Bool'; value: boolean; span: Span }
  | { kind: 'Name'; name: string; span: Span }
  | { kind: 'Field'; target: Expr; name: string; nameSpan: Span; span: Span }
  | { kind: 'Tuple'; items: Expr[]; span: Span }
  | { kind: 'Paren'; inner: Expr; span: Span }
  | { kind: 'Binary'; op: string; left: Expr; right: Expr; opSpan: Span; span: Span }
  | { kind: 'Unary'; op: string; operand: Expr; span: Span }
  | { kind: 'Reveal'; operand: Expr; to: PartyName | null; span: Span }
  | { kind: 'Call'; callee: Expr; generics: GenericArg[]; args: Expr[]; span: Span }
  | { kind: 'Index'; target: Expr; indices: Expr[]; span: Span };

export type GenericArg =
  | { kind: 'DimArg'; expr: Expr; span: Span }
  | { kind: 'ShapeArg'; dims: DimItem[]; span: Span }
  | { kind: 'EncArg'; encoding: EncodingRef; span: Span };

// ---- statements ----
export type Pattern = { kind: 'PName'; name: string; span: Span } | { kind: 'PTuple'; items: Pattern[]; span: Span };

export type Stmt =
  | { kind: 'Let'; pattern: Pattern; type: TypeRef | null; value: Expr; span: Span }
  | { kind: 'Assign'; name: string; nameSpan: Span; value: Expr; span: Span }
  | { kind: 'For'; var: string; varSpan: Span; from: Expr; to: Expr; body: Block; span: Span }
  | { kind: 'If'; cond: Expr; then: Block; else: Block | null; span: Span }
  | { kind: 'Return'; value: Expr; span: Span }
  | { kind: 'Input'; name: string; nameSpan: Span; type: TypeRef; source: string | null; span: Span }
  /** `inputs weights` in a model: the input declarations of the block `inputs weights { ... }`. */
  | { kind: 'UseInputs'; name: string; nameSpan: Span; span: Span }
  | { kind: 'Output'; value: Expr; to: PartyName; span: Span };

export interface Block {
  stmts: Stmt[];
  span: Span;
}

// ---- items ----
export interface GenericParam {
  name: string;
  /** 'dim' (default), 'shape' (written `...S`), 'enc', 'num' (an encoding of numbers: not bool),
   * 'vis', 'party', 'plain', or 'unary': a function of one argument that keeps its encoding and
   * shape (an activation), passed explicitly: `glu::<silu>(x, ...)`, called `F(x)`. */
  kind: 'dim' | 'shape' | 'enc' | 'num' | 'vis' | 'party' | 'plain' | 'unary';
  span: Span;
}
export interface Param {
  name: string;
  type: TypeRef;
  span: Span;
}

export type Item =
  | { kind: 'Import'; path: string[]; alias: string | null; span: Span }
  | { kind: 'Const'; name: string; nameSpan: Span; type: TypeRef | null; value: Expr; span: Span }
  | { kind: 'Config'; entries: { name: string; nameSpan: Span; value: Expr; span: Span }[]; span: Span }
  | { kind: 'TypeAlias'; name: string; nameSpan: Span; encoding: EncodingRef; span: Span }
  | { kind: 'Overload'; name: string; nameSpan: Span; members: { name: string; span: Span }[]; span: Span }
  | FnItem
  | { kind: 'Model'; name: string; nameSpan: Span; body: Block; span: Span }
  /** Input declarations shared by models (`inputs weights { input ... }`). */
  | { kind: 'Inputs'; name: string; nameSpan: Span; body: Block; span: Span };

export interface FnItem {
  kind: 'Fn';
  /** `prim`: a primitive op's signature (no body); `fn`: a function with a body. */
  prim: boolean;
  attributes: { name: string; span: Span }[];
  name: string;
  nameSpan: Span;
  generics: GenericParam[];
  params: Param[];
  result: TypeRef | null;
  body: Block | null;
  span: Span;
}

export interface FileAst {
  module: { path: string[]; span: Span } | null;
  items: Item[];
  span: Span;
}
