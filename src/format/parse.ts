// Parse step of the formatter: lex + parse with the project's grammar, refuse broken input (a
// formatter must never reformat code it cannot parse), build the AST and tag it for printing.
import { parseCst } from '../../grammar/parser.ts';
import { AstBuilder } from '../front/build.ts';
import { SourceFile } from '../front/source.ts';
import { tagTree, type CplComment, type FNode } from './nodes.ts';

/** A syntax error in the input; `loc` follows prettier's convention (1-based line and column). */
export class CplSyntaxError extends Error {
  readonly loc: { start: { line: number; column: number } };
  constructor(path: string, line: number, column: number, message: string) {
    super(`${path}:${line}:${column}: ${message} (the file was not formatted)`);
    this.name = 'CplSyntaxError';
    this.loc = { start: { line, column } };
  }
}

/** The root handed to prettier: the tagged FileAst plus the comments and the source. */
export interface FRoot extends FNode {
  comments: CplComment[];
}

export function parseForFormat(text: string, path = '<input>'): FRoot {
  const src = new SourceFile(path, text);
  const out = parseCst(text);
  const first = firstError(out, text);
  if (first) throw new CplSyntaxError(path, first.line, first.col, first.message);
  const ast = new AstBuilder(src).file(out.cst);
  const root = tagTree(ast, src) as FRoot;
  root.comments = out.comments.map((t) => ({
    $t: 'Comment',
    block: t.image.startsWith('/*'),
    value: t.image,
    loc: { start: t.startOffset, end: t.startOffset + t.image.length },
  }));
  return root;
}

function firstError(out: ReturnType<typeof parseCst>, text: string): { line: number; col: number; message: string } | null {
  const found: { offset: number; line: number; col: number; message: string }[] = [];
  for (const e of out.lexErrors) {
    found.push({ offset: e.offset, line: e.line ?? 1, col: e.column ?? 1, message: e.message });
  }
  for (const e of out.parseErrors) {
    const t = e.token;
    if (t && Number.isFinite(t.startOffset) && t.startOffset >= 0) {
      found.push({ offset: t.startOffset, line: t.startLine ?? 1, col: t.startColumn ?? 1, message: e.message });
    } else {
      // Unexpected end of input: report the end of the file.
      const lines = text.split('\n');
      found.push({ offset: text.length, line: lines.length, col: lines[lines.length - 1].length + 1, message: e.message });
    }
  }
  found.sort((a, b) => a.offset - b.offset);
  return found[0] ?? null;
}
