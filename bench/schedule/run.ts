// npm run bench -- schedule [--quick]
// The schedule's figures (docs/schedule.md), JSON in bench/out/schedule.json:
// - predicted bytes, rounds and network time (LAN, WAN) of BERT-base, BERT-large (128 and 512
//   tokens) and GPT-2, dense and CipherPrune with the published kept counts, merged and unmerged;
// - the comparison's round/byte trade (tree levels 2 vs 3) per primitive and on BERT-base;
// - `cipherprune inspect` wall time for BERT-base/large at 128 and 512 tokens, beside
//   `cipherprune --version` (process start-up) measured in the same run;
// - tiny models over the simulated link: predicted vs simulated time on LAN and WAN, network only
//   (compute: 'none') and with compute (calibrated here, against the link's wall-time charge).
import { execFileSync } from 'node:child_process';
import { check } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import { DimEnv } from '../../src/ir/dim-env.ts';
import { COMPARISON, NONLINEAR_PRIMS } from '../../src/crypto/nonlinear/index.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { predictTime } from '../../src/opt/time.ts';
import { calibrateCompute } from '../../src/exec/calibrate.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { randomInputs } from '../../src/cli/inputs.ts';
import { PRESETS, PUBLISHED_KEPT } from '../../src/cli/presets.ts';
import { NETWORKS, SimChannel } from '../../src/transport/sim-channel.ts';
import { median, report } from '../lib.ts';

const quick = process.argv.includes('--quick');

function compile(file: string, model: string, config: Record<string, number>): IrProgram {
  const r = check([{ path: file }]);
  const m = r.models.find((x) => x.name === model)!;
  const declared = new Set([...r.typing.configSizes.keys()].map((s) => s.name));
  return lowerModel(r, m, { config: Object.fromEntries(Object.entries(config).filter(([k]) => declared.has(k))) });
}

/** kept counts as `--kept` binds them: k@l=i = N(i+1) (the last layer keeps its count), kh = ⌈k/2⌉. */
function keptDims(p: IrProgram, kept: readonly number[]): DimEnv {
  const dims = new DimEnv();
  const ks = p.runtimeDims.filter((r) => r.symbol.name.startsWith('k@'));
  const hs = p.runtimeDims.filter((r) => r.symbol.name.startsWith('kh@'));
  ks.forEach((r, i) => dims.values.set(r.symbol, kept[Math.min(i + 1, kept.length - 1)]));
  hs.forEach((r, i) => dims.values.set(r.symbol, Math.ceil(kept[Math.min(i + 1, kept.length - 1)] / 2)));
  return dims;
}

function predicted(p: IrProgram, dims: DimEnv) {
  const out: Record<string, unknown> = {};
  for (const merge of [true, false]) {
    const s = buildSchedule(p, { merge }), c = predictSchedule(s, dims);
    out[merge ? 'merged' : 'unmerged'] = {
      rounds: c.rounds,
      bytesC2S: c.bytesC2S,
      bytesS2C: c.bytesS2C,
      lanSeconds: predictTime(s, c, NETWORKS.lan).networkSeconds,
      wanSeconds: predictTime(s, c, NETWORKS.wan).networkSeconds,
    };
  }
  return out;
}

function models() {
  const out: Record<string, unknown> = {};
  const cases: [string, string, string, string, number, readonly number[] | null][] = [
    ['bert-base dense', 'protocols/bert.cpl', 'bert_dense', 'bert-base', 128, null],
    ['bert-base cipherprune', 'protocols/bert.cpl', 'bert_cipherprune', 'bert-base', 128, PUBLISHED_KEPT['bert-base']],
    ['bert-large dense', 'protocols/bert.cpl', 'bert_dense', 'bert-large', 128, null],
    ['bert-large cipherprune', 'protocols/bert.cpl', 'bert_cipherprune', 'bert-large', 128, PUBLISHED_KEPT['bert-large']],
    ['bert-base dense, 512 tokens', 'protocols/bert.cpl', 'bert_dense', 'bert-base', 512, null],
    ['bert-large dense, 512 tokens', 'protocols/bert.cpl', 'bert_dense', 'bert-large', 512, null],
    ['gpt2 dense', 'protocols/gpt2.cpl', 'gpt2_dense', 'gpt2', 128, null],
    // No kept counts are published for GPT-2: BERT-base's schedule, for illustration only.
    ['gpt2 cipherprune (BERT-base kept counts)', 'protocols/gpt2.cpl', 'gpt2_cipherprune', 'gpt2', 128, PUBLISHED_KEPT['bert-base']],
  ];
  for (const [name, file, model, preset, tokens, kept] of cases) {
    if (quick && tokens === 512) continue;
    const p = compile(file, model, { ...PRESETS[preset], seq_len: tokens });
    out[name] = { kept, ...predicted(p, kept ? keptDims(p, kept) : new DimEnv()) };
  }
  return out;
}

