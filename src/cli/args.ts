// Tiny argument parsing shared by the commands: node:util parseArgs plus usage errors that the
// CLI turns into exit code 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { UsageError } from '../transport/errors.ts';

export { UsageError };

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  color: boolean;
  /** stderr is a terminal (progress lines). */
  tty: boolean;
}
