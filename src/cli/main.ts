// The cipherprune command line: a thin layer over the library API (src/index.ts).
import { readFileSync } from 'node:fs';
import { UsageError, type Io } from './args.ts';
import { checkHelp, runCheck } from './check.ts';
import { fmtHelp, runFmt } from './fmt.ts';
import { compileHelp, runCompile } from './compile.ts';
import { inspectHelp, runInspect } from './inspect.ts';
import { runHelp, runRun } from './run.ts';
import { connectHelp, runConnect, runServe, serveHelp } from './two-party.ts';
import { ProgramError } from './program.ts';
import { exitCodeFor, EXIT } from '../transport/errors.ts';
import { ExecError } from '../exec/executor.ts';
import { ChannelError } from '../transport/channel.ts';
import { InterpretError } from '../interp/interpret.ts';
import { OpError } from '../ir/ir.ts';

const commands: Record<string, { summary: string; help: string; run: (argv: string[], io: Io) => Promise<number> }> = {
  check: { summary: 'type-check CPL programs; print diagnostics and the leak report', help: checkHelp, run: runCheck },
  fmt: { summary: 'format CPL files', help: fmtHelp, run: runFmt },
  compile: { summary: 'lower a model to the IR (--emit ir), schedule it (--emit schedule) or predict its cost (--emit cost)', help: compileHelp, run: runCompile },
  inspect: { summary: 'the schedule with predicted bytes, rounds and time (table, JSON or an HTML timeline)', help: inspectHelp, run: runInspect },
  run: { summary: 'run a model with both parties in this process (in memory or a simulated link)', help: runHelp, run: runRun },
  serve: { summary: "run the server's side over ws for every client that connects", help: serveHelp, run: runServe },
  connect: { summary: "run the client's side against a server", help: connectHelp, run: runConnect },
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
      io.out((topic && commands[topic] ? commands[topic].help : mainHelp()) + '\n');
      return 0;
    }
    if (cmd === '-v' || cmd === '--version' || cmd === 'version') {
      io.out(`cipherprune ${version()}\n`);
      return 0;
    }
    const c = commands[cmd];
    if (!c) throw new UsageError(`unknown command '${cmd}' (commands: ${Object.keys(commands).join(', ')})`);
    return await c.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`cipherprune: ${e.message}\nRun \`cipherprune ${commands[cmd] ? cmd + ' ' : ''}--help\` for usage.\n`);
      return 2;
    }
    if (e instanceof ProgramError) {
      io.err(`cipherprune: ${e.message}\n`);
      return EXIT.program;
    }
    if (e instanceof ExecError || e instanceof ChannelError || e instanceof InterpretError || e instanceof OpError) {
      io.err(`cipherprune: ${e.message}\n`);
      return exitCodeFor(e);
    }
    io.err(`cipherprune: internal error: ${(e as Error).stack ?? e}\nPlease report this with the command you ran.\n`);
    return 70;
  }
}

function defaultIo(): Io {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    color: !!process.stdout.isTTY && !process.env.NO_COLOR,
    tty: !!process.stderr.isTTY,
  };
}
