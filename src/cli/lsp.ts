// cipherprune lsp: the CPL language server on stdin/stdout (for editors; see editors/vscode).
import { startServer } from '../lsp/server.ts';
import { parse, type Io } from './args.ts';

export const lspHelp = `usage: cipherprune lsp

Run the CPL language server on stdin/stdout (Language Server Protocol): diagnostics as you
type, hover (visibility, encoding and shape of an expression, and the op it resolves to), go to
definition, and formatting. Editors start it; editors/vscode is a minimal VS Code extension.

options:
  -h, --help     show this help`;

export async function runLsp(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {});
  if (values.help) return io.out(lspHelp + '\n'), 0;
  const code = await startServer(process.stdin, process.stdout, (s) => io.err(s + '\n'));
  process.stdin.destroy(); // after `exit` the client may keep the pipe open: stop reading it
  return code;
}
