// Printers for the file and its top-level items (module, import, const, config, type, overload,
// fn/prim with their signatures, model).
import { doc, util, type AstPath, type Doc, type ParserOptions } from 'prettier';
import type { FNode } from './nodes.ts';
import { bracketed, hasDangling, printBraced, printDangling, printLines, printList, sourceOf, type NodePrinter, type Print } from './print-util.ts';

const { group, hardline, indent, join, line } = doc.builders;

const File: NodePrinter = (path, options, print) => {
  const node = path.node;
  const parts: Doc[] = [];
  if (node.module) {
    parts.push(print('module'));
    if (node.items.length) parts.push(hardline);
    if (node.items.length && util.isNextLineEmpty(options.originalText, node.module.loc.end)) parts.push(hardline);
  }
  parts.push(...printLines(path, options, print, 'items'));
  if (hasDangling(node)) {
    if (parts.length) parts.push(hardline, hardline);
    parts.push(printDangling(node, options));
  }
  return parts.length ? [...parts, hardline] : '';
};

const Fn: NodePrinter = (path, options, print) => {
  const node = path.node;
  const attrs = path.map((p) => [print(), hardline], 'attributes');
  const generics = node.generics.length ? printList(path, print, 'generics', '<', '>') : '';
  // Too long: break the parameters first (the result type breaks only if it must).
  const result = node.result ? [' -> ', print('result')] : '';
  const params = group([...paramParts(path, options, print), result]);
  const body = node.body ? [' ', print('body')] : '';
  return [...attrs, node.prim ? 'prim ' : 'fn ', node.name, generics, params, body];
};

/**
 * The parameter list, broken one parameter per line; but where the source already groups
 * parameters on lines (`wq: server act[d, d], bq: server act[d],` then `wk: ...`), those lines
 * are kept (each still breaks if it does not fit).
 */
function paramParts(path: AstPath<FNode>, options: ParserOptions<FNode>, print: Print): Doc[] {
  const params: FNode[] = path.node.params;
  const printed = path.map(() => print(), 'params');
  const runs: Doc[][] = [];
  params.forEach((p, i) => {
    const newLine = i === 0 || util.hasNewlineInRange(options.originalText, params[i - 1].loc.end, p.loc.start);
    if (newLine) runs.push([printed[i]]);
    else runs[runs.length - 1].push(printed[i]);
  });
  if (runs.length <= 1 || runs.length === params.length) return bracketed(printed, '(', ')');
  return bracketed(runs.map((run) => group(join([',', line], run))), '(', ')');
}

/** `V: vis`, `...S`, `n`: the kind is printed as written (`n: dim` stays explicit). */
const GenericParam: NodePrinter = (path, options) => {
  const node = path.node;
  const m = /^(\.\.\.)?\s*([A-Za-z_]\w*)(?:\s*:\s*([A-Za-z_]\w*))?$/.exec(sourceOf(node, options));
  if (m) return [m[1] ?? '', m[2], m[3] ? `: ${m[3]}` : ''];
  // Comments inside the parameter: rebuild it from the AST.
  return node.kind === 'shape' ? `...${node.name}` : node.kind === 'dim' ? node.name : `${node.name}: ${node.kind}`;
};

const Overload: NodePrinter = (path, _options, print) => {
  const [first, ...rest] = path.map(() => print(), 'members');
  return group(['overload ', path.node.name, ' = ', first, indent(rest.map((m) => [line, '| ', m]))]);
};

const Config: NodePrinter = (path, options, print) => ['config ', printBraced(path.node, options, printLines(path, options, print, 'entries'))];

const Const: NodePrinter = (path, _options, print) => {
  const node = path.node;
  return ['const ', node.name, node.type ? [': ', print('type')] : '', ' = ', print('value')];
};

export const itemPrinters: Record<string, NodePrinter> = {
  File,
  Module: (path) => ['module ', path.node.path.join('.')],
  Import: (path) => {
    const node = path.node;
    return ['import ', node.path.join('.'), node.alias !== null ? [' as ', node.alias] : ''];
  },
  Const,
  Config,
  ConfigEntry: (path, _options, print) => [path.node.name, ' = ', print('value')],
  TypeAlias: (path, _options, print) => ['type ', path.node.name, ' = ', print('encoding')],
  Overload,
  OverloadMember: (path) => path.node.name,
  Fn,
  Attribute: (path) => ['@', path.node.name],
  GenericParam,
  Param: (path, _options, print) => [path.node.name, ': ', print('type')],
  Model: (path, _options, print) => ['model ', path.node.name, ' ', print('body')],
  Inputs: (path, _options, print) => ['inputs ', path.node.name, ' ', print('body')],
};
