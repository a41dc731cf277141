// cipherprune check FILES... : parse and type-check, print diagnostics (and the leak report).
import { check } from '../front/index.ts';
import { diagnosticToJson, formatDiagnostics } from '../front/diagnostics.ts';
import { formatLeaks, leakToJson } from '../front/leaks.ts';
import { parse, UsageError, type Io } from './args.ts';
import { expandCplPaths } from './files.ts';
import { lowerModel, LowerError } from '../ir/lower.ts';
import { DimEnv } from '../ir/dim-env.ts';
import { predictCost } from '../opt/cost.ts';
import { cheaperOps, formatCheaper } from '../opt/cheaper.ts';
import type { CheckResult } from '../front/index.ts';

/** Per model of the entry files: predicted bytes and rounds at the default sizes, and the ops
 * with a cheaper equivalent. Sizes revealed at run time are unknown here (compile --emit cost
 * --assume takes them). */
function costReport(r: CheckResult): string {
  const lines: string[] = [];
  for (const m of r.models.filter((x) => r.entries.includes(x.module))) {
    let p;
    try {
      p = lowerModel(r, m);
    } catch (e) {
      if (!(e instanceof LowerError)) throw e;
      lines.push(`model ${m.name}: cannot lower with the default sizes: ${e.message}`);
      continue;
    }
    const dims = new DimEnv();
    let total = '(depends on sizes revealed at run time: cipherprune compile --emit cost --assume ...)';
    if (p.runtimeDims.length === 0) {
      const c = predictCost(p, dims);
      total = `client -> server ${c.bytesC2S} B, server -> client ${c.bytesS2C} B, ${c.rounds} rounds (default config)`;
    }
    lines.push(`model ${m.name}: ${total}`);
    for (const h of cheaperOps(r, p, dims)) lines.push(`  ${formatCheaper(h)}`);
  }
  return lines.join('\n') + '\n';
}

export const checkHelp = `usage: cipherprune check [options] FILE|DIR...

Parse and type-check CPL programs (names, types, shapes, visibility) and report every
problem found, compiler style. Directories are searched for .cpl files. Imports are
resolved next to the importing file, then in the bundled stdlib/.

options:
  --leaks        also print the leak report, per model: every reveal and output a model
                 reaches, where it happens, what is revealed, to whom, and its size
  --costs        also predict each model's communication (default config sizes) and point at
                 ops that have a cheaper equivalent (e.g. mul_ss where mul_sx would do)
  --json         print one JSON object (diagnostics, leak report, summary) instead of text
  --no-warnings  do not print warnings
  --color / --no-color   force or disable colours (default: on when stdout is a terminal)
  -h, --help     show this help

exit status: 0 no errors, 1 errors found, 2 usage error.
examples:
  cipherprune check protocols/bert.cpl
  cipherprune check --leaks protocols stdlib`;

export async function runCheck(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    leaks: { type: 'boolean' },
    costs: { type: 'boolean' },
    json: { type: 'boolean' },
    'no-warnings': { type: 'boolean' },
    color: { type: 'boolean' },
    'no-color': { type: 'boolean' },
  });
  if (values.help) return io.out(checkHelp + '\n'), 0;
  if (positionals.length === 0) throw new UsageError('check: no files given (try `cipherprune check protocols`)');
  const files = expandCplPaths(positionals);
  if (files.length === 0) throw new UsageError(`check: no .cpl files in ${positionals.join(', ')}`);
  const result = check(files.map((path) => ({ path })));
  const shown = values['no-warnings'] ? result.diagnostics.filter((d) => d.severity === 'error') : result.diagnostics;
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = result.diagnostics.length - errors;
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          ok: result.ok,
          files,
          errors,
          warnings,
          diagnostics: shown.map(diagnosticToJson),
          // Per model (`models` of each entry); sites no model reaches are left out when there are models.
          leaks: result.leaks.filter((l) => !result.models.length || l.models.length).map(leakToJson),
          models: result.models.map((m) => ({ name: m.name, file: m.module.file.path, inputs: m.inputs.map((i) => ({ name: i.name, owner: i.owner, source: i.source })) })),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    const color = values['no-color'] ? false : (values.color ?? io.color);
    if (shown.length) io.err(formatDiagnostics(shown, { color }) + '\n');
    if (values.leaks) io.out(formatLeaks(result.leaks, result.models.map((m) => m.name)) + '\n');
    if (values.costs && result.ok) io.out(costReport(result));
    if (result.ok) io.out(`checked ${files.length} file${files.length === 1 ? '' : 's'}${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}: ok\n`);
  }
  return result.ok ? 0 : 1;
}
