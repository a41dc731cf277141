// The TextMate grammar (grammar/cpl.tmLanguage.json), run with the engine VS Code uses
// (vscode-textmate + the oniguruma WASM): keywords stay in sync with the lexer, sample lines get
// the expected scopes, and every line of every .cpl file in the repo tokenizes with no character
// left unscoped or marked invalid.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import vsctm from 'vscode-textmate';
import { beforeAll, describe, expect, it } from 'vitest';
import { keywords } from '../../grammar/lexer.ts';
import { repoCplFiles, repoRoot } from './helpers.ts';

interface Onig {
  loadWASM(data: ArrayBuffer | ArrayBufferView): Promise<void>;
  createOnigScanner(patterns: string[]): unknown;
  createOnigString(s: string): unknown;
}
const require = createRequire(import.meta.url);
const onig = require('vscode-oniguruma') as Onig;

const grammarPath = join(repoRoot, 'grammar/cpl.tmLanguage.json');
let grammar: vsctm.IGrammar;

beforeAll(async () => {
  await onig.loadWASM(readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => onig.createOnigScanner(patterns) as vsctm.OnigScanner,
      createOnigString: (s: string) => onig.createOnigString(s) as vsctm.OnigString,
    }),
    loadGrammar: async (scope: string) => (scope === 'source.cpl' ? vsctm.parseRawGrammar(readFileSync(grammarPath, 'utf8'), grammarPath) : null),
  });
  const g = await registry.loadGrammar('source.cpl');
  if (!g) throw new Error('grammar did not load');
  grammar = g;
});

interface Tok {
  text: string;
  scopes: string[];
}

function tokenize(text: string): { tokens: Tok[][]; stoppedEarly: boolean } {
  let stack = vsctm.INITIAL;
  let stoppedEarly = false;
  const tokens = text.split(/\r?\n/).map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    stoppedEarly ||= r.stoppedEarly;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
  });
  return { tokens, stoppedEarly };
}

/** Scopes of the first token whose text is `word` on a one-line sample. */
function scopesOf(line: string, word: string, nth = 0): string[] {
  const found = tokenize(line).tokens[0].filter((t) => t.text === word);
  if (!found[nth]) throw new Error(`no token '${word}' in: ${line}`);
  return found[nth].scopes;
}

