// One diagnostic type for the whole front end (and later stages): a stable code, severity,
// message, span (byte offsets), notes and an optional suggestion. Printed like a compiler.
import type { Span } from './ast.ts';
import { codes } from './codes.ts';
import type { SourceFile } from './source.ts';

export type Severity = 'error' | 'warning';

export interface Note {
  message: string;
  file?: SourceFile;
  span?: Span;
}

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  file: SourceFile;
  span: Span;
  /** Short label printed under the caret. */
  label?: string;
  notes: Note[];
  suggestion?: string;
}

export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  add(code: string, file: SourceFile, span: Span, message: string, extra: Partial<Pick<Diagnostic, 'label' | 'notes' | 'suggestion'>> = {}): Diagnostic {
    const info = codes.get(code);
    if (!info) throw new Error(`internal: unknown diagnostic code ${code}`);
    const d: Diagnostic = { code, severity: info.severity, message, file, span, notes: extra.notes ?? [], label: extra.label, suggestion: extra.suggestion };
    this.items.push(d);
    return d;
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === 'error').length;
  }
}

/** Sort by file, then position, then code; stable for golden files. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.file.path.localeCompare(b.file.path) || a.span.start - b.span.start || a.code.localeCompare(b.code));
}

/** Render one diagnostic as text (file:line:col, the source line, a caret underline, notes). */
export function formatDiagnostic(d: Diagnostic, opts: { color?: boolean } = {}): string {
  const paint = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const sevColor = d.severity === 'error' ? '1;31' : '1;33';
  const { line, col } = d.file.position(d.span.start);
  const end = d.file.position(Math.max(d.span.start, d.span.end));
  const gutter = String(Math.max(line, end.line)).length;
  const pad = ' '.repeat(gutter);
  const out: string[] = [];
  out.push(`${paint(sevColor, `${d.severity}[${d.code}]`)}: ${paint('1', d.message)}`);
  out.push(`${pad}${paint('34', '-->')} ${d.file.path}:${line}:${col}`);
  out.push(`${pad} ${paint('34', '|')}`);
  const text = d.file.line(line).replace(/\t/g, ' ');
  out.push(`${paint('34', String(line).padStart(gutter))} ${paint('34', '|')} ${text}`);
  const width = end.line === line ? Math.max(1, end.col - col) : Math.max(1, text.length - col + 1);
  const underline = ' '.repeat(col - 1) + '^'.repeat(width);
  out.push(`${pad} ${paint('34', '|')} ${paint(sevColor, underline)}${d.label ? ' ' + paint(sevColor, d.label) : ''}`);
  for (const n of d.notes) {
    const where = n.span && n.file ? ` (${n.file.path}:${n.file.position(n.span.start).line}:${n.file.position(n.span.start).col})` : '';
    out.push(`${pad} ${paint('34', '=')} note: ${n.message}${where}`);
  }
  if (d.suggestion) out.push(`${pad} ${paint('34', '=')} help: ${d.suggestion}`);
  return out.join('\n');
}

export function formatDiagnostics(ds: Diagnostic[], opts: { color?: boolean } = {}): string {
  const sorted = sortDiagnostics(ds);
  const errors = sorted.filter((d) => d.severity === 'error').length;
  const warnings = sorted.length - errors;
  const body = sorted.map((d) => formatDiagnostic(d, opts)).join('\n\n');
  const summary = errors || warnings ? `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}` : '';
  return [body, summary].filter(Boolean).join('\n\n');
}

/** JSON form for `cipherprune check --json`. */
export function diagnosticToJson(d: Diagnostic) {
  const start = d.file.position(d.span.start);
  const end = d.file.position(d.span.end);
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.file.path,
    span: { start: d.span.start, end: d.span.end },
    start,
    end,
    label: d.label ?? null,
    notes: d.notes.map((n) => ({ message: n.message, file: n.file?.path ?? null, span: n.span ?? null })),
    suggestion: d.suggestion ?? null,
  };
}
