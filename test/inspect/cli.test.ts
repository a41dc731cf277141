// `cipherprune inspect` and the schedule flags of `compile`, through the CLI's entry point
// (in-process): published shapes too big to run print their totals; kept counts are checked;
// a run report is compared step by step.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { Inspection } from '../../src/inspect/inspection.ts';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), color: false, tty: false });
  return { code, out, err };
}

describe('cipherprune inspect', () => {
  it.each([
    ['bert-base', '128'], ['bert-base', '512'], ['bert-large', '128'], ['bert-large', '512'],
  ])('%s at %s tokens: prints totals beside the unmerged schedule, merged has fewer rounds', async (preset, tokens) => {
    const r = await cli(['inspect', 'protocols/bert.cpl', '-m', 'bert_dense', '--config', preset, '--tokens', tokens, '--network', 'wan', '--no-rounds']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const totals = /totals: client -> server [\d.]+ GB, server -> client [\d.]+ GB, (\d+) rounds/.exec(r.out);
    const unmerged = /unmerged: .*, (\d+) rounds/.exec(r.out);
    expect(totals && unmerged).toBeTruthy();
    expect(Number(totals![1])).toBeLessThan(Number(unmerged![1]));
    expect(r.out).toMatch(/time on wan \(200 Mbit\/s, 40 ms round trip\): /);
  }, 60_000);

  it('CipherPrune with the published kept counts; JSON keys as documented', async () => {
    const r = await cli(['inspect', 'protocols/bert.cpl', '-m', 'bert_cipherprune', '--config', 'bert-base', '--kept', '128,55,54,52,49,45,24,14,5,2,1,1', '--format', 'json']);
    expect(r.code).toBe(0);
    const x = JSON.parse(r.out) as Inspection;
    expect(Object.keys(x).sort()).toEqual(['byLayer', 'byPrimitive', 'compute', 'config', 'criticalPath', 'merged', 'model', 'network', 'other', 'program', 'rounds', 'sizes', 'steps', 'totals'].sort());
    expect(x.sizes).toMatchObject({ 'k@l=0': 55, 'kh@l=0': 28, 'k@l=10': 1, 'k@l=11': 1 });
    expect(x.rounds).toHaveLength(x.totals.rounds);
    expect(x.rounds.reduce((s, r) => s + r.c2s, 0)).toBe(x.totals.bytesC2S);
    expect(x.steps.reduce((s, st) => s + st.rounds, 0)).toBe(x.totals.rounds);
    expect(x.totals.rounds).toBeLessThan(x.other.rounds);
  }, 60_000);

  it.each([
    [['--kept', '128,55'], /give 12 counts/],
    [['--kept', '100,55,54,52,49,45,24,14,5,2,1,1'], /first count is the input length, 128 tokens/],
    [['--kept', '128,55,60,52,49,45,24,14,5,2,1,1'], /layer 1 cannot keep 60 of 55 tokens/],
    [['--kept', '128,55,54,52,49,45,24,14,5,2,1,1', '--kept-hi', '60,1,1,1,1,1,1,1,1,1,1,1'], /at most 55 get the accurate polynomials/],
    [[], /needs the sizes revealed at run time \(--kept, or --assume\): k@l=0, kh@l=0/],
    [['--config', 'bert-huge'], /--config expects KEY=N .* or a preset \(bert-base, bert-large, gpt2\)/],
    [['--network', 'fast'], /invalid --network/],
  ])('bad sizes or flags %j: usage error (exit 2)', async (extra, msg) => {
    const args = ['inspect', 'protocols/bert.cpl', '-m', 'bert_cipherprune', ...(extra.some((a) => a === '--config') ? [] : ['--config', 'bert-base']), ...extra];
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  }, 60_000);

  it('--report: predicted beside measured, every step as predicted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-inspect-'));
    try {
      const report = join(dir, 'run.json');
      const run = await cli(['run', 'test/exec/programs/layer.cpl', '--random-inputs', '2', '--network', 'wan', '--report', report]);
      expect(run.code).toBe(0);
      const r = await cli(['inspect', 'test/exec/programs/layer.cpl', '--report', report, '--format', 'json']);
      expect(r.code).toBe(0);
      const x = JSON.parse(r.out) as Inspection;
      expect(x.measured!.mismatches).toBe(0);
      expect(x.measured!.totals.rounds).toBe(x.totals.rounds);
      expect(x.measured!.simulatedSeconds).toBe(JSON.parse(readFileSync(report, 'utf8')).simulatedSeconds);
      const t = await cli(['inspect', 'test/exec/programs/layer.cpl', '--report', report, '--no-rounds']);
      expect(t.out).toMatch(/predicted vs measured \(run report\): every step as predicted/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("--report of an exact-mode run: compared in the run's mode; --exact against a default-mode report is an error", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-inspect-'));
    try {
      const report = join(dir, 'run.json');
      const run = await cli(['run', 'test/exec/programs/layer.cpl', '--random-inputs', '2', '--exact', '--report', report]);
      expect(run.code).toBe(0);
      const data = JSON.parse(readFileSync(report, 'utf8'));
      expect(data.exact).toBe(true);
      const compare = async (file: string, extra: string[] = []) => {
        const r = await cli(['inspect', 'test/exec/programs/layer.cpl', '--report', file, '--format', 'json', ...extra]);
        expect(r.err).toBe('');
        return (JSON.parse(r.out) as Inspection).measured!;
      };
      // The mode comes from the report, with or without --exact.
      for (const extra of [[], ['--exact']]) {
        const m = await compare(report, extra);
        expect(m.mismatches).toBe(0);
        expect(m.totals.rounds).toBeGreaterThan(0);
      }
      // A report written before the mode was recorded: --exact is honoured; without it, default mode.
      const old = join(dir, 'old.json');
      writeFileSync(old, JSON.stringify({ ...data, exact: undefined }));
      expect((await compare(old, ['--exact'])).mismatches).toBe(0);
      expect((await compare(old)).mismatches).toBeGreaterThan(0);
      // A default-mode report and --exact contradict each other.
      const dflt = join(dir, 'default.json');
      writeFileSync(dflt, JSON.stringify({ ...data, exact: false }));
      const bad = await cli(['inspect', 'test/exec/programs/layer.cpl', '--report', dflt, '--exact']);
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/--exact: the run in .*default\.json ran in default mode \(its report says "exact": false\); leave out --exact/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('compile: schedule flags', () => {
  it('--emit schedule, --dump-after, --no-merge', async () => {
    const s = await cli(['compile', 'test/exec/programs/layer.cpl', '--emit', 'schedule']);
    expect(s.out).toMatch(/^schedule small_layer \(merged\)/);
    expect(s.out).toMatch(/depth \d+ \(concurrent\)\n {2}#\d+ gelu_hi/);
    const u = await cli(['compile', 'test/exec/programs/layer.cpl', '--emit', 'schedule', '--no-merge']);
    expect(u.out).toMatch(/^schedule small_layer \(unmerged\)/);
    const d = await cli(['compile', 'test/exec/programs/layer.cpl', '--dump-after', 'depth']);
    expect(d.out).toMatch(/ {2}d1 %\d+ = matmul_sx/);
    const bad = await cli(['compile', 'test/exec/programs/layer.cpl', '--dump-after', 'inline']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown pass 'inline' \(passes: fold, fuse, dce, depth, merge, hegroup, otbatch\)/);
  }, 60_000);
});
