// Formatter goldens: test/format/cases/NAME.in.cpl -> NAME.out.cpl.
// UPDATE_GOLDEN=1 npm test -- test/format   rewrites the .out.cpl files instead of comparing.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFormatted, formatCpl } from '../../src/format/index.ts';
import { casesDir } from './helpers.ts';

const update = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(casesDir).filter((f) => f.endsWith('.in.cpl')).sort();

describe('formatter goldens', () => {
  it('has enough cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of cases) {
    it(name, async () => {
      const input = readFileSync(join(casesDir, name), 'utf8');
      const outPath = join(casesDir, name.replace(/\.in\.cpl$/, '.out.cpl'));
      const out = await formatCpl(input, { filepath: name });
      if (update) writeFileSync(outPath, out);
      else {
        expect(existsSync(outPath), `${outPath} missing: run with UPDATE_GOLDEN=1`).toBe(true);
        expect(out).toBe(readFileSync(outPath, 'utf8'));
      }
      expect(await checkFormatted(out)).toBe(true);
    });
  }
});
