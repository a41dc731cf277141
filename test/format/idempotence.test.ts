// Over every .cpl file in the repo (globbed at run time) and the golden cases: formatting is a
// fixed point, keeps the AST (spans aside) and keeps every comment, at the default width and at a
// narrow one that forces most lists and operator chains to break.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCpl } from '../../src/format/index.ts';
import { astWithoutSpans, commentTexts, repoCplFiles, repoRoot } from './helpers.ts';

const files = repoCplFiles();

describe('formatter idempotence and fidelity', () => {
  it('finds the repo files', () => {
    expect(files.some((f) => f.startsWith('test/format/cases/'))).toBe(true);
  });

  for (const file of files) {
    it(file, async () => {
      const text = readFileSync(join(repoRoot, file), 'utf8');
      for (const printWidth of [100, 40]) {
        const once = await formatCpl(text, { filepath: file, printWidth });
        const twice = await formatCpl(once, { filepath: file, printWidth });
        expect(twice, `not idempotent at printWidth ${printWidth}`).toBe(once);
        expect(astWithoutSpans(once), `AST changed at printWidth ${printWidth}`).toEqual(astWithoutSpans(text));
        expect(commentTexts(once), `comments changed at printWidth ${printWidth}`).toEqual(commentTexts(text));
      }
    });
  }
});
