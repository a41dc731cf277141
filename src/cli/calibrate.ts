// cipherprune calibrate PROG: the fixed-point reference on sample inputs, every op's largest
// value against its safe range, the ops at risk and encodings that hold what was seen.
import { calibrate, type CalibrationReport, type RangeSummary } from '../interp/calibrate.ts';
import type { InputValues } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import { fmt, showRange } from '../crypto/ranges.ts';
import { parse, UsageError, type Io } from './args.ts';
import { bertLikeInputs, randomInputs, readSamples } from './inputs.ts';
import { compileProgram, programHelp, programOptions } from './program.ts';

export const calibrateHelp = `usage: cipherprune calibrate [options] PROGRAM.cpl

Run the fixed-point reference on sample inputs with every op's preconditions recorded (the
secure truncation's range, comparison and row-max ranges, exp's domain, recip/rsqrt inputs,
overflow of fixed-point sums) and report each op's largest value against its safe range
(headroom in bits), the ops at risk, and an encoding that holds what was seen. Also measures
the fixed-point error against float64 on the same inputs. A secure run cannot see its values:
a server runs this on its own weights before it serves a model (docs/execution.md).

options:
  --inputs FILE        a JSON object (input name -> numbers), or an array of them: one sample
                       each (repeatable); combined with --random-inputs, a file's values
                       replace the random ones in every sample (e.g. the server's weights)
  --random-inputs N    N random samples (seeds 1..N; with --seed S, S..S+N-1)
  --seed S             first seed for --random-inputs (default 1)
  --init uniform|bert  random inputs: uniform in [-0.25, 0.25] (as run --random-inputs), or
                       like a freshly initialised BERT/GPT-2 (weights N(0, 0.02), LayerNorm
                       gains 1, biases 0; recognised by the inputs' checkpoint sources)
  --risk BITS          report ranges with less headroom than this (default 1)
  --all                list every checked range (default: the 25 with the least headroom)
  --no-float           skip the float64 comparison
  --json               print the full report as JSON
${programHelp}
  -h, --help           show this help

exit status: 0 every range holds, 1 some range is left (or a program error), 2 usage.
example:
  cipherprune calibrate protocols/bert.cpl -m bert_dense --random-inputs 3 --init bert`;

export async function runCalibrate(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...programOptions,
    inputs: { type: 'string', multiple: true },
    'random-inputs': { type: 'string' },
    seed: { type: 'string' },
    init: { type: 'string' },
    risk: { type: 'string' },
    all: { type: 'boolean' },
    'no-float': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) return io.out(calibrateHelp + '\n'), 0;
  if (positionals.length !== 1) throw new UsageError('calibrate: give exactly one program file');
  const int = (flag: string, v: string | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) throw new UsageError(`${flag} expects a non-negative integer, got '${v}'`);
    return x;
  };
  const init = values.init ?? 'uniform';
  if (init !== 'uniform' && init !== 'bert') throw new UsageError(`--init must be uniform or bert, got '${init}'`);
  const risk = values.risk === undefined ? 1 : Number(values.risk);
  if (!Number.isFinite(risk)) throw new UsageError(`--risk expects a number of bits, got '${values.risk}'`);
  const p = compileProgram(positionals[0], values, io);
  const samples = gatherSamples(p, values.inputs ?? [], int('--random-inputs', values['random-inputs'], 0), int('--seed', values.seed, 1), init);
  const report = calibrate(p, samples, { riskBits: risk, float: !values['no-float'] });
  if (values.json) io.out(JSON.stringify(report, null, 2) + '\n');
  else io.out(formatReport(report, positionals[0], values.all ? Infinity : 25));
  return report.ranges.some((r) => r.bad > 0) ? 1 : 0;
}

/** Samples: one per file object (or array element), or N random ones with the files' values on top. */
function gatherSamples(p: IrProgram, files: string[], n: number, seed: number, init: 'uniform' | 'bert'): InputValues[] {
  const fromFiles = files.flatMap((f) => readSamples(f));
  for (const s of fromFiles) {
    for (const name of Object.keys(s)) {
      if (!p.inputs.some((i) => i.name === name)) throw new UsageError(`--inputs names '${name}', which the program does not declare (inputs: ${p.inputs.map((i) => i.name).join(', ')})`);
    }
  }
  if (n === 0) {
    if (fromFiles.length === 0) throw new UsageError('give sample inputs with --inputs FILE and/or --random-inputs N');
    return fromFiles;
  }
  const overlay = Object.assign({}, ...fromFiles) as InputValues;
  return Array.from({ length: n }, (_, k) => ({ ...(init === 'bert' ? bertLikeInputs(p, seed + k) : randomInputs(p, seed + k)), ...overlay }));
}

const bits = (h: number): string => (h === Infinity ? '∞' : h === -Infinity ? 'out' : `${h >= 0 ? ' ' : ''}${h.toFixed(1)}`);

function row(r: RangeSummary): string {
  const where = `${r.where}${r.worstAt ? ` ${r.worstAt}` : ''}`;
  const seen = `[${fmt(r.min)}, ${fmt(r.max)}]`;
  return `  ${r.op.padEnd(10)} ${where.padEnd(30)} ${bits(r.headroomBits).padStart(5)}  ${seen.padEnd(24)} ${showRange(r).padEnd(22)} ${r.enc.padEnd(12)} ${r.what}${r.bad ? `  (${r.bad} of ${r.count} outside)` : ''}`;
}

export function formatReport(r: CalibrationReport, file: string, limit: number): string {
  const lines = [`calibrate ${file} (model ${r.model}): ${r.samples} sample${r.samples === 1 ? '' : 's'}, ${r.ranges.length} checked ranges`];
  lines.push('', `  ${'op'.padEnd(10)} ${'where (least headroom at)'.padEnd(30)} ${'bits'.padStart(5)}  ${'seen'.padEnd(24)} ${'safe range'.padEnd(22)} ${'encoding'.padEnd(12)} quantity`);
  for (const x of r.ranges.slice(0, limit)) lines.push(row(x));
  if (r.ranges.length > limit) lines.push(`  ... ${r.ranges.length - limit} more with more headroom (--all lists them)`);
  lines.push('');
  if (r.atRisk.length === 0) lines.push('at risk: none');
  else {
    lines.push(`at risk (${r.atRisk.length}):`);
    for (const x of r.atRisk) lines.push(`  ${x.where} ${x.op}${x.stack.length ? ` (in ${x.stack.join(' > ')})` : ''}: ${x.what} reaches ${fmt(Math.abs(x.max) > Math.abs(x.min) ? x.max : x.min)}, safe ${showRange(x)} of ${x.enc}${x.suggestion ? `\n      suggestion: ${x.suggestion}` : ''}`);
  }
  if (r.outputs.length) {
    lines.push('', 'fixed point against float64 on the same inputs:');
    for (const o of r.outputs) lines.push(`  output ${o.where}: max |fixed − float64| = ${fmt(o.maxErr)} (values up to ${fmt(o.maxAbs)})`);
  }
  return lines.join('\n') + '\n';
}
