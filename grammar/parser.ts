// CPL parser: Chevrotain CST parser with error recovery. Grammar only; no semantics here
// (src/front/build.ts turns the CST into the AST). Rule map in docs/language.md §Grammar.
import { CstParser, type CstNode, type ILexingError, type IRecognitionException, type IToken } from 'chevrotain';
import * as T from './lexer.ts';

export class CplParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 4, nodeLocationTracking: 'full' });
    this.performSelfAnalysis();
  }

  file = this.RULE('file', () => {
    this.OPTION(() => this.SUBRULE(this.moduleDecl));
    this.MANY(() => this.SUBRULE(this.item));
  });

  moduleDecl = this.RULE('moduleDecl', () => {
    this.CONSUME(T.Module);
    this.SUBRULE(this.qualName);
  });

  qualName = this.RULE('qualName', () => {
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.Identifier);
    });
  });

  item = this.RULE('item', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.configDecl) },
      { ALT: () => this.SUBRULE(this.typeDecl) },
      { ALT: () => this.SUBRULE(this.overloadDecl) },
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.inputsDecl) },
      { ALT: () => this.SUBRULE(this.callableDecl) },
    ]);
  });

  importDecl = this.RULE('importDecl', () => {
    this.CONSUME(T.Import);
    this.SUBRULE(this.qualName);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Identifier, { LABEL: 'alias' });
    });
  });

  constDecl = this.RULE('constDecl', () => {
    this.CONSUME(T.Const);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeExpr);
    });
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expression);
  });

  configDecl = this.RULE('configDecl', () => {
    this.CONSUME(T.Config);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.configEntry));
    this.CONSUME(T.RBrace);
  });

  configEntry = this.RULE('configEntry', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expression);
  });

  typeDecl = this.RULE('typeDecl', () => {
    this.CONSUME(T.Type);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Eq);
    this.SUBRULE(this.encoding);
  });

  overloadDecl = this.RULE('overloadDecl', () => {
    this.CONSUME(T.Overload);
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: 'name' }) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.operator);
          this.CONSUME(T.RParen);
        },
      },
    ]);
    this.CONSUME(T.Eq);
    this.AT_LEAST_ONE_SEP({ SEP: T.Pipe, DEF: () => this.CONSUME2(T.Identifier, { LABEL: 'member' }) });
  });

  operator = this.RULE('operator', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Plus) },
      { ALT: () => this.CONSUME(T.Minus) },
      { ALT: () => this.CONSUME(T.Star) },
      { ALT: () => this.CONSUME(T.Slash) },
      { ALT: () => this.CONSUME(T.Percent) },
      { ALT: () => this.CONSUME(T.At) },
      { ALT: () => this.CONSUME(T.EqEq) },
      { ALT: () => this.CONSUME(T.NotEq) },
      { ALT: () => this.CONSUME(T.LtEq) },
      { ALT: () => this.CONSUME(T.GtEq) },
      { ALT: () => this.CONSUME(T.Lt) },
      { ALT: () => this.CONSUME(T.Gt) },
      { ALT: () => this.CONSUME(T.AndAnd) },
      { ALT: () => this.CONSUME(T.OrOr) },
      { ALT: () => this.CONSUME(T.Bang) },
    ]);
  });

  attribute = this.RULE('attribute', () => {
    this.CONSUME(T.At);
    this.CONSUME(T.Identifier);
  });

  /** `fn` (with a body) or `prim` (a signature only), with optional attributes. */
  callableDecl = this.RULE('callableDecl', () => {
    this.MANY(() => this.SUBRULE(this.attribute));
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Fn);
          this.SUBRULE(this.signature);
          this.SUBRULE(this.block);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Prim);
          this.SUBRULE2(this.signature);
        },
      },
    ]);
  });

  signature = this.RULE('signature', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.genericParams));
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.param) });
    this.CONSUME(T.RParen);
    this.OPTION2(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.typeExpr);
    });
  });

  genericParams = this.RULE('genericParams', () => {
    this.CONSUME(T.Lt);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.genericParam) });
    this.CONSUME(T.Gt);
  });

  genericParam = this.RULE('genericParam', () => {
    this.OPTION(() => this.CONSUME(T.DotDotDot));
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION2(() => {
      this.CONSUME(T.Colon);
      this.CONSUME2(T.Identifier, { LABEL: 'kind' });
    });
  });

  param = this.RULE('param', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  modelDecl = this.RULE('modelDecl', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.block);
  });

  // `inputs weights { input ... }`: input declarations that models share with `inputs weights`.
  inputsDecl = this.RULE('inputsDecl', () => {
    this.CONSUME(T.Inputs);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.block);
  });

  // ---- types ----
  typeExpr = this.RULE('typeExpr', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.tupleType) }, { ALT: () => this.SUBRULE(this.tensorType) }]);
  });

  tupleType = this.RULE('tupleType', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.tupleField) });
    this.CONSUME(T.RParen);
  });

  tupleField = this.RULE('tupleField', () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Colon,
      DEF: () => {
        this.CONSUME(T.Identifier, { LABEL: 'name' });
        this.CONSUME(T.Colon);
      },
    });
    this.SUBRULE(this.typeExpr);
  });

  tensorType = this.RULE('tensorType', () => {
    this.SUBRULE(this.visibility);
    this.SUBRULE(this.encoding);
    this.OPTION(() => this.SUBRULE(this.shape));
  });

  visibility = this.RULE('visibility', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Public) },
      { ALT: () => this.CONSUME(T.Secret) },
      { ALT: () => this.CONSUME(T.Client) },
      { ALT: () => this.CONSUME(T.Server) },
      { ALT: () => this.CONSUME(T.Identifier) },
    ]);
  });

  encoding = this.RULE('encoding', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Lt);
      this.AT_LEAST_ONE_SEP({
        SEP: T.Comma,
        DEF: () => this.OR([{ ALT: () => this.CONSUME(T.IntLit) }, { ALT: () => this.CONSUME2(T.Identifier) }]),
      });
      this.CONSUME(T.Gt);
    });
  });

  shape = this.RULE('shape', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.dim) });
    this.CONSUME(T.RBracket);
  });

  dim = this.RULE('dim', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.DotDotDot);
          this.CONSUME(T.Identifier);
        },
      },
      { ALT: () => this.SUBRULE(this.addExpr) },
    ]);
  });

  // ---- statements ----
  block = this.RULE('block', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(T.RBrace);
  });

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.forStmt) },
      { ALT: () => this.SUBRULE(this.ifStmt) },
      { ALT: () => this.SUBRULE(this.returnStmt) },
      { ALT: () => this.SUBRULE(this.inputStmt) },
      { ALT: () => this.SUBRULE(this.useInputsStmt) },
      { ALT: () => this.SUBRULE(this.outputStmt) },
      { ALT: () => this.SUBRULE(this.assignStmt) },
    ]);
  });

  letStmt = this.RULE('letStmt', () => {
    this.CONSUME(T.Let);
    this.SUBRULE(this.pattern);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeExpr);
    });
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expression);
  });

  pattern = this.RULE('pattern', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.pattern) });
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  assignStmt = this.RULE('assignStmt', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expression);
  });

  forStmt = this.RULE('forStmt', () => {
    this.CONSUME(T.For);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.In);
    this.SUBRULE(this.addExpr, { LABEL: 'from' });
    this.CONSUME(T.DotDot);
    this.SUBRULE2(this.addExpr, { LABEL: 'to' });
    this.SUBRULE(this.block);
  });

  ifStmt = this.RULE('ifStmt', () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.block, { LABEL: 'then' });
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.OR([
        { ALT: () => this.SUBRULE(this.ifStmt, { LABEL: 'elseIf' }) },
        { ALT: () => this.SUBRULE2(this.block, { LABEL: 'else' }) },
      ]);
    });
  });

  returnStmt = this.RULE('returnStmt', () => {
    this.CONSUME(T.Return);
    this.SUBRULE(this.expression);
  });

  useInputsStmt = this.RULE('useInputsStmt', () => {
    this.CONSUME(T.Inputs);
    this.CONSUME(T.Identifier);
  });

  inputStmt = this.RULE('inputStmt', () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
    this.OPTION(() => {
      this.CONSUME(T.Eq);
      this.CONSUME(T.StringLit);
    });
  });

  outputStmt = this.RULE('outputStmt', () => {
    this.CONSUME(T.Output);
    this.SUBRULE(this.expression);
    this.CONSUME(T.To);
    this.SUBRULE(this.party);
  });

  party = this.RULE('party', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Client) }, { ALT: () => this.CONSUME(T.Server) }]);
  });

  // ---- expressions (lowest to highest precedence) ----
  expression = this.RULE('expression', () => {
    this.SUBRULE(this.orExpr);
  });

  orExpr = this.RULE('orExpr', () => {
    this.SUBRULE(this.andExpr, { LABEL: 'operand' });
    this.MANY(() => {
      this.CONSUME(T.OrOr, { LABEL: 'op' });
      this.SUBRULE2(this.andExpr, { LABEL: 'operand' });
    });
  });

  andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.cmpExpr, { LABEL: 'operand' });
    this.MANY(() => {
      this.CONSUME(T.AndAnd, { LABEL: 'op' });
      this.SUBRULE2(this.cmpExpr, { LABEL: 'operand' });
    });
  });

  cmpExpr = this.RULE('cmpExpr', () => {
    this.SUBRULE(this.addExpr, { LABEL: 'operand' });
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.EqEq, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.NotEq, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.LtEq, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.GtEq, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.Lt, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.Gt, { LABEL: 'op' }) },
      ]);
      this.SUBRULE2(this.addExpr, { LABEL: 'operand' });
    });
  });

  addExpr = this.RULE('addExpr', () => {
    this.SUBRULE(this.mulExpr, { LABEL: 'operand' });
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus, { LABEL: 'op' }) }, { ALT: () => this.CONSUME(T.Minus, { LABEL: 'op' }) }]);
      this.SUBRULE2(this.mulExpr, { LABEL: 'operand' });
    });
  });

  mulExpr = this.RULE('mulExpr', () => {
    this.SUBRULE(this.unaryExpr, { LABEL: 'operand' });
    this.MANY({
      // `@name` followed by `fn`, `prim` or another attribute starts the next declaration
      // (`const c = 1` then `@elementwise prim ...`); it is not a matrix product.
      GATE: () => !(this.LA(1).tokenType === T.At && this.LA(2).tokenType === T.Identifier && [T.Fn, T.Prim, T.At].includes(this.LA(3).tokenType)),
      DEF: () => {
      this.OR([
        { ALT: () => this.CONSUME(T.Star, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.Slash, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.Percent, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.At, { LABEL: 'op' }) },
      ]);
      this.SUBRULE2(this.unaryExpr, { LABEL: 'operand' });
      },
    });
  });

  unaryExpr = this.RULE('unaryExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Minus, { LABEL: 'op' }) }, { ALT: () => this.CONSUME(T.Bang, { LABEL: 'op' }) }]);
          this.SUBRULE(this.unaryExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.revealExpr) },
      { ALT: () => this.SUBRULE(this.postfixExpr) },
    ]);
  });

  revealExpr = this.RULE('revealExpr', () => {
    this.CONSUME(T.Reveal);
    this.SUBRULE(this.unaryExpr);
    this.OPTION(() => {
      this.CONSUME(T.To);
      this.SUBRULE(this.party);
    });
  });

  postfixExpr = this.RULE('postfixExpr', () => {
    this.SUBRULE(this.primary);
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.callSuffix) },
        { ALT: () => this.SUBRULE(this.indexSuffix) },
        { ALT: () => this.SUBRULE(this.fieldSuffix) },
      ]),
    );
  });

  callSuffix = this.RULE('callSuffix', () => {
    this.OPTION(() => {
      this.CONSUME(T.ColonColon);
      this.CONSUME(T.Lt);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.genericArg) });
      this.CONSUME(T.Gt);
    });
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(T.RParen);
  });

  /** A generic argument at a call: a dimension (`d / h`), a rest shape (`[n, d]`), or an encoding (`fix<32, 12>`). */
  genericArg = this.RULE('genericArg', () => {
    this.OR([
      { GATE: () => this.LA(2).tokenType === T.Lt, ALT: () => this.SUBRULE(this.encoding) },
      { ALT: () => this.SUBRULE(this.shape) },
      { ALT: () => this.SUBRULE(this.addExpr) },
    ]);
  });

  indexSuffix = this.RULE('indexSuffix', () => {
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(T.RBracket);
  });

  fieldSuffix = this.RULE('fieldSuffix', () => {
    this.CONSUME(T.Dot);
    this.CONSUME(T.Identifier);
  });

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.IntLit) },
      { ALT: () => this.CONSUME(T.FloatLit) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });
}

/** One parser instance, reused (Chevrotain parsers are meant to be singletons). */
export const cplParser = new CplParser();

export interface ParseOutput {
  cst: CstNode;
  comments: IToken[];
  /** Unterminated comments and strings (token group 'errors'). */
  badTokens: IToken[];
  lexErrors: ILexingError[];
  parseErrors: IRecognitionException[];
}

/** Lex and parse a whole file. Never throws on bad input: errors come back in the output. */
export function parseCst(text: string): ParseOutput {
  const lexed = T.cplLexer.tokenize(text);
  cplParser.input = lexed.tokens;
  const cst = cplParser.file();
  return {
    cst,
    comments: (lexed.groups.comments ?? []) as IToken[],
    badTokens: (lexed.groups.errors ?? []) as IToken[],
    lexErrors: lexed.errors,
    parseErrors: [...cplParser.errors],
  };
}