describe('TextMate grammar', () => {
  it('has scopeName source.cpl', () => {
    expect(JSON.parse(readFileSync(grammarPath, 'utf8')).scopeName).toBe('source.cpl');
  });

  it('the keyword rule lists exactly the lexer keywords', () => {
    const raw = JSON.parse(readFileSync(grammarPath, 'utf8'));
    const rules = [...raw.repository.keywords.patterns, ...raw.repository.visibility.patterns];
    const words = new Set<string>();
    for (const r of rules) {
      const m = /^\\b\(?([a-z|]+)\)?\\b$/.exec(r.match ?? '');
      if (m) for (const w of m[1].split('|')) words.add(w);
    }
    expect([...words].sort()).toEqual([...keywords].sort());
  });

  it('scopes every lexer keyword as a keyword', () => {
    expect(keywords.length).toBeGreaterThan(20);
    for (const kw of keywords) {
      const toks = tokenize(kw).tokens[0];
      expect(toks.length, kw).toBe(1);
      const scope = toks[0].scopes.at(-1)!;
      expect(scope, kw).toMatch(/^(keyword\.|storage\.|constant\.language\.)/);
    }
  });

  it('scopes declassification, visibility and definitions', () => {
    expect(scopesOf('  let k = reveal count(keep)', 'reveal')).toContain('keyword.other.declassify.cpl');
    expect(scopesOf('  let k = reveal count(keep)', 'count')).toContain('entity.name.function.call.cpl');
    expect(scopesOf('  let k = reveal count(keep)', 'let')).toContain('storage.type.cpl');
    expect(scopesOf('  output logits to client', 'output')).toContain('keyword.other.declassify.cpl');
    expect(scopesOf('  output logits to client', 'client')).toContain('storage.modifier.visibility.client.cpl');
    expect(scopesOf('  output logits to client', 'to')).toContain('keyword.other.to.cpl');
    const sig = 'fn linear<n, k>(x: secret act[n, k], w: server fix<32, 12>[k]) -> public int {';
    expect(scopesOf(sig, 'fn')).toContain('storage.type.function.cpl');
    expect(scopesOf(sig, 'linear')).toContain('entity.name.function.cpl');
    expect(scopesOf(sig, 'secret')).toContain('storage.modifier.visibility.secret.cpl');
    expect(scopesOf(sig, 'server')).toContain('storage.modifier.visibility.server.cpl');
    expect(scopesOf(sig, 'public')).toContain('storage.modifier.visibility.public.cpl');
    expect(scopesOf(sig, 'act')).toContain('entity.name.type.encoding.cpl');
    expect(scopesOf(sig, 'fix')).toContain('entity.name.type.encoding.cpl');
    expect(scopesOf(sig, '32')).toContain('constant.numeric.integer.cpl');
    expect(scopesOf(sig, 'n', 1)).toContain('meta.shape.cpl');
    expect(scopesOf(sig, '->')).toContain('keyword.operator.arrow.cpl');
    const prim = 'prim add<V: vis, E: enc, ...S>(a: V E[...S]) -> V E[...S]';
    expect(scopesOf(prim, 'add')).toContain('entity.name.function.prim.cpl');
    expect(scopesOf(prim, 'vis')).toContain('support.type.kind.cpl');
    expect(scopesOf(prim, 'V', 1)).toContain('variable.parameter.visibility.cpl');
    expect(scopesOf(prim, 'E', 1)).toContain('entity.name.type.encoding.cpl');
    expect(scopesOf(prim, '...', 1)).toContain('keyword.operator.spread.cpl');
    expect(scopesOf('model bert_tiny {', 'bert_tiny')).toContain('entity.name.type.model.cpl');
    expect(scopesOf('type act = fix<32, 12>', 'act')).toContain('entity.name.type.alias.cpl');
    expect(scopesOf('overload (+) = add | sub', '+')).toContain('entity.name.function.overload.operator.cpl');
    expect(scopesOf('overload (+) = add | sub', '|')).toContain('keyword.operator.alternative.cpl');
    expect(scopesOf('import prune as pr', 'prune')).toContain('entity.name.namespace.cpl');
    expect(scopesOf('const eps = 0.00001', 'eps')).toContain('variable.other.constant.cpl');
  });

  it('scopes comments, attributes, operators, numbers and strings', () => {
    expect(scopesOf('let a = 1 // note', ' note')).toContain('comment.line.double-slash.cpl');
    expect(scopesOf('let a = 1 // note', '//')).toContain('punctuation.definition.comment.cpl');
    const block = tokenize('/* a\n   b */ let x = 1').tokens;
    expect(block[1].find((t) => t.text.includes('b'))!.scopes).toContain('comment.block.cpl');
    expect(block[1].find((t) => t.text === 'let')!.scopes).toContain('storage.type.cpl');
    expect(scopesOf('@elementwise', 'elementwise')).toContain('entity.name.function.attribute.cpl');
    expect(scopesOf('  x = x + w[l] @ y', '@')).toContain('keyword.operator.matmul.cpl');
    expect(scopesOf('  if a < b && !c {', '<')).toContain('keyword.operator.comparison.cpl');
    expect(scopesOf('  if a < b && !c {', '&&')).toContain('keyword.operator.logical.cpl');
    expect(scopesOf('  let t = 1.5e-3 + 0x1F', '1.5e-3')).toContain('constant.numeric.float.cpl');
    expect(scopesOf('  let t = 1.5e-3 + 0x1F', '0x1F')).toContain('constant.numeric.hex.cpl');
    expect(scopesOf('  for l in 0..n {', '..')).toContain('keyword.operator.range.cpl');
    expect(scopesOf('  for l in 0..n {', '0')).toContain('constant.numeric.integer.cpl');
    expect(scopesOf('  let s = "a\\"b"', '\\"')).toContain('constant.character.escape.cpl');
    expect(scopesOf('  let b = true', 'true')).toContain('constant.language.boolean.cpl');
  });

  const files = repoCplFiles();
  it('finds the repo files', () => {
    expect(files.length).toBeGreaterThan(10);
  });
  for (const file of files) {
    it(`tokenizes ${file}`, () => {
      const { tokens, stoppedEarly } = tokenize(readFileSync(join(repoRoot, file), 'utf8'));
      expect(stoppedEarly).toBe(false);
      tokens.forEach((line, i) => {
        for (const t of line) {
          const where = `${file}:${i + 1} '${t.text}' ${t.scopes.join(' ')}`;
          expect(t.scopes.some((s) => s.startsWith('invalid')), where).toBe(false);
          if (t.text.trim()) expect(t.scopes.length, where).toBeGreaterThan(1);
        }
      });
    });
  }
});
