// Library API of the front end.
import { checkProgram, type CheckInput, type CheckResult } from './check.ts';
import type { Host } from './modules.ts';

export type { CheckInput, CheckResult, ModelInfo, Typing } from './check.ts';
export type { Diagnostic } from './diagnostics.ts';
export { formatDiagnostic, formatDiagnostics, diagnosticToJson } from './diagnostics.ts';
export type { LeakEntry } from './leaks.ts';
export { formatLeaks, leakToJson } from './leaks.ts';
export { SourceFile } from './source.ts';
export { parseSource, loadProgram, STDLIB_DIR, type Host, type Module } from './modules.ts';
export { codes } from './codes.ts';

/** Parse and check CPL files (with their imports and the prelude). Never throws on bad input. */
export function check(entries: CheckInput[], host?: Host): CheckResult {
  return checkProgram(entries, host);
}
