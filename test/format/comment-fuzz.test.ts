// Comments in odd places: insert `/* c */`, `// c` (end of line) or an own-line `// own` before
// tokens of some sources, then check that formatting keeps the tree and every comment, and is
// idempotent. The default run samples two cases; CIPHERPRUNE_SLOW=1 runs every token of every
// case and stdlib file (about 15k variants, minutes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cplLexer } from '../../grammar/lexer.ts';
import { formatCpl } from '../../src/format/index.ts';
import { astWithoutSpans, commentTexts, repoCplFiles, repoRoot } from './helpers.ts';

const slow = !!process.env.CIPHERPRUNE_SLOW;
const files = slow
  ? repoCplFiles().filter((f) => !f.endsWith('.out.cpl'))
  : ['test/format/cases/05-statements.in.cpl', 'test/format/cases/14-comments-awkward.in.cpl'];
const step = slow ? 1 : 3;
const inserts = [' /* c */ ', ' // c\n', '\n// own\n'];

describe('comments in odd places', () => {
  for (const file of files) {
    it(file, async () => {
      const text = readFileSync(join(repoRoot, file), 'utf8');
      const tokens = cplLexer.tokenize(text).tokens.filter((_, i) => i % step === 0);
      for (const t of tokens) {
        for (const c of inserts) {
          const src = text.slice(0, t.startOffset) + c + text.slice(t.startOffset);
          const where = `${JSON.stringify(c)} before '${t.image}' at ${t.startLine}:${t.startColumn}`;
          const once = await formatCpl(src);
          expect(astWithoutSpans(once), where).toEqual(astWithoutSpans(src));
          expect(commentTexts(once).sort(), where).toEqual(commentTexts(src).sort());
          expect(await formatCpl(once), where).toBe(once);
        }
      }
    }, slow ? 1_800_000 : undefined);
  }
});
