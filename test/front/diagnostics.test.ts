// Golden diagnostics: every program in cases/ is invalid; its diagnostics must match the
// .expected file byte for byte. Regenerate with UPDATE_GOLDEN=1 and review the diff.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, formatDiagnostics } from '../../src/front/index.ts';

const dir = join('test', 'front', 'cases');
const cases = readdirSync(dir).filter((f) => f.endsWith('.cpl')).sort();
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden diagnostics', () => {
  it('has at least 25 invalid programs across all categories', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    for (const cat of ['syntax', 'names', 'types', 'shapes', 'vis']) expect(cases.some((c) => c.startsWith(cat + '-'))).toBe(true);
  });

  for (const name of cases) {
    it(name, () => {
      const path = join(dir, name);
      const text = readFileSync(path, 'utf8');
      const expectCode = /\/\/ expect: (\w+)/.exec(text)?.[1];
      const r = check([{ path }]);
      const rendered = formatDiagnostics(r.diagnostics) + '\n';
      const golden = path.replace(/\.cpl$/, '.expected');
      if (update || !existsSync(golden)) writeFileSync(golden, rendered);
      expect(expectCode, 'each case names the code it expects').toBeDefined();
      expect(r.diagnostics.map((d) => d.code)).toContain(expectCode);
      if (expectCode!.startsWith('E')) expect(r.ok).toBe(false);
      expect(rendered).toBe(readFileSync(golden, 'utf8'));
    });
  }
});
