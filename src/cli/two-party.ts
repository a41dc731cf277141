// cipherprune serve / connect: the two parties in two processes (or hosts) over ws.
import { createHash } from 'node:crypto';
import type { OtBackend } from '../crypto/ot/index.ts';
import { execute } from '../exec/executor.ts';
import { hex } from '../transport/frame.ts';
import { programHash as hashOf } from '../ir/hash.ts';
import { connect, type MismatchHint } from '../transport/ws-channel.ts';
import type { IrProgram } from '../ir/ir.ts';
import { DEFAULT_MAX_SESSIONS, listen, type WsServer } from '../transport/ws-server.ts';
import { exitCodeFor } from '../transport/errors.ts';
import { ChannelError, type Party } from '../transport/channel.ts';
import { parse, UsageError, type Io } from './args.ts';
import { gatherInputs, inputOptions, inputOptionsHelp } from './inputs.ts';
import { modelConfig, printMeanings, modelHelp, modelInputs, modelOptions, readModelArgs } from './model-args.ts';
import { withCheckpointMode } from '../model/checkpoint.ts';
import { compileProgram, exactFrom, otBackendOf, programHelpFor, programOptions } from './program.ts';
import { buildReport, costSummary, printOutputs, progress, progressWanted, writeReport } from './report.ts';
import { applyHeOptions, heOptions, heOptionsHelp } from './he-options.ts';
import { closeProcessPool } from '../crypto/he/index.ts';
import { prepareServeWeights } from './serve-prepare.ts';
import { clientSecurity, connectLimitHelp, connectOptions, isLoopback, serveLimitHelp, serveOptions, serverSecurity, sessionLimits } from './session-options.ts';

/** Default budget of serve's prepared-weights cache, MiB (about a third of a BERT-base layer). */
const SERVE_CACHE_MB = 1024;

const common = (exact: string) => `  --inputs FILE        JSON object with this party's inputs only (name -> numbers)
  --random-inputs N    deterministic random inputs from seed N (this party's part)
${inputOptionsHelp}
${programHelpFor(exact)}
  --report FILE        write a JSON report of the session (per-step bytes and rounds)
${heOptionsHelp(SERVE_CACHE_MB)}
                       (the cache applies to serve)
  -h, --help           show this help

Both parties must compile the same program with the same config and --ot: they compare a hash
of the compiled program and OT backend (not of its file path) when they connect and stop with
exit status 6 if it differs. Threat model, limits and TLS: docs/serving.md.
exit status: 0 ok, 1 program error, 2 usage, 3 peer closed or died, 4 peer silent, idle or
past a deadline, 5 protocol violation (malformed or oversized message, version mismatch),
6 different programs, 7 the peer's side failed, 8 refused (server busy, wrong token,
untrusted certificate), 70 internal error (docs/runtime.md).`;

export const serveHelp = `usage: cipherprune serve [options] PROGRAM.cpl --listen HOST:PORT

Run the server's side of a model for every client that connects (each connection is one
independent session; a failing session does not stop the others). Prints each session's
result summary.

options:
  --listen HOST:PORT   where to listen (default 127.0.0.1:7878; port 0 picks a free one)
  --once               serve one session, then exit with its status
  --no-prepare         accept clients at once; by default serve first prepares its HE
                       weights (a rehearsal session with zero client inputs, progress and
                       cost on stderr) when --he-cache-mb > 0
${modelHelp.checkpoint}
${serveLimitHelp}
${common(exactFrom.checkpoint)}
example:
  cipherprune serve protocols/bert.cpl --model bert_dense --checkpoint models/bert-sentiment`;

export const connectHelp = `usage: cipherprune connect [options] PROGRAM.cpl --to HOST:PORT

Run the client's side of a model against a server started with \`cipherprune serve\`, and
print the client's outputs.

options:
  --to HOST:PORT       the server (default 127.0.0.1:7878)
${modelHelp.tokenizer}
${modelHelp.text}
  --progress / --no-progress   progress line on stderr (default: on a terminal)
${connectLimitHelp}
${common(exactFrom.connect)}
example:
  cipherprune connect protocols/bert.cpl --model bert_dense --tokenizer models/bert-sentiment --text "Loved it."`;

