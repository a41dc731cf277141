// Shared benchmark helpers: medians over repeated runs, JSON reports in bench/out/<area>.json.
// Targets live here, not in timed unit tests; report medians and ratios to a baseline measured
// in the same run (machines are shared and noisy).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { Worker, type ResourceLimits } from 'node:worker_threads';

export const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Run `fn` `reps` times (after `warmup` untimed runs); returns per-run seconds and the median. */
export async function timeit(fn: () => unknown | Promise<unknown>, reps = 5, warmup = 1) {
  for (let i = 0; i < warmup; i++) await fn();
  const seconds: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    seconds.push((performance.now() - t0) / 1000);
  }
  return { seconds, median: median(seconds), min: Math.min(...seconds) };
}

export function machine() {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    loadavg: os.loadavg(),
    date: new Date().toISOString(),
  };
}

/** Print the report as JSON on stdout and save it as bench/out/<area>.json. */
export function report(area: string, results: unknown): void {
  const body = { area, machine: machine(), results };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'out', `${area}.json`);
  mkdirSync(dirname(out), { recursive: true });
  const text = JSON.stringify(body, null, 2);
  writeFileSync(out, text + '\n');
  process.stdout.write(text + '\n');
}

/** A worker thread with a message inbox: `next()` resolves with its next message, in order. */
export interface BenchWorker {
  worker: Worker;
  next(): Promise<Record<string, unknown>>;
}

/** Start a benchmark worker (one party); a worker error stops the benchmark. */
export function spawnWorker(url: URL, workerData: Record<string, unknown>, transfer: unknown[] = [], resourceLimits?: ResourceLimits): BenchWorker {
  const worker = new Worker(url, { workerData, transferList: transfer as never[], ...(resourceLimits ? { resourceLimits } : {}) });
  const inbox: Record<string, unknown>[] = [];
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  worker.on('message', (m) => (waiters.length ? waiters.shift()!(m) : inbox.push(m)));
  worker.on('error', (e) => {
    process.stderr.write(`worker ${String(workerData.party ?? '')} failed: ${e.stack ?? e}\n`);
    process.exit(1);
  });
  return { worker, next: () => (inbox.length ? Promise.resolve(inbox.shift()!) : new Promise((r) => waiters.push(r))) };
}
