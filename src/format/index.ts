// Formatting API for CPL sources (the prettier plugin is src/format/plugin.ts).
import * as prettier from 'prettier';
import plugin from './plugin.ts';

export interface FormatOptions {
  /** Line width to fit in (default 100). */
  printWidth?: number;
  /** Used in error messages. */
  filepath?: string;
}

/** Format CPL source. Throws (with path:line:col) when the source does not parse. */
export async function formatCpl(text: string, opts: FormatOptions = {}): Promise<string> {
  return prettier.format(text, {
    parser: 'cpl',
    plugins: [plugin],
    printWidth: opts.printWidth ?? 100,
    tabWidth: 2,
    useTabs: false,
    endOfLine: 'lf',
    ...(opts.filepath !== undefined ? { filepath: opts.filepath } : {}),
  });
}

/** True when `text` is already formatted. Throws on syntax errors like formatCpl. */
export async function checkFormatted(text: string, opts: FormatOptions = {}): Promise<boolean> {
  return (await formatCpl(text, opts)) === text;
}

export { parseForFormat, CplSyntaxError } from './parse.ts';
