// cipherprune serve / connect: the two parties in two processes (or hosts) over ws.
import { execute } from '../exec/executor.ts';
import { hashProgram, hex } from '../transport/frame.ts';
import { connect } from '../transport/ws-channel.ts';
import { listen } from '../transport/ws-server.ts';
import { exitCodeFor } from '../transport/errors.ts';
import type { Party } from '../transport/channel.ts';
import { parse, UsageError, type Io } from './args.ts';
import { gatherInputs } from './inputs.ts';
import { compileProgram, otBackendOf, programHelp, programOptions, programText } from './program.ts';
import { buildReport, costSummary, printOutputs, progress, progressWanted, writeReport } from './report.ts';

const common = `  --inputs FILE        JSON object with this party's inputs only (name -> numbers)
  --random-inputs N    deterministic random inputs from seed N (this party's part)
${programHelp}
  --report FILE        write a JSON report of the session (per-op bytes and rounds)
  -h, --help           show this help

Both parties must compile the same program with the same config and --ot: they compare a hash
of the compiled program and OT backend when they connect and stop with exit status 6 if it differs.
exit status: 0 ok, 1 program error, 2 usage, 3 peer closed or died, 4 peer silent or
connection timed out, 5 protocol violation (malformed or oversized frame, version
mismatch), 6 different programs, 70 internal error (docs/runtime.md).`;

export const serveHelp = `usage: cipherprune serve [options] PROGRAM.cpl --listen HOST:PORT

Run the server's side of a model for every client that connects (each connection is one
independent session; a failing session does not stop the others). Prints each session's
result summary.

options:
  --listen HOST:PORT   where to listen (default 127.0.0.1:7878; port 0 picks a free one)
  --once               serve one session, then exit with its status
${common}`;

export const connectHelp = `usage: cipherprune connect [options] PROGRAM.cpl --to HOST:PORT

Run the client's side of a model against a server started with \`cipherprune serve\`, and
print the client's outputs.

options:
  --to HOST:PORT       the server (default 127.0.0.1:7878)
  --progress / --no-progress   progress line on stderr (default: on a terminal)
${common}`;

const twoPartyOptions = {
  ...programOptions,
  inputs: { type: 'string' },
  'random-inputs': { type: 'string' },
  report: { type: 'string' },
} as const;

function hostPort(s: string, flag: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(s);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`${flag} expects HOST:PORT, got '${s}'`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

/** Compile the program and take this party's inputs; the hash both sides compare at connect
 * covers the OT backend too (the parties must agree on it). */
function prepareParty(file: string, values: Parameters<typeof compileProgram>[1] & Parameters<typeof gatherInputs>[1] & { ot?: string }, party: Party, io: Io) {
  const p = compileProgram(file, values, io);
  const ot = otBackendOf(values);
  return { p, ot, inputs: gatherInputs(p, values, party), programHash: hashProgram(`${programText(p)}\not ${ot}\n`) };
}

export async function runServe(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { ...twoPartyOptions, listen: { type: 'string' }, once: { type: 'boolean' } });
  if (values.help) return io.out(serveHelp + '\n'), 0;
  if (positionals.length !== 1) throw new UsageError('serve: give exactly one program file');
  const file = positionals[0];
  const { host, port } = hostPort(values.listen ?? '127.0.0.1:7878', '--listen');
  const { p, ot, inputs, programHash } = prepareParty(file, values, 'server', io);
  let sessions = 0;
  let finish!: (code: number) => void;
  const done = new Promise<number>((r) => (finish = r));
  const srv = await listen({
    host,
    port,
    programHash,
    onSession: async (ch) => {
      const id = ++sessions;
      const t0 = performance.now();
      try {
        const res = await execute(p, { party: 'server', ch, inputs, ot });
        const seconds = (performance.now() - t0) / 1000;
        io.out(`session ${id}: done\n`);
        printOutputs(p, res.outputs, io);
        io.out(costSummary({ bytesC2S: ch.totals.bytesRecv, bytesS2C: ch.totals.bytesSent, rounds: ch.totals.rounds, seconds }) + '\n');
        if (values.report) writeReport(values.report, buildReport(p, file, 'server', { server: res }, { seconds, totals: { server: { ...ch.totals } } }));
        ch.close();
        if (values.once) finish(0);
      } catch (e) {
        io.err(`session ${id} failed: ${(e as Error).message}\n`);
        if (values.once) finish(exitCodeFor(e));
      }
    },
    onError: (e) => {
      io.err(`connection rejected: ${e.message}\n`);
      if (values.once) finish(exitCodeFor(e));
    },
  });
  io.out(`serving ${p.model} (${file}) on ${srv.url} — program hash ${hex(programHash).slice(0, 16)}…${values.once ? '' : '; stop with Ctrl-C'}\n`);
  const stop = () => finish(0);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await done;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  await srv.close();
  return code;
}

export async function runConnect(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { ...twoPartyOptions, to: { type: 'string' }, progress: { type: 'boolean' }, 'no-progress': { type: 'boolean' } });
  if (values.help) return io.out(connectHelp + '\n'), 0;
  if (positionals.length !== 1) throw new UsageError('connect: give exactly one program file');
  const file = positionals[0];
  const { host, port } = hostPort(values.to ?? '127.0.0.1:7878', '--to');
  const { p, ot, inputs, programHash } = prepareParty(file, values, 'client', io);
  const ch = await connect(`ws://${host.includes(':') ? `[${host}]` : host}:${port}`, { programHash });
  const bar = progress(io, progressWanted(values, io));
  const t0 = performance.now();
  try {
    const res = await execute(p, { party: 'client', ch, inputs, onProgress: bar.update, ot });
    bar.done();
    const seconds = (performance.now() - t0) / 1000;
    printOutputs(p, res.outputs, io);
    const revealed = Object.entries(res.revealed);
    if (revealed.length) io.out(`revealed sizes: ${revealed.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    io.out(costSummary({ bytesC2S: ch.totals.bytesSent, bytesS2C: ch.totals.bytesRecv, rounds: ch.totals.rounds, seconds }) + '\n');
    if (values.report) writeReport(values.report, buildReport(p, file, 'client', { client: res }, { seconds, totals: { client: { ...ch.totals } } }));
    return 0;
  } finally {
    bar.done();
    ch.close();
  }
}
