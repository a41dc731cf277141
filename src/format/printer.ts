// Printer entry point: dispatch on the node tag (src/format/nodes.ts), comment printing.
import { doc, type AstPath, type Doc, type ParserOptions } from 'prettier';
import { UnknownNodeError, type CplComment, type FNode } from './nodes.ts';
import { itemPrinters } from './print-items.ts';
import { stmtPrinters } from './print-stmts.ts';
import { exprPrinters } from './print-exprs.ts';
import { typePrinters } from './print-types.ts';
import { commentDoc, danglingComments, type NodePrinter, type Print } from './print-util.ts';

const { lineSuffix, breakParent } = doc.builders;

const printers: Record<string, NodePrinter> = { ...itemPrinters, ...stmtPrinters, ...exprPrinters, ...typePrinters };

export function printNode(path: AstPath<FNode>, options: ParserOptions<FNode>, print: Print): Doc {
  const node = path.node;
  const printer = printers[node.$t];
  if (!printer) throw new UnknownNodeError(node.$t);
  const printed = printer(path, options, print);
  // Comments left dangling on a node whose printer has no place for them (e.g. `f(/* c */)`)
  // go right after it; a line comment is deferred to the end of the line.
  const rest = danglingComments(node);
  if (rest.length === 0) return printed;
  for (const c of rest) c.printed = true;
  return [printed, ...rest.map((c) => (c.block ? [' ', commentDoc(c)] : [lineSuffix([' ', commentDoc(c)]), breakParent]))];
}

export function printComment(commentPath: AstPath<CplComment>): Doc {
  return commentDoc(commentPath.node);
}
