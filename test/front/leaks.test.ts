// The leak report is per model and lists only the reveals and outputs a model reaches; a reveal
// inside a function that no model calls is counted, not listed.
import { describe, expect, it } from 'vitest';
import { check, formatDiagnostics, formatLeaks } from '../../src/front/index.ts';

describe('leak report', () => {
  const r = check([{ path: 'test/front/programs/leak-unreachable.cpl' }]);
  const report = formatLeaks(r.leaks, r.models.map((m) => m.name));

  it('checks', () => expect(formatDiagnostics(r.diagnostics)).toBe(''));

  it('knows which models reach each site', () => {
    const unreached = r.leaks.find((l) => l.value === 'count(s > 0.5)')!;
    expect(unreached.models).toEqual([]);
    expect(r.leaks.find((l) => l.value === 'count(x > 0.25)')!.models).toEqual(['b']);
  });

  it('lists, per model, only the sites that model reaches', () => {
    const [a, b] = report.split(/^(?=leak report for model b)/m);
    expect(a).toMatch(/^leak report for model a: 1 entry/);
    expect(a).toContain('output used(x)');
    expect(a).not.toContain('reveal');
    expect(b).toMatch(/^leak report for model b: 2 entries/);
    expect(b).toContain('reveal count(x > 0.25)');
    expect(report).not.toContain('count(s > 0.5)');
    expect(report).toContain('not listed: 1 site that no model reaches (fn leak-unreachable.unused_policy)');
  });

  it('lists every site of library files checked without a model', () => {
    const lib = check([{ path: 'stdlib/prune.cpl' }]);
    expect(formatLeaks(lib.leaks, [])).toMatch(/^leak report \(no model: every site in the library\): \d+ entries/);
  });
});
