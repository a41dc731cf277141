// npm run bench -- AREA [ARGS...]   runs bench/AREA/run.ts (JSON report on stdout and in bench/out/).
// npm run bench                     lists the areas.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const areas = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'run.ts')))
  .map((d) => d.name);
const [area, ...rest] = process.argv.slice(2);
if (!area || area === '--help' || !areas.includes(area)) {
  process.stdout.write(`usage: npm run bench -- AREA [ARGS...]\nareas: ${areas.join(', ') || '(none yet)'}\n`);
  process.exit(area && area !== '--help' ? 2 : 0);
}
process.argv = [process.argv[0], join(here, area, 'run.ts'), ...rest];
try {
  await import(pathToFileURL(join(here, area, 'run.ts')).href);
} catch (e) {
  // A bad command line (util.parseArgs: unknown option, missing value, stray argument) is a usage
  // error, not a crash: say what was wrong and exit 2 without a stack trace.
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
    process.stderr.write(`bench ${area}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  throw e;
}
