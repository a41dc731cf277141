// The leak report: every declassification (reveal) and every output, with where it happens,
// what is revealed, to whom, and how big it is. `cipherprune check --leaks` prints it.
import type { Span } from './ast.ts';
import { constDim, mulDim, showDim } from './dims.ts';
import type { SourceFile } from './source.ts';
import { encBits, showEnc, type TensorTy, type Vis } from './types.ts';

export interface LeakEntry {
  kind: 'reveal' | 'output';
  file: SourceFile;
  span: Span;
  /** Source text of the revealed expression. */
  value: string;
  /** Visibility before the reveal. */
  from: Vis;
  /** Who learns it: one party, or both ('public'). */
  to: 'client' | 'server' | 'both';
  encoding: string;
  /** Number of elements, as a size expression (e.g. `seq_len * num_labels`, `1`). */
  elements: string;
  bitsPerElement: number;
  /** Enclosing definition: `fn prune.prune_tokens` or `model bert_prune`. */
  within: string;
  /** Enclosing loops inside that definition, e.g. `l in 0..num_hidden_layers`. */
  loops: string[];
  /** Models that reach this site (filled after checking). */
  models: string[];
}

export function leakOf(kind: LeakEntry['kind'], file: SourceFile, span: Span, value: string, ty: TensorTy, to: LeakEntry['to'], within: string, loops: string[]): LeakEntry {
  const elements = ty.shape.reduce((acc, d) => mulDim(acc, d), constDim(1));
  return { kind, file, span, value, from: ty.vis, to, encoding: showEnc(ty.enc), elements: showDim(elements), bitsPerElement: encBits(ty.enc), within, loops, models: [] };
}

export function formatLeaks(entries: LeakEntry[]): string {
  if (entries.length === 0) return 'leak report: nothing is revealed and nothing is output.';
  const lines = [`leak report: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`];
  for (const e of entries) {
    const { line, col } = e.file.position(e.span.start);
    const size = `${e.elements} x ${e.encoding} (${e.bitsPerElement} bit${e.bitsPerElement === 1 ? '' : 's'} each)`;
    lines.push(`  ${e.file.path}:${line}:${col}  ${e.kind} ${e.value}`);
    lines.push(`      ${e.from} -> ${e.to === 'both' ? 'both parties (public)' : e.to}; size ${size}`);
    const ctx = [`in ${e.within}`, ...e.loops.map((l) => `inside for ${l}`)];
    if (e.models.length) ctx.push(`reached from model${e.models.length > 1 ? 's' : ''} ${e.models.join(', ')}`);
    lines.push(`      ${ctx.join('; ')}`);
  }
  return lines.join('\n');
}

export function leakToJson(e: LeakEntry) {
  const { line, col } = e.file.position(e.span.start);
  return { kind: e.kind, file: e.file.path, line, col, span: e.span, value: e.value, from: e.from, to: e.to, encoding: e.encoding, elements: e.elements, bitsPerElement: e.bitsPerElement, within: e.within, loops: e.loops, models: e.models };
}
