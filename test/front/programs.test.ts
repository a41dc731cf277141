// Every .cpl file in the repo type-checks, through the library and through the CLI.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, formatDiagnostics } from '../../src/front/index.ts';

function cplFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? cplFiles(p) : e.endsWith('.cpl') ? [p] : [];
  });
}

export const repoPrograms = [...cplFiles('stdlib'), ...cplFiles('protocols')];

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'bin/cipherprune.mjs', ...args], { encoding: 'utf8', timeout: 30_000 });

describe('bundled programs', () => {
  it('finds the bundled programs', () => {
    expect(repoPrograms).toEqual(expect.arrayContaining(['stdlib/prelude.cpl', 'stdlib/nn.cpl', 'stdlib/prune.cpl', 'protocols/bert.cpl', 'protocols/gpt2.cpl']));
  });

  for (const path of repoPrograms) {
    it(`${path} type-checks with no errors or warnings`, () => {
      const r = check([{ path }]);
      expect(formatDiagnostics(r.diagnostics)).toBe('');
      expect(r.ok).toBe(true);
    });
  }

  it('declares dense and CipherPrune models for BERT and GPT-2, revealing only counts', () => {
    const r = check([{ path: 'protocols/bert.cpl' }, { path: 'protocols/gpt2.cpl' }]);
    expect(r.models.map((m) => m.name).sort()).toEqual(['bert_cipherprune', 'bert_dense', 'gpt2_cipherprune', 'gpt2_dense']);
    const reveals = r.leaks.filter((l) => l.kind === 'reveal' && l.models.length > 0);
    expect(reveals.length).toBeGreaterThan(0);
    for (const l of reveals) expect(l.elements).toBe('1'); // a single count each
    for (const m of ['bert_dense', 'gpt2_dense']) expect(reveals.some((l) => l.models.includes(m))).toBe(false);
    const outputs = r.leaks.filter((l) => l.kind === 'output');
    expect(outputs.every((o) => o.to === 'client')).toBe(true);
  });
});

describe('cipherprune CLI', () => {
  it('check exits 0 on every bundled program', () => {
    const r = cli('check', 'stdlib', 'protocols');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/checked \d+ files: ok/);
  });

  it('check exits 1 with compiler-style errors, and 2 on usage errors', () => {
    const bad = cli('check', 'test/front/cases/shapes-pruned-length.cpl');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('error[E0401]');
    expect(bad.stderr).toContain('--> test/front/cases/shapes-pruned-length.cpl:8:14');
    expect(cli('check').status).toBe(2);
    expect(cli('check', '--nope', 'x.cpl').status).toBe(2);
    expect(cli('frobnicate').status).toBe(2);
    expect(cli('check', 'does/not/exist.cpl').status).toBe(2);
  });

  it('check --json and --leaks', () => {
    const j = cli('check', '--json', 'test/front/cases/vis-output-wrong-party.cpl');
    expect(j.status).toBe(1);
    const out = JSON.parse(j.stdout);
    expect(out.ok).toBe(false);
    expect(out.diagnostics[0]).toMatchObject({ code: 'E0502', severity: 'error', start: { line: 9, col: 10 } });
    const leaks = cli('check', '--leaks', 'protocols/bert.cpl');
    expect(leaks.status).toBe(0);
    expect(leaks.stdout).toContain('reveal count(keep)');
    expect(leaks.stdout).toContain('secret -> both parties (public)');
  });

  it('fmt --check: the bundled programs are formatted', () => {
    const r = cli('fmt', '--check', 'stdlib', 'protocols', 'test/exec/programs', 'bench/nonlinear/programs');
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('--help for every command, and --version', () => {
    const top = cli('--help');
    expect(top.status).toBe(0);
    for (const cmd of ['check', 'fmt', 'compile', 'run', 'serve', 'connect']) {
      expect(top.stdout).toContain(cmd);
      const h = cli(cmd, '--help');
      expect(h.status).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^usage: cipherprune ${cmd}`));
    }
    expect(cli('--version').stdout).toMatch(/^cipherprune \d+\.\d+\.\d+/);
  });
});

describe('docs/diagnostics.md', () => {
  it('lists every diagnostic code with its title and severity', async () => {
    const { readFileSync } = await import('node:fs');
    const { codes } = await import('../../src/front/codes.ts');
    const doc = readFileSync('docs/diagnostics.md', 'utf8');
    for (const info of codes.values()) {
      expect(doc).toContain(`| ${info.code} | ${info.severity} | ${info.title} |`);
    }
    const documented = [...doc.matchAll(/^\| ([EW]\d{4}) \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes.keys()].sort());
  });
});

describe('grammar corner cases', () => {
  it('an attribute after a constant starts a declaration, not a matrix product', () => {
    const text = 'const eps = 0.5\n\n@elementwise\nprim p<...S>(a: public int[...S]) -> public int[...S]\nfn f(x: secret fix<32, 12>[2, 2], w: server fix<32, 12>[2, 2]) -> secret fix<32, 12>[2, 2] {\n  return x @ w\n}\n';
    const r = check([{ path: 'corner.cpl', text }]);
    expect(formatDiagnostics(r.diagnostics)).toBe('');
    const items = r.entries[0].ast.items;
    expect(items.map((i) => i.kind)).toEqual(['Const', 'Fn', 'Fn']);
    expect(items[1].kind === 'Fn' && items[1].attributes.map((a) => a.name)).toEqual(['elementwise']);
  });
});
