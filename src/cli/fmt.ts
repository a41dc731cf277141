// cipherprune fmt [--check] FILES... : format CPL files with the prettier plugin.
import { readFileSync, writeFileSync } from 'node:fs';
import { formatCpl } from '../format/index.ts';
import { parse, UsageError, type Io } from './args.ts';
import { expandCplPaths } from './files.ts';

export const fmtHelp = `usage: cipherprune fmt [options] FILE|DIR...

Format CPL files in place (2-space indent, one statement per line, comments kept).
Directories are searched for .cpl files. Files with syntax errors are left untouched
and reported.

options:
  --check        do not write; list the files that are not formatted and exit 1 if any
  --stdout       print the formatted text instead of writing the files
  --print-width N   line width to aim for (default 100)
  -h, --help     show this help

exit status: 0 ok, 1 unformatted files (with --check) or syntax errors, 2 usage error.`;

export async function runFmt(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    check: { type: 'boolean' },
    stdout: { type: 'boolean' },
    'print-width': { type: 'string' },
  });
  if (values.help) return io.out(fmtHelp + '\n'), 0;
  if (positionals.length === 0) throw new UsageError('fmt: no files given');
  const printWidth = values['print-width'] === undefined ? undefined : Number(values['print-width']);
  if (printWidth !== undefined && !(Number.isInteger(printWidth) && printWidth > 20)) throw new UsageError('fmt: --print-width must be an integer above 20');
  let status = 0;
  const unformatted: string[] = [];
  for (const file of expandCplPaths(positionals)) {
    const text = readFileSync(file, 'utf8');
    let formatted: string;
    try {
      formatted = await formatCpl(text, { printWidth, filepath: file });
    } catch (e) {
      io.err(`${file}: ${(e as Error).message}\n`);
      status = 1;
      continue;
    }
    if (values.stdout) io.out(formatted);
    else if (formatted !== text) {
      if (values.check) unformatted.push(file);
      else {
        writeFileSync(file, formatted);
        io.out(`formatted ${file}\n`);
      }
    }
  }
  if (values.check) {
    for (const f of unformatted) io.out(`not formatted: ${f}\n`);
    if (unformatted.length) status = 1;
  }
  return status;
}
