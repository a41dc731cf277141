// The formatter refuses what it cannot format faithfully: syntax errors (with line:col), and node
// kinds or fields its schema does not know (the AST may grow before the formatter does).
import { describe, expect, it } from 'vitest';
import { parseCst } from '../../grammar/parser.ts';
import { AstBuilder } from '../../src/front/build.ts';
import { SourceFile } from '../../src/front/source.ts';
import { checkFormatted, formatCpl } from '../../src/format/index.ts';
import { tagTree } from '../../src/format/nodes.ts';

function ast(text: string): any {
  return new AstBuilder(new SourceFile('<t>', text)).file(parseCst(text).cst);
}

describe('formatter errors', () => {
  it('rejects a syntax error with path:line:col', async () => {
    await expect(formatCpl('fn f() {\n  let x = (1 +\n}\n', { filepath: 'bad.cpl' })).rejects.toThrow(/bad\.cpl:3:1: /);
  });

  it('rejects a lexical error with line:col', async () => {
    await expect(formatCpl('const a = 1\nconst b = $\n')).rejects.toThrow(/<input>:2:11: /);
  });

  it('rejects unexpected end of input', async () => {
    await expect(formatCpl('fn f(')).rejects.toThrow(/<input>:1:\d+: /);
  });

  it('throws on an unknown node kind instead of dropping it', () => {
    const text = 'fn f() { return 1 }\n';
    const tree = ast(text);
    tree.items[0].body.stmts.push({ kind: 'Assert', value: tree.items[0].body.stmts[0].value, span: { start: 0, end: 1 } });
    expect(() => tagTree(tree, new SourceFile('<t>', text))).toThrow(/cannot format node Assert/);
  });

  it('throws on an unknown field instead of dropping it', () => {
    const text = '@elementwise\nprim p() -> public int\n';
    const tree = ast(text);
    tree.items[0].attributes[0].args = [];
    expect(() => tagTree(tree, new SourceFile('<t>', text))).toThrow(/cannot format node Attribute: unknown field 'args'/);
  });

  it('checkFormatted tells formatted from unformatted text', async () => {
    expect(await checkFormatted('const a = 1\n')).toBe(true);
    expect(await checkFormatted('const a=1\n')).toBe(false);
    expect(await checkFormatted('const a = 1')).toBe(false);
  });

  it('honours printWidth', async () => {
    const text = 'const x = f(aaaaaaaa, bbbbbbbb)\n';
    expect(await formatCpl(text)).toBe(text);
    expect(await formatCpl(text, { printWidth: 20 })).toBe('const x = f(\n  aaaaaaaa,\n  bbbbbbbb\n)\n');
  });
});
