// Loading a program: the entry files, their imports (resolved next to the importing file, then in
// stdlib/), and the prelude. Syntax diagnostics are collected here; nothing throws on bad input.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCst } from '../../grammar/parser.ts';
import type { FileAst } from './ast.ts';
import { AstBuilder } from './build.ts';
import { DiagnosticBag } from './diagnostics.ts';
import { SourceFile } from './source.ts';

export const STDLIB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../stdlib');

export interface Module {
  /** Canonical name: the dotted path for stdlib modules, the file path otherwise. */
  name: string;
  file: SourceFile;
  ast: FileAst;
  /** Import alias -> module (filled by the loader). */
  imports: Map<string, Module>;
  /** Aliases of imports that failed (unknown module, cycle): their uses are not reported again. */
  brokenImports: Set<string>;
  isPrelude: boolean;
}

export interface Host {
  readFile(path: string): string | null;
}

export const fsHost: Host = {
  readFile: (p) => (existsSync(p) ? readFileSync(p, 'utf8') : null),
};

/** Parse one source text into an AST, reporting lexer and parser errors. */
export function parseSource(file: SourceFile, diags: DiagnosticBag): FileAst {
  const out = parseCst(file.text);
  for (const t of out.badTokens) {
    const start = file.byteOf(t.startOffset);
    const what = t.tokenType.name === 'UnterminatedComment' ? 'block comment' : 'string';
    diags.add('E0103', file, { start, end: start + (what === 'string' ? 1 : 2) }, `unterminated ${what}`, {
      label: `this ${what} is never closed`,
      suggestion: what === 'string' ? 'close it with `"` on the same line' : 'close it with `*/`',
    });
  }
  for (const e of out.lexErrors) {
    const start = file.byteOf(e.offset);
    const ch = file.text.slice(e.offset, e.offset + e.length);
    diags.add('E0101', file, { start, end: file.byteOf(e.offset + Math.max(1, e.length)) }, `unexpected character ${JSON.stringify(ch.slice(0, 1))}`);
  }
  for (const e of out.parseErrors) {
    const t = e.token;
    const atEof = t.tokenType?.name === 'EOF' || isNaN(t.startOffset);
    const start = atEof ? file.byteOf(file.text.length) : file.byteOf(t.startOffset);
    const end = atEof ? start : file.byteOf((t.endOffset ?? t.startOffset) + 1);
    const found = atEof ? 'end of file' : `'${t.image}'`;
    diags.add('E0102', file, { start, end }, `syntax error: ${describeExpectation(e.message)}, found ${found}`, {
      label: atEof ? 'input ends here' : undefined,
    });
  }
  return new AstBuilder(file).file(out.cst);
}

/** Turn Chevrotain's message into a short "expected ..." phrase. */
function describeExpectation(msg: string): string {
  const single = /Expecting token of type --> (\w+) <--/.exec(msg);
  if (single) return `expected ${tokenWord(single[1])}`;
  const alts = [...msg.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1].split(',').map((s) => s.trim())).flat();
  if (/one of these possible Token sequences/.test(msg) && alts.length) {
    const firstNames = new Set(alts.map((a) => a.split(' ')[0]));
    if (firstNames.has('IntLit') && firstNames.has('Identifier') && firstNames.has('LParen')) return 'expected an expression';
    const firsts = [...new Set([...firstNames].map(tokenWord))].slice(0, 6);
    return `expected ${firsts.join(', ')}`;
  }
  if (/Redundant input/.test(msg)) return 'unexpected input';
  return 'unexpected input';
}

const TOKEN_WORDS: Record<string, string> = {
  Identifier: 'a name', IntLit: 'an integer', FloatLit: 'a number', StringLit: 'a string',
  LParen: "'('", RParen: "')'", LBracket: "'['", RBracket: "']'", LBrace: "'{'", RBrace: "'}'",
  Comma: "','", Colon: "':'", Eq: "'='", Arrow: "'->'", Lt: "'<'", Gt: "'>'", DotDot: "'..'", To: "'to'",
  In: "'in'", Dot: "'.'", Pipe: "'|'", DotDotDot: "'...'", ColonColon: "'::'", At: "'@'",
  Minus: "'-'", Plus: "'+'", Star: "'*'", Slash: "'/'", Percent: "'%'", Bang: "'!'", AndAnd: "'&&'", OrOr: "'||'",
  EqEq: "'=='", NotEq: "'!='", LtEq: "'<='", GtEq: "'>='", EOF: 'end of file',
};
const tokenWord = (name: string): string => TOKEN_WORDS[name] ?? (/^[A-Z][a-z]+$/.test(name) ? `'${name.toLowerCase()}'` : name);

export interface LoadResult {
  modules: Module[];
  entries: Module[];
  prelude: Module;
  diags: DiagnosticBag;
}

/** Load entry files (path + optional in-memory text) with everything they import. */
export function loadProgram(entries: { path: string; text?: string }[], host: Host = fsHost, diags = new DiagnosticBag()): LoadResult {
  const byPath = new Map<string, Module>();
  const modules: Module[] = [];
  const display = (p: string) => {
    const rel = relative(process.cwd(), p);
    return rel.startsWith('..') ? p : rel;
  };

  const load = (absPath: string, text: string | null, name: string, isPrelude: boolean): Module => {
    const existing = byPath.get(absPath);
    if (existing) return existing;
    const file = new SourceFile(display(absPath), text ?? '');
    const ast = parseSource(file, diags);
    // Display name: the `module` declaration if any, else the import path or the file's base name.
    const declared = ast.module?.path.join('.');
    const mod: Module = { name: declared || name, file, ast, imports: new Map(), brokenImports: new Set(), isPrelude };
    byPath.set(absPath, mod);
    modules.push(mod);
    return mod;
  };

  const preludePath = join(STDLIB_DIR, 'prelude.cpl');
  const prelude = load(preludePath, host.readFile(preludePath), 'prelude', true);

  const resolveImports = (mod: Module, absPath: string, stack: string[]) => {
    for (const item of mod.ast.items) {
      if (item.kind !== 'Import') continue;
      const rel = join(...item.path) + '.cpl';
      const candidates = [join(dirname(absPath), rel), join(STDLIB_DIR, rel)];
      const found = candidates.find((c) => host.readFile(c) !== null);
      const alias = item.alias ?? item.path[item.path.length - 1];
      if (!found) {
        diags.add('E0203', mod.file, item.span, `unknown module '${item.path.join('.')}'`, {
          notes: [{ message: `looked for ${candidates.map(display).join(' and ')}` }],
        });
        mod.brokenImports.add(alias);
        continue;
      }
      if (stack.includes(found)) {
        diags.add('E0205', mod.file, item.span, `import cycle: ${[...stack.slice(stack.indexOf(found)), found].map(display).join(' -> ')}`);
        mod.brokenImports.add(alias);
        continue;
      }
      const isNew = !byPath.has(found);
      const target = load(found, host.readFile(found), item.path.join('.'), found === preludePath);
      mod.imports.set(alias, target);
      if (isNew) resolveImports(target, found, [...stack, found]);
    }
  };

  const entryMods: Module[] = [];
  for (const e of entries) {
    const abs = resolve(e.path);
    const text = e.text ?? host.readFile(abs);
    if (text === null) throw new Error(`cannot read ${e.path}`);
    const isNew = !byPath.has(abs);
    const m = load(abs, text, basename(abs, '.cpl'), abs === preludePath);
    entryMods.push(m);
    if (isNew) resolveImports(m, abs, [abs]);
  }
  return { modules, entries: entryMods, prelude, diags };
}
