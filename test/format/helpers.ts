// Shared by the formatter and grammar tests: the repo's .cpl files (globbed at run time, since
// stdlib/ and protocols/ keep growing), and the AST of a source without spans.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCst } from '../../grammar/parser.ts';
import { AstBuilder } from '../../src/front/build.ts';
import { SourceFile } from '../../src/front/source.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const casesDir = fileURLToPath(new URL('./cases', import.meta.url));

function walk(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.cpl')) out.push(p);
  }
}

/** stdlib/**\/*.cpl, protocols/**\/*.cpl and the formatter cases, as paths relative to the repo. */
export function repoCplFiles(): string[] {
  const out: string[] = [];
  for (const d of ['stdlib', 'protocols', 'test/format/cases']) walk(join(repoRoot, d), out);
  return out.map((p) => relative(repoRoot, p)).sort();
}

/** The AST with every span dropped (for "same tree" comparisons). */
export function astWithoutSpans(text: string): unknown {
  const out = parseCst(text);
  if (out.lexErrors.length || out.parseErrors.length) throw new Error('does not parse');
  const ast = new AstBuilder(new SourceFile('<t>', text)).file(out.cst);
  return JSON.parse(JSON.stringify(ast, (k, v) => (/span$/i.test(k) ? undefined : v)));
}

/** Comment texts in order, whitespace collapsed (starred block comments are re-indented). */
export function commentTexts(text: string): string[] {
  return parseCst(text).comments.map((c) => c.image.replace(/\s+/g, ' ').trim());
}
