// The cipherprune command line: a thin layer over the library API (src/index.ts).
import { readFileSync } from 'node:fs';
import { UsageError, type Io } from './args.ts';
import { ProgramError } from './program.ts';
import { exitCodeFor, EXIT } from '../transport/errors.ts';
import { ChannelError } from '../transport/channel.ts';
import { OpError } from '../ir/ir.ts';

type Command = { help: string; run: (argv: string[], io: Io) => Promise<number> };

// Command modules load when used: `inspect` or `check` need not load the executor and HE.
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  demo: { summary: 'label a sentence with the bundled classifier and CipherPrune, both parties here', load: async () => import('./demo.ts').then((m) => ({ help: m.demoHelp, run: m.runDemo })) },
  check: { summary: 'type-check CPL programs; print diagnostics and the leak report', load: async () => import('./check.ts').then((m) => ({ help: m.checkHelp, run: m.runCheck })) },
  fmt: { summary: 'format CPL files', load: async () => import('./fmt.ts').then((m) => ({ help: m.fmtHelp, run: m.runFmt })) },
  compile: { summary: 'lower a model to the IR (--emit ir), schedule it (--emit schedule) or predict its cost (--emit cost)', load: async () => import('./compile.ts').then((m) => ({ help: m.compileHelp, run: m.runCompile })) },
  inspect: { summary: 'the schedule with predicted bytes, rounds and time (table, JSON or an HTML timeline)', load: async () => import('./inspect.ts').then((m) => ({ help: m.inspectHelp, run: m.runInspect })) },
  calibrate: { summary: "check every op's value ranges on sample inputs; suggest encodings", load: async () => import('./calibrate.ts').then((m) => ({ help: m.calibrateHelp, run: m.runCalibrate })) },
  run: { summary: 'run a model with both parties in this process (in memory or a simulated link)', load: async () => import('./run.ts').then((m) => ({ help: m.runHelp, run: m.runRun })) },
  serve: { summary: "run the server's side over ws for every client that connects", load: async () => import('./two-party.ts').then((m) => ({ help: m.serveHelp, run: m.runServe })) },
  connect: { summary: "run the client's side against a server", load: async () => import('./two-party.ts').then((m) => ({ help: m.connectHelp, run: m.runConnect })) },
  lsp: { summary: 'the CPL language server on stdin/stdout (diagnostics, hover, definition, formatting)', load: async () => import('./lsp.ts').then((m) => ({ help: m.lspHelp, run: m.runLsp })) },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return `cipherprune ${version()}: private Transformer inference between two parties, described in CPL.

usage: cipherprune COMMAND [options] [args]

commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

options:
  -h, --help      show help (also: cipherprune COMMAND --help)
  -v, --version   print the version

Run \`cipherprune COMMAND --help\` for a command's options. Documentation: docs/ in the
repository (language.md, diagnostics.md).`;
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
      const topic = cmd === 'help' ? rest[0] : undefined;
      io.out((topic && commands[topic] ? (await commands[topic].load()).help : mainHelp()) + '\n');
      return 0;
    }
    if (cmd === '-v' || cmd === '--version' || cmd === 'version') {
      io.out(`cipherprune ${version()}\n`);
      return 0;
    }
    const c = commands[cmd];
    if (!c) throw new UsageError(`unknown command '${cmd}' (commands: ${Object.keys(commands).join(', ')})`);
    return await (await c.load()).run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`cipherprune: ${e.message}\n${e.help ? `Run \`cipherprune ${commands[cmd] ? cmd + ' ' : ''}--help\` for usage.\n` : ''}`);
      return 2;
    }
    if (e instanceof ProgramError) {
      io.err(`cipherprune: ${e.message}\n`);
      return EXIT.program;
    }
    // OpError: the executor's and the interpreter's errors (ExecError, InterpretError) too.
    if (e instanceof ChannelError || e instanceof OpError) {
      io.err(`cipherprune: ${e.message}\n`);
      return exitCodeFor(e);
    }
    io.err(`cipherprune: internal error: ${(e as Error).stack ?? e}\nPlease report this with the command you ran.\n`);
    return 70;
  }
}

/** A closed stdout or stderr (`… | head -1`) ends the command quietly (status 0), not with an EPIPE crash. */
function exitQuietlyOnEpipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
}

function defaultIo(): Io {
  exitQuietlyOnEpipe();
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    color: !!process.stdout.isTTY && !process.env.NO_COLOR,
    tty: !!process.stderr.isTTY,
  };
}
