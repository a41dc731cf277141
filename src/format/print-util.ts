// Helpers shared by the item, statement and expression printers: sequences with preserved blank
// lines, dangling comments, bracketed lists, comment text.
import { doc, util, type AstPath, type Doc, type ParserOptions } from 'prettier';
import type { CplComment, FNode } from './nodes.ts';

const { group, hardline, indent, softline, line, join, literalline } = doc.builders;

export type Print = (selector?: string | number | Array<string | number> | AstPath<FNode>) => Doc;
export type NodePrinter = (path: AstPath<FNode>, options: ParserOptions<FNode>, print: Print) => Doc;

/** The text of a comment; starred block comments are re-indented with the code. */
export function commentDoc(c: CplComment): Doc {
  if (!c.block) return c.value.trimEnd();
  const lines = c.value.split('\n');
  if (lines.length === 1) return c.value;
  // `/**\n * ...\n */` style: re-indent the starred lines with the code; otherwise keep the text.
  if (lines.slice(1).every((l) => l.trim().startsWith('*'))) {
    return join(hardline, lines.map((l, i) => (i === 0 ? l.trimEnd() : ' ' + l.trim())));
  }
  return join(literalline, lines);
}

/** Comments attached to the node as neither leading nor trailing, not printed yet. */
export function danglingComments(node: FNode): CplComment[] {
  return (node.comments ?? []).filter((c) => !c.leading && !c.trailing && !c.printed);
}

/** The node's dangling comments, one per line, blank lines kept (empty doc if none); marks them printed. */
export function printDangling(node: FNode, options: ParserOptions<FNode>): Doc {
  const list = danglingComments(node);
  const parts: Doc[] = [];
  list.forEach((c, i) => {
    c.printed = true;
    parts.push(commentDoc(c));
    if (i === list.length - 1) return;
    parts.push(hardline);
    if (util.isNextLineEmpty(options.originalText, c.loc.end)) parts.push(hardline);
  });
  return parts;
}

export function hasDangling(node: FNode): boolean {
  return danglingComments(node).length > 0;
}

/** Nodes of `path.node[key]`, one per line, keeping (at most one) blank line where the source had one. */
export function printLines(path: AstPath<FNode>, options: ParserOptions<FNode>, print: Print, key: string): Doc[] {
  const parts: Doc[] = [];
  const nodes: FNode[] = path.node[key];
  path.each((p, i) => {
    parts.push(print());
    if (i < nodes.length - 1) {
      parts.push(hardline);
      if (util.isNextLineEmpty(options.originalText, (p.node as FNode).loc.end)) parts.push(hardline);
    }
  }, key);
  return parts;
}

/** `{ lines }`, `{}` when empty, or the dangling comments of an empty body. */
export function printBraced(node: FNode, options: ParserOptions<FNode>, lines: Doc[]): Doc {
  if (lines.length === 0) {
    return hasDangling(node) ? ['{', indent([hardline, printDangling(node, options)]), hardline, '}'] : '{}';
  }
  return ['{', indent([hardline, ...lines]), hardline, '}'];
}

/** `open item, item close`, breaking one item per line when it does not fit. */
export function printList(path: AstPath<FNode>, print: Print, key: string, open: string, close: string): Doc {
  return group(listParts(path, print, key, open, close));
}

/** printList without its group, to put more in the group (what breaks it breaks the list). */
export function listParts(path: AstPath<FNode>, print: Print, key: string, open: string, close: string): Doc[] {
  return bracketed(path.map(() => print(), key), open, close);
}

/** `open`, the items separated by `,` and a line (break: one per line, indented), `close`. */
export function bracketed(items: Doc[], open: string, close: string): Doc[] {
  if (items.length === 0) return [open, close];
  return [open, indent([softline, join([',', line], items)]), softline, close];
}

/** Source text of a node (string indices). */
export function sourceOf(node: FNode, options: ParserOptions<FNode>): string {
  return options.originalText.slice(node.loc.start, node.loc.end);
}
