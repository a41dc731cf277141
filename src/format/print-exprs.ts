// Printers for expressions and call-site generic arguments. Source parentheses are `Paren` nodes
// and are kept as written; `needsParens` only adds parentheses a tree built some other way would
// need to keep its meaning (precedence table: grammar/parser.ts, lowest first).
import { doc, type AstPath, type Doc } from 'prettier';
import type { FNode } from './nodes.ts';
import { printList, sourceOf, type NodePrinter, type Print } from './print-util.ts';

const { fill, group, indent, line, join, softline } = doc.builders;

const precedence: Record<string, number> = {
  '||': 1, '&&': 2,
  '==': 3, '!=': 3, '<': 3, '>': 3, '<=': 3, '>=': 3,
  '+': 4, '-': 4,
  '*': 5, '/': 5, '%': 5, '@': 5,
};
const COMPARE = 3;

function prec(node: FNode): number {
  const p = precedence[node.op];
  if (p === undefined) throw new Error(`cannot format node Binary: unknown operator '${node.op}'`);
  return p;
}

/** Whether `child` (at `key` of `parent`) must be wrapped to parse back to the same tree. */
export function needsParens(child: FNode, parent: FNode, key: string): boolean {
  const loose = child.$t === 'Binary' || child.$t === 'Unary' || child.$t === 'Reveal';
  switch (parent.$t) {
    case 'Binary': {
      if (child.$t !== 'Binary') return false;
      const [c, p] = [prec(child), prec(parent)];
      return c < p || (c === p && (key === 'right' || p === COMPARE));
    }
    case 'Unary':
    case 'Reveal':
      return child.$t === 'Binary';
    case 'Call':
    case 'Index':
    case 'Field':
      return loose && (key === 'callee' || key === 'target');
    case 'For':
    case 'DimExpr':
    case 'DimArg':
      // These positions take an additive expression only.
      return child.$t === 'Binary' && prec(child) < 4;
    default:
      return false;
  }
}

export function printChild(path: AstPath<FNode>, print: Print, key: string): Doc {
  const printed = print(key);
  return needsParens(path.node[key], path.node, key) ? ['(', printed, ')'] : printed;
}

/** Operands of a left-leaning chain of one precedence, flattened: `a + b - c` -> [a, ' +', line, b, ...]. */
function binaryParts(path: AstPath<FNode>, print: Print): Doc[] {
  const node = path.node;
  const left: FNode = node.left;
  const flatten = left.$t === 'Binary' && prec(left) === prec(node) && prec(node) !== COMPARE && !left.comments?.length;
  const parts = flatten ? path.call((p) => binaryParts(p, print), 'left') : [printChild(path, print, 'left')];
  parts.push(' ', node.op, line, printChild(path, print, 'right'));
  return parts;
}

const Binary: NodePrinter = (path, _options, print) => {
  const parts = binaryParts(path, print);
  // Nested in another operator: break with the parent's indentation.
  if (path.parent?.$t === 'Binary') return group(parts);
  return group([parts[0], indent(parts.slice(1))]);
};

/** A name, literal, `a.b` or `w[l]`: short enough to pack several per line. */
function isSimple(e: FNode): boolean {
  if (e.comments?.length) return false;
  switch (e.$t) {
    case 'Name': case 'Int': case 'Float': case 'Bool': return true;
    case 'Unary': return (e.operand.$t === 'Int' || e.operand.$t === 'Float') && !e.operand.comments?.length;
    case 'Field': return isSimple(e.target);
    case 'Index': return isSimple(e.target) && e.indices.every((i: FNode) => (i.$t === 'Name' || i.$t === 'Int') && !i.comments?.length);
    default: return false;
  }
}

const Call: NodePrinter = (path, _options, print) => {
  const node = path.node;
  const generics = node.generics.length ? ['::<', join(', ', path.map(() => print(), 'generics')), '>'] : '';
  const callee = [printChild(path, print, 'callee'), generics];
  // Many simple arguments (weights, `w[l]`): fill lines instead of one argument per line.
  if (node.args.length >= 4 && node.args.every(isSimple)) {
    const args = path.map(() => print(), 'args');
    const parts: Doc[] = [];
    args.forEach((a, i) => {
      if (i > 0) parts.push(line);
      parts.push(i < args.length - 1 ? [a, ','] : a);
    });
    return [...callee, group(['(', indent([softline, fill(parts)]), softline, ')'])];
  }
  return [...callee, printList(path, print, 'args', '(', ')')];
};

export const exprPrinters: Record<string, NodePrinter> = {
  Int: (path) => path.node.text,
  Float: (path) => path.node.text,
  // As written: escapes are kept.
  Str: (path, options) => sourceOf(path.node, options),
  Bool: (path) => (path.node.value ? 'true' : 'false'),
  Name: (path) => path.node.name,
  Field: (path, _options, print) => [printChild(path, print, 'target'), '.', path.node.name],
  Tuple: (path, _options, print) => printList(path, print, 'items', '(', ')'),
  Paren: (path, _options, print) => ['(', print('inner'), ')'],
  Binary,
  // `- -a`, not `--a`.
  Unary: (path, _options, print) => {
    const { op, operand } = path.node;
    return [op, op === '-' && operand.$t === 'Unary' && operand.op === '-' ? ' ' : '', printChild(path, print, 'operand')];
  },
  Reveal: (path, _options, print) => ['reveal ', printChild(path, print, 'operand'), path.node.to ? [' to ', path.node.to] : ''],
  Call,
  Index: (path, _options, print) => [printChild(path, print, 'target'), printList(path, print, 'indices', '[', ']')],
  DimArg: (path, _options, print) => printChild(path, print, 'expr'),
  // Shapes stay on one line, like the rest of a type.
  ShapeArg: (path, _options, print) => ['[', join(', ', path.map(() => print(), 'dims')), ']'],
  EncArg: (path, _options, print) => print('encoding'),
};
