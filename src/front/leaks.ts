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

/** The leak report, per model: what each model reveals and outputs, including inside the library
 * functions it calls. A reveal in a function that no model reaches discloses nothing, so it is
 * counted, not listed. With no model at all (library files alone), every site is listed. */
export function formatLeaks(entries: LeakEntry[], models: string[] = [...new Set(entries.flatMap((e) => e.models))]): string {
  if (models.length === 0) return formatSection('leak report (no model: every site in the library)', entries);
  const sections = models.map((m) => formatSection(`leak report for model ${m}`, entries.filter((e) => e.models.includes(m))));
  const unreached = entries.filter((e) => e.models.length === 0);
  if (unreached.length) sections.push(`not listed: ${unreached.length} site${unreached.length === 1 ? '' : 's'} that no model reaches (${[...new Set(unreached.map((e) => e.within))].join(', ')})`);
  return sections.join('\n');
}

function formatSection(title: string, entries: LeakEntry[]): string {
  if (entries.length === 0) return `${title}: nothing is revealed and nothing is output.`;
  const lines = [`${title}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`];
  for (const e of entries) {
    const { line, col } = e.file.position(e.span.start);
    const size = `${e.elements} x ${e.encoding} (${e.bitsPerElement} bit${e.bitsPerElement === 1 ? '' : 's'} each)`;
    lines.push(`  ${e.file.path}:${line}:${col}  ${e.kind} ${e.value}`);
    lines.push(`      ${e.from} -> ${e.to === 'both' ? 'both parties (public)' : e.to}; size ${size}`);
    lines.push(`      ${[`in ${e.within}`, ...e.loops.map((l) => `inside for ${l}`)].join('; ')}`);
  }
  return lines.join('\n');
}

export function leakToJson(e: LeakEntry) {
  const { line, col } = e.file.position(e.span.start);
  return { kind: e.kind, file: e.file.path, line, col, span: e.span, value: e.value, from: e.from, to: e.to, encoding: e.encoding, elements: e.elements, bitsPerElement: e.bitsPerElement, within: e.within, loops: e.loops, models: e.models };
}
