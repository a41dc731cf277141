// npm run bench -- demo [--reps N]
// `cipherprune demo` as a user runs it: a new process each time, start-up included. Wall and
// CPU time (median of N runs, default 3; the target is under 2 minutes on a 2-core machine),
// beside the breakdown of the run's bytes and rounds by stage (embeddings, each layer, the rest)
// and by op, from the op table for the sizes the default sentence reveals.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { interpret } from '../../src/interp/interpret.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { DEMO_TEXT } from '../../src/cli/demo.ts';
import { bundledModel, loadBert, runnable } from '../../src/model/load.ts';
import { textInputs } from '../../src/model/text-inputs.ts';
import { median, report } from '../lib.ts';

const { values } = parseArgs({ options: { reps: { type: 'string' } } });
const reps = Number(values.reps ?? 3);

/** One `cipherprune demo` process, timed by bash (real, user and system seconds). */
function demoOnce(): Promise<{ wall: number; cpu: number; out: string }> {
  return new Promise((resolve, reject) => {
    const cmd = `TIMEFORMAT='%R %U %S'; time "${process.execPath}" --disable-warning=ExperimentalWarning bin/cipherprune.mjs demo --no-progress`;
    const child = spawn('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const t = /([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(err);
      if (code !== 0 || !t) return reject(new Error(`demo exited ${code}: ${err}`));
      resolve({ wall: Number(t[1]), cpu: Number(t[2]) + Number(t[3]), out });
    });
  });
}

const runs = [];
for (let i = 0; i < reps; i++) {
  const r = await demoOnce();
  runs.push(r);
  process.stderr.write(`demo run ${i + 1}/${reps}: ${r.wall.toFixed(1)} s wall, ${r.cpu.toFixed(1)} s CPU\n`);
}

// The breakdown: the program the demo runs, sizes from the plaintext run of the same sentence.
const dir = bundledModel('bert-sentiment');
const { model: m } = runnable((model) => loadBert(dir, model), 'bert_cipherprune', 'bert_dense');
const t = textInputs(m.program, m.tokenizer, DEMO_TEXT);
// The schedule the demo runs (merged), not predictCost's unmerged one (same bytes per op, more rounds).
const cost = predictSchedule(buildSchedule(m.program), interpret(m.program, { ...m.serverInputs, ...t.inputs }, 'fixed').dims);
const byOp: Record<string, { bytes: number; rounds: number }> = {};
const byStage: Record<string, { bytes: number; rounds: number }> = {};
for (const o of cost.ops) {
  const op = m.program.ops[o.id];
  const layer = op.where.loops.find((l) => l.startsWith('l='));
  const stage = layer ? `layer ${Number(layer.slice(2)) + 1}` : op.where.stack.some((f) => f.endsWith('embeddings')) ? 'embeddings (word lookup)' : 'pooler and classifier';
  for (const [table, key] of [[byOp, o.op], [byStage, stage]] as const) {
    table[key] ??= { bytes: 0, rounds: 0 };
    table[key].bytes += o.bytesC2S + o.bytesS2C;
    table[key].rounds += Math.max(o.rounds.client, o.rounds.server);
  }
}
report('demo', {
  model: m.program.model,
  config: m.program.config,
  text: DEMO_TEXT,
  reps,
  wallSeconds: runs.map((r) => r.wall),
  cpuSeconds: runs.map((r) => r.cpu),
  medianWallSeconds: median(runs.map((r) => r.wall)),
  medianCpuSeconds: median(runs.map((r) => r.cpu)),
  targetSeconds: 120,
  predicted: { bytesC2S: cost.bytesC2S, bytesS2C: cost.bytesS2C, rounds: cost.rounds },
  bytesByStage: byStage,
  bytesByOp: Object.fromEntries(Object.entries(byOp).sort((a, b) => b[1].bytes - a[1].bytes)),
  output: runs[0].out,
});
