// cipherprune run PROG: both parties in one process (in memory, or over a simulated link).
import { predictCost } from '../opt/cost.ts';
import { makeCostParams } from '../ir/ops/table.ts';
import { runBoth } from '../exec/run-both.ts';
import { parse, UsageError, type Io } from './args.ts';
import { gatherInputs } from './inputs.ts';
import { channelsFor } from './network.ts';
import { compileProgram, otBackendOf, programHelp, programOptions } from './program.ts';
import { buildReport, costSummary, printOutputs, progress, progressWanted, writeReport } from './report.ts';

export const runHelp = `usage: cipherprune run [options] PROGRAM.cpl

Run a model with both parties in this process: the client and the server each execute the
program with their own inputs and exchange messages, as they would over a network. Prints
each party's outputs and what crossed the wire (bytes each way, rounds, time).

options:
  --inputs FILE        JSON object: input name -> numbers (nested or flat arrays, row-major);
                       holds both parties' inputs
  --random-inputs N    deterministic random inputs from seed N (to try a program)
${programHelp}
  --network NET        simulate a link: lan (3 Gbit/s, 0.8 ms round trip), wan (200 Mbit/s,
                       40 ms) or MBITS,MS (e.g. 1000,10); prints the simulated time
  --report FILE        write a JSON report: outputs, totals, per-op bytes and rounds
                       (measured and predicted), revealed sizes
  --progress / --no-progress   progress line on stderr (default: on a terminal)
  -h, --help           show this help

exit status: 0 ok, 1 program error (bad program, inputs or an unsupported op), 2 usage,
70 internal error. See docs/runtime.md for the exit codes of two-process runs.
example:
  cipherprune run test/exec/programs/he.cpl --random-inputs 1 --network wan`;

export async function runRun(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...programOptions,
    inputs: { type: 'string' },
    'random-inputs': { type: 'string' },
    network: { type: 'string' },
    report: { type: 'string' },
    progress: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
  });
  if (values.help) return io.out(runHelp + '\n'), 0;
  if (positionals.length !== 1) throw new UsageError('run: give exactly one program file');
  const file = positionals[0];
  const channels = channelsFor(values.network);
  const ot = otBackendOf(values);
  const p = compileProgram(file, values, io);
  const inputs = gatherInputs(p, values);
  const bar = progress(io, progressWanted(values, io));
  let run;
  try {
    run = await runBoth(p, inputs, channels.pair, { onProgress: bar.update, ot });
  } finally {
    bar.done();
  }
  const predicted = predictCost(p, run.client.dims, makeCostParams({ ot }));
  printOutputs(p, [...run.client.outputs, ...run.server.outputs], io);
  const revealed = Object.entries(run.client.revealed);
  if (revealed.length) io.out(`revealed sizes: ${revealed.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
  const summary = {
    bytesC2S: run.totals.client.bytesSent,
    bytesS2C: run.totals.server.bytesSent,
    rounds: Math.max(run.totals.client.rounds, run.totals.server.rounds),
    seconds: run.seconds,
    simulatedSeconds: channels.elapsed(),
    network: channels.profile?.name,
  };
  io.out(costSummary(summary, predicted) + '\n');
  if (values.report) {
    writeReport(values.report, buildReport(p, file, 'both', { client: run.client, server: run.server }, { seconds: run.seconds, simulatedSeconds: summary.simulatedSeconds, network: summary.network, totals: run.totals, predicted }));
    io.out(`report written to ${values.report}\n`);
  }
  return 0;
}
