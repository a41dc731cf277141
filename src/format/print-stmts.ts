// Printers for blocks, statements and let-patterns.
import { doc } from 'prettier';
import { printChild } from './print-exprs.ts';
import { printBraced, printLines, printList, sourceOf, type NodePrinter } from './print-util.ts';

const { group, indent, line } = doc.builders;

const If: NodePrinter = (path, _options, print) => {
  const node = path.node;
  const head = ['if ', print('cond'), ' ', print('then')];
  if (!node.else) return head;
  // `else if` is stored as an else block holding one `if`; print it back the way it was written.
  const els = node.else.$elseIf ? path.call(print, 'else', 'stmts', 0) : print('else');
  return [...head, ' else ', els];
};

const Input: NodePrinter = (path, options, print) => {
  const node = path.node;
  let source: string | null = null;
  if (node.source !== null) {
    // Keep the string literal as written (escapes included); it is the last token of the statement.
    const m = /"(?:[^"\\\n\r]|\\.)*"$/.exec(sourceOf(node, options));
    source = m ? m[0] : JSON.stringify(node.source);
  }
  // A long source name moves to the next line.
  return ['input ', node.name, ': ', print('type'), source !== null ? group([' =', indent([line, source])]) : ''];
};

export const stmtPrinters: Record<string, NodePrinter> = {
  Block: (path, options, print) => printBraced(path.node, options, printLines(path, options, print, 'stmts')),
  Let: (path, _options, print) => {
    const node = path.node;
    return ['let ', print('pattern'), node.type ? [': ', print('type')] : '', ' = ', print('value')];
  },
  PName: (path) => path.node.name,
  PTuple: (path, _options, print) => printList(path, print, 'items', '(', ')'),
  Assign: (path, _options, print) => [path.node.name, ' = ', print('value')],
  For: (path, _options, print) => ['for ', path.node.var, ' in ', printChild(path, print, 'from'), '..', printChild(path, print, 'to'), ' ', print('body')],
  If,
  Return: (path, _options, print) => ['return ', print('value')],
  Input,
  UseInputs: (path) => ['inputs ', path.node.name],
  Output: (path, _options, print) => ['output ', print('value'), ' to ', path.node.to],
};