/** Rounds and bytes per element of the primitives, and BERT-base, with 2 and 3 tree levels. */
function comparisonTrade() {
  const n = 4096;
  const params: Record<string, unknown> = { ell: 32, s: 12, cols: 128, c: 768 * 4096, owner: 'server' };
  const names = ['gt_ss', 'rowmax', 'gelu_hi', 'exp_hi', 'recip', 'rsqrt'];
  const out: Record<string, unknown> = {};
  for (const levels of [3, 2]) {
    COMPARISON.treeLevels = levels;
    const prims: Record<string, unknown> = {};
    for (const name of names) {
      const prim = NONLINEAR_PRIMS.find((r) => r.name === name)!;
      const c = prim.cost(n, params as never);
      prims[name] = { rounds: c.rounds, bytesPerElement: (c.bytesClientToServer + c.bytesServerToClient) / n };
    }
    const p = compile('protocols/bert.cpl', 'bert_dense', { ...PRESETS['bert-base'] });
    const pc = compile('protocols/bert.cpl', 'bert_cipherprune', { ...PRESETS['bert-base'] });
    out[`treeLevels ${levels}`] = { primitives: prims, bertBaseDense: predicted(p, new DimEnv()).merged, bertBaseCipherPrune: predicted(pc, keptDims(pc, PUBLISHED_KEPT['bert-base'])).merged };
  }
  COMPARISON.treeLevels = 2;
  return out;
}

function cli(args: string[]): number {
  const t0 = performance.now();
  execFileSync(process.execPath, ['bin/cipherprune.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  return (performance.now() - t0) / 1000;
}

/** inspect's own work in this process (compile, schedules, predictions, table): CPU and wall seconds. */
async function inspectInProcess(preset: string, tokens: number): Promise<{ cpuSeconds: number; wallSeconds: number }> {
  const { main } = await import('../../src/cli/main.ts');
  const io = { out: () => {}, err: (x: string) => process.stderr.write(x), color: false, tty: false };
  const c0 = process.cpuUsage(), t0 = performance.now();
  await main(['inspect', 'protocols/bert.cpl', '-m', 'bert_dense', '--config', preset, '--tokens', String(tokens), '--network', 'wan'], io);
  const c = process.cpuUsage(c0);
  return { cpuSeconds: (c.user + c.system) / 1e6, wallSeconds: (performance.now() - t0) / 1000 };
}

async function inspectTimes() {
  const reps = quick ? 1 : 3;
  const out: Record<string, unknown> = { loadavg: (await import('node:os')).loadavg() };
  const startup = Array.from({ length: reps }, () => cli(['--version']));
  out['cipherprune --version'] = { medianSeconds: median(startup) };
  for (const preset of ['bert-base', 'bert-large']) {
    for (const tokens of [128, 512]) {
      const runs = Array.from({ length: reps }, () => cli(['inspect', 'protocols/bert.cpl', '-m', 'bert_dense', '--config', preset, '--tokens', String(tokens), '--network', 'wan']));
      const inproc = [];
      for (let i = 0; i < reps; i++) inproc.push(await inspectInProcess(preset, tokens));
      out[`${preset} ${tokens} tokens`] = {
        medianSeconds: median(runs),
        seconds: runs,
        inProcessMedianCpuSeconds: median(inproc.map((r) => r.cpuSeconds)),
        inProcessMedianWallSeconds: median(inproc.map((r) => r.wallSeconds)),
      };
    }
  }
  return out;
}

async function simulated() {
  const compute = await calibrateCompute();
  const out: Record<string, unknown> = { compute };
  for (const [file, model] of [['protocols/bert.cpl', 'bert_dense'], ['protocols/gpt2.cpl', 'gpt2_dense']]) {
    const p = compile(file, model, {});
    const s = buildSchedule(p);
    for (const net of ['lan', 'wan'] as const) {
      const row: Record<string, unknown> = {};
      for (const mode of ['none', 'wall'] as const) {
        const pair = SimChannel.pair(NETWORKS[net], { compute: mode });
        const run = await runBoth(p, randomInputs(p, 3), pair, { schedule: s });
        const c = predictSchedule(s, run.client.dims);
        const t = predictTime(s, c, NETWORKS[net], mode === 'wall' ? compute : undefined);
        const sim = pair[0].link.elapsedSeconds;
        row[mode === 'none' ? 'networkOnly' : 'withCompute'] = { simulatedSeconds: sim, predictedSeconds: t.seconds, ratio: t.seconds / sim, wallSeconds: run.seconds };
      }
      out[`${model} ${net}`] = row;
    }
  }
  return out;
}

const results = { models: models(), comparisonTrade: comparisonTrade(), inspect: await inspectTimes(), simulated: await simulated() };
report('schedule', results);