const twoPartyOptions = {
  ...heOptions,
  ...programOptions,
  ...inputOptions,
  report: { type: 'string' },
  ...modelOptions,
} as const;

function hostPort(s: string, flag: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(s);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`${flag} expects HOST:PORT, got '${s}'`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

/**
 * The hash both parties compare: the program's, with the OT backend mixed in (both must use the
 * same) unless it is IKNP, whose sessions keep the bare program hash they always had.
 */
function sessionHash(p: Parameters<typeof hashOf>[0], ot: OtBackend): Uint8Array {
  const h = hashOf(p);
  return ot === 'iknp' ? h : new Uint8Array(createHash('sha256').update(h).update(`ot ${ot}`).digest());
}

/** Where a server's exact mode comes from, as `--help` says it (program.ts exactFrom). */
const EXACT_FROM = '--exact, or a checkpoint whose thresholds.json says "exact": true';

/**
 * What each side is told when the peer runs this very program in the other mode (exact or
 * default, part of the program hash): the mode of each side and what to change. The peer learns
 * only this side's mode, which it would learn anyway by retrying with the other setting.
 */
function modeHints(p: IrProgram, ot: OtBackend, party: Party, exactFlag: boolean): MismatchHint[] {
  const other: Party = party === 'server' ? 'client' : 'server';
  const mode = (exact: boolean) => (exact ? 'exact mode' : 'default mode');
  const exact = p.exact === true;
  const clientExact = party === 'client' ? exact : !exact;
  const toClient = clientExact ? 'leave out --exact (or the server must run in exact mode too)' : 'pass --exact';
  const toServer = clientExact ? 'the client must leave out --exact, or the server run with --exact' : 'the client must pass --exact';
  const why = exact ? ` (${exactFlag ? '--exact' : 'its checkpoint\'s thresholds.json says "exact": true'})` : '';
  return [{
    programHash: sessionHash({ ...p, exact: !exact }, ot),
    local: `the ${other} runs ${mode(!exact)}, this ${party} ${mode(exact)}${why}; ${party === 'client' ? toClient : toServer}`,
    peer: `the ${party} runs ${mode(exact)}${exact ? ` (${EXACT_FROM})` : ''}, the ${other} ${mode(!exact)}; ${party === 'client' ? toServer : toClient}`,
  }];
}

/** Compile the program and take this party's inputs; the hash both sides compare at connect
 * covers the OT backend too (the parties must agree on it). */
function prepareParty(file: string, values: Parameters<typeof compileProgram>[1] & Parameters<typeof gatherInputs>[1] & Parameters<typeof readModelArgs>[0] & { ot?: string; exact?: boolean }, party: Party, io: Io) {
  const m = readModelArgs(values, party);
  const ot = otBackendOf(values);
  const p = withCheckpointMode(compileProgram(file, values, io, modelConfig(m)), m.checkpoint);
  const inputs = gatherInputs(p, values, party, (s) => io.out(s + '\n'), modelInputs(p, m, io).inputs);
  return { p, m, ot, inputs, programHash: sessionHash(p, ot), mismatchHints: modeHints(p, ot, party, values.exact === true) };
}

/** Listen, turning "port in use" and similar into a one-line usage error (exit 2). */
async function listenOrExplain(opts: Parameters<typeof listen>[0]): Promise<WsServer> {
  try {
    return await listen(opts);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const where = `${opts.host}:${opts.port}`;
    if (code === 'EADDRINUSE') throw new UsageError(`cannot listen on ${where}: the port is already in use (choose another with --listen HOST:PORT)`, false);
    if (code === 'EACCES') throw new UsageError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges)`, false);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on ${where}: no such local address`, false);
    throw e;
  }
}

