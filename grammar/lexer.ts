// CPL lexer (docs/language.md §Lexical structure). Comments are kept in their own token group so
// that the formatter can put them back; whitespace is skipped.
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n\r]*/, group: 'comments' });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[^*]*\*+(?:[^/*][^*]*\*+)*\//, group: 'comments', line_breaks: true });

// Unterminated comments and strings lex as one bad token each, so they can be reported precisely
// (group 'errors'); the parser never sees them.
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, group: 'errors', line_breaks: true });
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\n\r]|\\.)*/, group: 'errors' });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

const kw = (name: string, word: string) =>
  createToken({ name, pattern: new RegExp(word), longer_alt: Identifier, categories: [Keyword] });
export const Keyword = createToken({ name: 'Keyword', pattern: Lexer.NA });

export const Module = kw('Module', 'module');
export const Import = kw('Import', 'import');
export const As = kw('As', 'as');
export const Const = kw('Const', 'const');
export const Config = kw('Config', 'config');
export const Type = kw('Type', 'type');
export const Fn = kw('Fn', 'fn');
export const Prim = kw('Prim', 'prim');
export const Overload = kw('Overload', 'overload');
export const Model = kw('Model', 'model');
// `inputs` (shared input declarations) must come before `input` in allTokens.
export const Inputs = kw('Inputs', 'inputs');
export const Input = kw('Input', 'input');
export const Output = kw('Output', 'output');
export const Let = kw('Let', 'let');
export const For = kw('For', 'for');
export const In = kw('In', 'in');
export const If = kw('If', 'if');
export const Else = kw('Else', 'else');
export const Return = kw('Return', 'return');
export const Reveal = kw('Reveal', 'reveal');
export const To = kw('To', 'to');
export const True = kw('True', 'true');
export const Public = kw('Public', 'public');
export const Secret = kw('Secret', 'secret');
export const Client = kw('Client', 'client');
export const Server = kw('Server', 'server');
export const False = kw('False', 'false');

export const StringLit = createToken({ name: 'StringLit', pattern: /"(?:[^"\\\n\r]|\\.)*"/ });
export const FloatLit = createToken({ name: 'FloatLit', pattern: /(?:\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)/ });
export const IntLit = createToken({ name: 'IntLit', pattern: /0x[0-9a-fA-F]+|\d+/ });

export const At = createToken({ name: 'At', pattern: /@/ });
export const Arrow = createToken({ name: 'Arrow', pattern: /->/ });
export const DotDotDot = createToken({ name: 'DotDotDot', pattern: /\.\.\./ });
export const DotDot = createToken({ name: 'DotDot', pattern: /\.\./ });
export const Dot = createToken({ name: 'Dot', pattern: /\./ });
export const ColonColon = createToken({ name: 'ColonColon', pattern: /::/ });
export const Colon = createToken({ name: 'Colon', pattern: /:/ });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/ });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/ });
export const LBrace = createToken({ name: 'LBrace', pattern: /{/ });
export const RBrace = createToken({ name: 'RBrace', pattern: /}/ });
export const AndAnd = createToken({ name: 'AndAnd', pattern: /&&/ });
export const OrOr = createToken({ name: 'OrOr', pattern: /\|\|/ });
export const Pipe = createToken({ name: 'Pipe', pattern: /\|/ });
export const EqEq = createToken({ name: 'EqEq', pattern: /==/ });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/ });
export const LtEq = createToken({ name: 'LtEq', pattern: /<=/ });
export const GtEq = createToken({ name: 'GtEq', pattern: />=/ });
export const Lt = createToken({ name: 'Lt', pattern: /</ });
export const Gt = createToken({ name: 'Gt', pattern: />/ });
export const Eq = createToken({ name: 'Eq', pattern: /=/ });
export const Bang = createToken({ name: 'Bang', pattern: /!/ });
export const Plus = createToken({ name: 'Plus', pattern: /\+/ });
export const Minus = createToken({ name: 'Minus', pattern: /-/ });
export const Star = createToken({ name: 'Star', pattern: /\*/ });
export const Slash = createToken({ name: 'Slash', pattern: /\// });
export const Percent = createToken({ name: 'Percent', pattern: /%/ });

export const allTokens: TokenType[] = [
  WhiteSpace, BlockComment, UnterminatedComment, LineComment,
  Arrow, DotDotDot, DotDot, Dot, ColonColon, Colon, Comma, At,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  AndAnd, OrOr, Pipe, EqEq, NotEq, LtEq, GtEq, Lt, Gt, Eq, Bang,
  Plus, Minus, Star, Slash, Percent,
  StringLit, UnterminatedString, FloatLit, IntLit,
  Keyword,
  Module, Import, As, Const, Config, Type, Fn, Prim, Overload, Model, Inputs, Input, Output, Let, For, In,
  If, Else, Return, Reveal, To, True, False, Public, Secret, Client, Server,
  Identifier,
];

export const cplLexer = new Lexer(allTokens, { ensureOptimizations: true, positionTracking: 'full' });

/** Keywords, for editor grammars and the fuzzer. */
export const keywords: string[] = allTokens
  .filter((t) => (t.CATEGORIES ?? []).includes(Keyword))
  .map((t) => String(t.PATTERN).slice(1, -1));
