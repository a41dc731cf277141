// Printers for types as written: `secret fix<32, 12>[n, ...S]`, tuple types, encodings, dims.
import { doc } from 'prettier';
import { printChild } from './print-exprs.ts';
import { printList, sourceOf, type NodePrinter } from './print-util.ts';

const { join } = doc.builders;

export const typePrinters: Record<string, NodePrinter> = {
  TensorType: (path, _options, print) => {
    const node = path.node;
    // Shapes stay on one line (they are short, and a broken type reads badly).
    const shape = node.shape ? ['[', join(', ', path.map(() => print(), 'shape')), ']'] : '';
    return [node.visibility, ' ', print('encoding'), shape];
  },
  TupleType: (path, _options, print) => printList(path, print, 'fields', '(', ')'),
  TupleField: (path, _options, print) => (path.node.name !== null ? [path.node.name, ': ', print('type')] : print('type')),
  EncodingRef: (path, _options, print) => {
    const node = path.node;
    if (node.args.length === 0) return node.name;
    return [node.name, '<', ...path.map((p) => (p.index === 0 ? print() : [', ', print()]), 'args'), '>'];
  },
  // As written (`0x20` stays hexadecimal).
  EncodingArg: (path, options) => sourceOf(path.node, options),
  Rest: (path) => ['...', path.node.name],
  DimExpr: (path, _options, print) => printChild(path, print, 'expr'),
};