/** `stop`: ends the server like Ctrl-C does (for callers that embed it, and tests). */
export async function runServe(argv: string[], io: Io, stop?: AbortSignal): Promise<number> {
  const { values, positionals } = parse(argv, { ...twoPartyOptions, ...serveOptions, listen: { type: 'string' }, once: { type: 'boolean' }, 'no-prepare': { type: 'boolean' } });
  if (values.help) return io.out(serveHelp + '\n'), 0;
  if (positionals.length !== 1) throw new UsageError('serve: give exactly one program file');
  const file = positionals[0];
  const { host, port } = hostPort(values.listen ?? '127.0.0.1:7878', '--listen');
  applyHeOptions(values, SERVE_CACHE_MB);
  const { p, ot, inputs, programHash, mismatchHints } = prepareParty(file, values, 'server', io);
  const security = serverSecurity(values);
  const limits = sessionLimits(values, p, 'server');
  if (limits.token !== undefined && !security.tls && !isLoopback(host)) io.err(`warning: --token-file without --tls-cert: clients send the token in clear\n`);
  // Weights prepared before the first client (serve-prepare.ts), unless --no-prepare or no budget.
  if (!values['no-prepare']) await prepareServeWeights(p, inputs, ot, io);
  let sessions = 0;
  let finish!: (code: number) => void;
  const done = new Promise<number>((r) => (finish = r));
  const srv = await listenOrExplain({
    host,
    port,
    programHash,
    mismatchHints,
    ...limits,
    ...security,
    onRefused: (why) => io.err(`${why}\n`),
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
        // The executor has told the client already; this covers failures after the run.
        if (!(e instanceof ChannelError)) ch.abort("the server's side of the session failed");
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
  io.out(`limits: ${security.maxSessions ?? DEFAULT_MAX_SESSIONS} sessions at once, messages up to ${limits.maxMessageBytes} bytes${limits.token !== undefined ? ', token required' : ''}${security.tls ? ', TLS' : ''}\n`);
  // `on`, not `once`: a launcher passes on a Ctrl-C the child also received; the second must not kill us mid-shutdown.
  const end = () => finish(0);
  process.on('SIGINT', end);
  process.on('SIGTERM', end);
  process.on('SIGHUP', end);
  stop?.addEventListener('abort', end);
  const code = await done;
  await srv.close();
  await closeProcessPool();
  process.off('SIGINT', end);
  process.off('SIGTERM', end);
  process.off('SIGHUP', end);
  stop?.removeEventListener('abort', end);
  return code;
}

export async function runConnect(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { ...twoPartyOptions, ...connectOptions, to: { type: 'string' }, progress: { type: 'boolean' }, 'no-progress': { type: 'boolean' } });
  if (values.help) return io.out(connectHelp + '\n'), 0;
  if (positionals.length !== 1) throw new UsageError('connect: give exactly one program file');
  const file = positionals[0];
  const { host, port } = hostPort(values.to ?? '127.0.0.1:7878', '--to');
  applyHeOptions(values, 0);
  const { p, m, ot, inputs, programHash, mismatchHints } = prepareParty(file, values, 'client', io);
  const { tls, ca } = clientSecurity(values);
  const limits = sessionLimits(values, p, 'client');
  if (limits.token !== undefined && !tls && !isLoopback(host)) throw new UsageError(`--token-file without --tls or --ca would send the token to ${host} in clear`);
  const ch = await connect(`${tls ? 'wss' : 'ws'}://${host.includes(':') ? `[${host}]` : host}:${port}`, { programHash, mismatchHints, ...limits, ...(ca !== undefined ? { ca } : {}) });
  const bar = progress(io, progressWanted(values, io));
  const t0 = performance.now();
  try {
    const res = await execute(p, { party: 'client', ch, inputs, onProgress: bar.update, ot });
    bar.done();
    const seconds = (performance.now() - t0) / 1000;
    printOutputs(p, res.outputs, io);
    printMeanings(res.outputs, m, io);
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
