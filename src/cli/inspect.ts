// cipherprune inspect PROG: the schedule a run would follow, with predicted bytes, rounds and time
// per round, step, layer and primitive; with --report, beside what a run measured.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Party } from '../transport/channel.ts';
import { parseNetwork, type NetworkProfile } from '../transport/sim-channel.ts';
import { DimEnv } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import { predictSchedule } from '../opt/cost.ts';
import { makeCostParams } from '../ir/ops/table.ts';
import { buildSchedule } from '../opt/schedule.ts';
import type { ComputeModel } from '../opt/time.ts';
import { inspect, type MeasuredRun } from '../inspect/inspection.ts';
import { formatInspection } from '../inspect/text.ts';
import { inspectionHtml } from '../inspect/html.ts';
import { parse, UsageError, type Io } from './args.ts';
import { compileProgram, otBackendOf, programHelp, programOptions } from './program.ts';
import type { ReportData } from './report.ts';
import { assumedSizes, sizeOptions, sizesHelp, withSizes } from './sizes.ts';

export const inspectHelp = `usage: cipherprune inspect [options] PROGRAM.cpl

The schedule of a model before (or after) running it: per round, the messages each way with
their bytes, step, primitive and layer; breakdowns by layer and by primitive; the critical path;
totals beside the other schedule (merged vs unmerged); predicted time on a network. Works for
shapes too big to run here (give the kept counts of pruned models with --kept).

options:
  --format table|json|html   output form (default table); html is one self-contained page
  --out FILE           write there instead of stdout
  --network NET        predict time on lan (3 Gbit/s, 0.8 ms round trip), wan (200 Mbit/s,
                       40 ms) or MBITS,MS
  --compute MODE       none (default: network time only), calibrate (a short benchmark on this
                       machine, a few seconds) or FILE (a model saved with --save-compute)
  --save-compute FILE  write the calibrated compute model as JSON
  --report RUN.json    compare with a run (cipherprune run --report): config, revealed sizes,
                       schedule and mode (exact or default) from the run; measured bytes and
                       rounds per step. Reports without a recorded mode take --exact
  --no-merge           inspect the sequential schedule
  --no-rounds          leave out the per-round table (table format)
${sizesHelp}
${programHelp}
  -h, --help           show this help
example:
  cipherprune inspect protocols/bert.cpl -m bert_cipherprune --config bert-base \\
    --kept 128,55,54,52,49,45,24,14,5,2,1,1 --network wan`;

function readReport(file: string): ReportData {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as ReportData;
    if (!r || typeof r !== 'object' || !Array.isArray(r.steps) || !r.totals) throw new Error('not a run report (no steps or totals)');
    return r;
  } catch (e) {
    throw new UsageError(`--report ${file}: ${(e as Error).message}`);
  }
}

/** The run's mode: the report's (a contradicting --exact is an error), else --exact (older reports). */
function reportMode(r: ReportData, values: { report?: string; exact?: boolean }): boolean {
  if (r.exact === undefined) return values.exact === true;
  if (values.exact && !r.exact) throw new UsageError(`--exact: the run in ${values.report} ran in default mode (its report says "exact": false); leave out --exact`);
  return r.exact;
}

function measuredFrom(r: ReportData): MeasuredRun {
  const scopes: MeasuredRun['scopes'] = {};
  for (const s of r.steps) {
    scopes[s.label] = {};
    for (const side of ['client', 'server'] as Party[]) {
      const c = s.measured[side];
      if (c) scopes[s.label][side] = { bytesSent: c.bytesSent, rounds: c.rounds };
    }
  }
  const t = r.totals;
  return {
    totals: { bytesC2S: t.client?.bytesSent ?? t.server?.bytesRecv ?? 0, bytesS2C: t.server?.bytesSent ?? t.client?.bytesRecv ?? 0, rounds: Math.max(t.client?.rounds ?? 0, t.server?.rounds ?? 0) },
    scopes,
    simulatedSeconds: r.simulatedSeconds,
    network: r.network,
    seconds: r.seconds,
  };
}

