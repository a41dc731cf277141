#!/usr/bin/env node
// cipherprune command-line entry. Plain JavaScript that loads on any Node: on a runtime older
// than 22.18 it re-runs itself under the pinned runtime (see scripts/node22.mjs).
import { fileURLToPath } from 'node:url';
import { isModern, pickNode, runUnder } from '../scripts/node22.mjs';

// Run here on a modern runtime, unless the pinned one is forced and this is not already it (a
// child of the launcher, which passes its pid).
const launched = process.env.CIPHERPRUNE_LAUNCHER_PID === String(process.ppid);
if (isModern() && (!process.env.CIPHERPRUNE_PINNED_NODE || launched)) {
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} else {
  runUnder(pickNode(), [fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
}
