// cipherprune run PROG: both parties in one process (in memory, or over a simulated link).
import { LocalSession } from '../exec/session.ts';
import { interpret, InterpretError } from '../interp/interpret.ts';
import { buildSchedule } from '../opt/schedule.ts';
import { parse, UsageError, type Io } from './args.ts';
import { generate, generateHelp } from './generate.ts';
import { gatherInputs, inputOptions, inputOptionsHelp } from './inputs.ts';
import { modelConfig, printMeanings, modelHelp, modelInputs, modelOptions, readModelArgs } from './model-args.ts';
import { withCheckpointMode } from '../model/checkpoint.ts';
import { channelsFor } from './network.ts';
import { applyHeOptions, heOptions, heOptionsHelp } from './he-options.ts';
import { compileProgram, exactFrom, otBackendOf, programHelpFor, programOptions } from './program.ts';
import { buildReport, costSummary, printOutputs, progress, progressWanted, writeReport } from './report.ts';

export const runHelp = `usage: cipherprune run [options] PROGRAM.cpl

Run a model with both parties in this process: the client and the server each execute the
program with their own inputs and exchange messages, as they would over a network. Prints
each party's outputs and what crossed the wire (bytes each way, rounds, time).

options:
  --inputs FILE        JSON object: input name -> numbers (nested or flat arrays, row-major);
                       holds both parties' inputs
  --random-inputs N    deterministic random inputs from seed N (to try a program)
${modelHelp.checkpoint}
${modelHelp.tokenizer}
${modelHelp.text}
${generateHelp}
${inputOptionsHelp}
${programHelpFor(exactFrom.checkpoint)}
  --network NET        simulate a link: lan (3 Gbit/s, 0.8 ms round trip), wan (200 Mbit/s,
                       40 ms) or MBITS,MS (e.g. 1000,10); prints the simulated time
  --report FILE        write a JSON report: outputs, totals, per-step bytes and rounds
                       (measured and predicted), revealed sizes (cipherprune inspect --report
                       shows it beside the prediction)
  --no-merge           run the sequential schedule (every op on its own), for comparison
  --no-precheck        skip the range check: by default the fixed-point reference runs
                       first on all inputs (both parties' are here) and a value outside an
                       op's safe range stops the run before anything is sent
                       (docs/execution.md, "What is checked")
  --progress / --no-progress   progress line on stderr (default: on a terminal)
${heOptionsHelp(0)}
  -h, --help           show this help

exit status: 0 ok, 1 program error (bad program, inputs or an unsupported op), 2 usage,
70 internal error. See docs/runtime.md for the exit codes of two-process runs.
examples:
  cipherprune run protocols/bert.cpl --model bert_dense --checkpoint models/bert-sentiment --text "Loved it."
  cipherprune run protocols/gpt2.cpl --model gpt2_dense --checkpoint models/gpt2-reviews --text "The food was" --generate 3
  cipherprune run test/exec/programs/he.cpl --random-inputs 1 --network wan`;

export async function runRun(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...programOptions,
    ...inputOptions,
    network: { type: 'string' },
    report: { type: 'string' },
    progress: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
    ...modelOptions,
    generate: { type: 'string' },
    'no-merge': { type: 'boolean' },
    'no-precheck': { type: 'boolean' },
    ...heOptions,
  });
  if (values.help) return io.out(runHelp + '\n'), 0;
  if (positionals.length !== 1) throw new UsageError('run: give exactly one program file');
  const file = positionals[0];
  applyHeOptions(values, 0);
  const channels = channelsFor(values.network);
  const ot = otBackendOf(values);
  const m = readModelArgs(values, 'both');
  const p = withCheckpointMode(compileProgram(file, values, io, modelConfig(m)), m.checkpoint);
  const fromModel = modelInputs(p, m, io);
  const inputs = gatherInputs(p, values, undefined, (s) => io.out(s + '\n'), fromModel.inputs);
  const check = values['no-precheck'] ? () => {} : (i: typeof inputs) => precheck(p, i);
  if (values.generate !== undefined) return generate(p, inputs, m, fromModel.text, values.generate, channels, progressWanted(values, io), io, check, ot);
  check(inputs);
  const bar = progress(io, progressWanted(values, io));
  const session = new LocalSession(channels.pair, { ot });
  let run;
  try {
    run = await session.run(p, inputs, { onProgress: bar.update, schedule: buildSchedule(p, { merge: !values['no-merge'] }) });
  } finally {
    bar.done();
    await session.close();
  }
  const predicted = run.predicted;
  printOutputs(p, [...run.client.outputs, ...run.server.outputs], io);
  printMeanings(run.client.outputs, m, io);
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

/**
 * Run the fixed-point reference on all inputs before the secure run: the secure protocols
 * cannot see the values they work on, so an input outside an op's safe range would give a wrong
 * result there; here it is an error naming the op, its source line and the value.
 */
export function precheck(p: Parameters<typeof interpret>[0], inputs: Parameters<typeof interpret>[1]): void {
  try {
    interpret(p, inputs, 'fixed');
  } catch (e) {
    if (!(e instanceof InterpretError)) throw e;
    const err = new InterpretError(`${e.message}\nThe fixed-point reference found this before anything was sent (skip the check with --no-precheck; see docs/execution.md).`);
    err.range = e.range;
    throw err;
  }
}