/** The run's network profile, when its name is one parseNetwork knows (lan, wan). */
function reportNetwork(name: string | undefined): NetworkProfile | undefined {
  try {
    return name ? parseNetwork(name) : undefined;
  } catch {
    return undefined;
  }
}

function computeModel(mode: string | undefined): Promise<ComputeModel | undefined> | ComputeModel | undefined {
  if (!mode || mode === 'none') return undefined;
  // The benchmark runs the executor and HE: loaded only when asked for.
  if (mode === 'calibrate') return import('../exec/calibrate.ts').then((m) => m.calibrateCompute());
  try {
    const m = JSON.parse(readFileSync(mode, 'utf8')) as ComputeModel;
    if (typeof m.perStep !== 'number' || !m.perByte || !m.setup) throw new Error('not a compute model (perByte, perStep, setup)');
    return m;
  } catch (e) {
    throw new UsageError(`--compute ${mode}: expected none, calibrate or a saved model file: ${(e as Error).message}`);
  }
}

export async function runInspect(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...programOptions,
    ...sizeOptions,
    format: { type: 'string' },
    out: { type: 'string' },
    network: { type: 'string' },
    compute: { type: 'string' },
    'save-compute': { type: 'string' },
    report: { type: 'string' },
    'no-merge': { type: 'boolean' },
    'no-rounds': { type: 'boolean' },
  });
  if (values.help) return io.out(inspectHelp + '\n'), 0;
  if (positionals.length !== 1) throw new UsageError('inspect: give exactly one program file');
  const format = values.format ?? 'table';
  if (!['table', 'json', 'html'].includes(format)) throw new UsageError(`--format must be table, json or html, got '${format}'`);
  let network: NetworkProfile | undefined;
  if (values.network) {
    try {
      network = parseNetwork(values.network);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const report = values.report ? readReport(values.report) : undefined;
  if (report && (values.config || values['config-file'] || values.tokens || values.kept || values.assume)) {
    throw new UsageError('--report: the config and revealed sizes come from the run; leave out --config, --tokens, --kept and --assume');
  }
  const file = positionals[0];
  const p: IrProgram = compileProgram(file, report ? { model: report.model ?? values.model, config: Object.entries(report.config).map(([k, v]) => `${k}=${v}`), exact: reportMode(report, values) } : values, io);
  let dims: DimEnv;
  if (report) {
    dims = new DimEnv();
    for (const r of p.runtimeDims) {
      const v = report.revealed[r.symbol.name];
      if (v !== undefined) dims.values.set(r.symbol, v);
    }
  } else dims = assumedSizes(p, values);
  const merge = report ? report.merged : !values['no-merge'];
  const compute = await computeModel(values.compute);
  if (values['save-compute']) {
    if (!compute) throw new UsageError('--save-compute needs --compute calibrate');
    writeFileSync(values['save-compute'], JSON.stringify(compute, null, 2) + '\n');
  }
  const ot = otBackendOf(values);
  const s = buildSchedule(p, { merge });
  const other = buildSchedule(p, { merge: !merge });
  const x = inspect({
    file,
    schedule: s,
    cost: withSizes(p, dims, 'inspect', () => predictSchedule(s, dims, makeCostParams({ ot }))),
    other: predictSchedule(other, dims, makeCostParams({ ot })),
    sizes: Object.fromEntries(p.runtimeDims.filter((r) => dims.values.has(r.symbol)).map((r) => [r.symbol.name, dims.values.get(r.symbol)!])),
    network: network ?? reportNetwork(report?.network),
    compute,
    measured: report && measuredFrom(report),
  });
  const text = format === 'json' ? JSON.stringify(x, null, 1) + '\n' : format === 'html' ? inspectionHtml(x) : formatInspection(x, { perRound: !values['no-rounds'] });
  if (values.out) {
    writeFileSync(values.out, text);
    io.out(`written to ${values.out}\n`);
  } else io.out(text);
  return 0;
}
