// The functions as CPL programs run them: compiled from bench/nonlinear/programs/*.cpl and
// executed by both parties (in memory, real OT and HE engines). Bytes exclude the final output
// op, so they are the function's own cost per element.
import { check } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import { randomInputs } from '../../src/cli/inputs.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { DimEnv } from '../../src/ir/dim-env.ts';
import { size } from '../../src/ir/tensor.ts';
import { median } from '../lib.ts';

export interface CplRow {
  op: string;
  program: string;
  elements: number;
  bytesPerElement: number;
  bytesPerElementC2S: number;
  bytesPerElementS2C: number;
  rounds: number;
  elementsPerSecond: number;
  boltBytesPerElement: number | null;
  ratioToBolt: number | null;
}

async function measure(program: string, reps: number) {
  const r = check([{ path: program }]);
  const p = lowerModel(r, r.models[0]);
  const inputs = randomInputs(p, 1);
  const n = size(new DimEnv().shape(p.ops[p.outputs[0].id].type.shape));
  const secs: number[] = [];
  let c2s = 0, s2c = 0, rounds = 0;
  for (let i = 0; i < reps; i++) {
    const run = await runBoth(p, inputs, MemoryChannel.pair(), { ot: 'iknp' });
    secs.push(run.seconds);
    const out = [...run.client.scopes].filter(([id]) => p.ops[id].op === 'output').map(([, l]) => l);
    const sum = (side: 'client' | 'server') => [...run[side].byScope].filter(([l]) => !out.includes(l)).reduce((s, [, c]) => s + c.bytesSent, 0);
    c2s = sum('client');
    s2c = sum('server');
    rounds = Math.max(run.totals.client.rounds, run.totals.server.rounds) - 1; // minus the output's round
  }
  return { n, c2s, s2c, rounds, seconds: median(secs) };
}

export async function cplRows(reps: number): Promise<CplRow[]> {
  const jobs = [
    { op: 'comparison gt_ss (CPL)', program: 'bench/nonlinear/programs/compare.cpl', bolt: null },
    { op: 'GELU (CPL gelu_hi)', program: 'bench/nonlinear/programs/gelu.cpl', bolt: 4100 },
    { op: 'softmax rows of 128 (CPL nn.softmax)', program: 'bench/nonlinear/programs/softmax.cpl', bolt: 7700 },
    { op: 'softmax rows of 128 (before: recip(sum) expanded to every element)', program: 'bench/nonlinear/programs/softmax-expanded.cpl', bolt: 7700 },
    { op: 'LayerNorm rows of 768 (CPL nn.layernorm, variance in fix<44,24>)', program: 'bench/nonlinear/programs/layernorm.cpl', bolt: 6200 },
    { op: 'LayerNorm rows of 768 (before: variance in fix<32,12>)', program: 'bench/nonlinear/programs/layernorm-before.cpl', bolt: 6200 },
    { op: 'LayerNorm rows of 768 (before: gain and rsqrt(var) expanded to every element)', program: 'bench/nonlinear/programs/layernorm-expanded.cpl', bolt: 6200 },
    { op: 'attention scores, d = 64, 16 tokens (CPL nn.attention_probs, scores in fix<37,12>)', program: 'bench/nonlinear/programs/scores.cpl', bolt: null },
    { op: 'attention scores, d = 64, 16 tokens (before: fix<32,12>)', program: 'bench/nonlinear/programs/scores-before.cpl', bolt: null },
  ];
  const rows: CplRow[] = [];
  for (const j of jobs) {
    const { n, c2s, s2c, rounds, seconds } = await measure(j.program, reps);
    const per = (c2s + s2c) / n;
    const row: CplRow = {
      op: j.op,
      program: j.program,
      elements: n,
      bytesPerElement: Math.round(per * 10) / 10,
      bytesPerElementC2S: Math.round((c2s / n) * 10) / 10,
      bytesPerElementS2C: Math.round((s2c / n) * 10) / 10,
      rounds,
      elementsPerSecond: Math.round(n / seconds),
      boltBytesPerElement: j.bolt,
      ratioToBolt: j.bolt ? Math.round((per / j.bolt) * 1000) / 1000 : null,
    };
    process.stderr.write(`${j.op}: ${row.bytesPerElement} B/elt, ${row.rounds} rounds${j.bolt ? `, ${row.ratioToBolt} × BOLT (${j.bolt} B)` : ''}\n`);
    rows.push(row);
  }
  return rows;
}
