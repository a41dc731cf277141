// End-to-end benchmark: BERT-base (12 layers, width 768, 12 heads, 3072, 128 tokens) with
// BERT-like random weights, dense and CipherPrune, thresholds chosen from the reference
// interpreter so that the kept counts follow the published schedule 128-55-54-52-49-45-24-14-5-
// 2-1-1 (kh = half the kept, rounded up). Reports predicted bytes and rounds of all 12 layers
// (and GPT-2 small, with and without polynomial reduction), and a real secure run of the first
// --layers layers of each (both parties in one process over a MemoryChannel): wall time, peak RSS,
// per-op breakdown, measured against predicted.
//
//   npm run bench -- e2e [--layers 2] [--dense-only | --pruned-only | --predict-only] [--force]
//                        [--seq 128] [--run-vocab 1024] [--seed 1] [--thresholds secure|reference]
//                        [--threads N] [--parties one-thread|threads]
//
// The predictions use the reference's thresholds (so the 12 layers keep the schedule's counts
// exactly). The measured pruned run, by default, fits its thresholds to its own scores as it goes
// (src/exec/fit-thresholds.ts: the benchmark holds both parties' shares of each layer's importance
// scores and sets θ_l, θ_hi_l, and recomputes what the server already computed from them, before
// anything that communicates reads them), so it keeps exactly the schedule's counts in one pass
// (a pruned run whose revealed counts differ fails, exit 1): at random init the scores near a threshold are closer together
// than the secure scores' distance from the reference's (docs/cipherprune.md), so the reference's
// thresholds keep other counts in the secure run. --thresholds reference uses the reference's.
// --threads: HE worker threads of the secure runs (default one per core; both parties share them,
// or with --parties threads each party has its own pool of N).
// --parties: one-thread (default) runs both parties on the main thread over a MemoryChannel, so
// their nonlinear protocols share one JavaScript thread; threads runs the server on a worker thread
// (bench/e2e/server-thread.ts) over a MessagePort, as a deployment runs each party on its own
// machine. The JSON says which (secure.*.parties).
// Progress lines (one per layer, with wall time and RSS) go to stderr.
//
// Each part (calibrate, predict, secure-dense, secure-pruned) runs in its own process and is
// cached in bench/out/e2e/PART.json with the options and the git commit it ran with: re-running
// skips the parts already done with the same options at the same commit (--force re-runs them),
// so an interrupted run resumes, the report can be re-assembled cheaply and a long secure run
// is not repeated; after a new commit every part runs again. The secure runs and the calibration use a
// vocabulary of --run-vocab words (the embedding is an HE product with the whole table:
// 30,522 words would add ≈ 0.95 GB to each run); the predictions use the real vocabularies.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from '../lib.ts';
import type { Calibrated, Options } from './part.ts';

const here = dirname(fileURLToPath(import.meta.url));
const cacheDir = join(here, '..', 'out', 'e2e');
const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const flag = (name: string): boolean => process.argv.includes(name);
const opts: Options = {
  layers: Number(arg('--layers', '2')),
  seq: Number(arg('--seq', '128')),
  seed: Number(arg('--seed', '1')),
  runVocab: Number(arg('--run-vocab', '1024')),
  bertVocab: 30522,
  gpt2Vocab: 50257,
  threads: Number(arg('--threads', String(os.availableParallelism()))),
  parties: arg('--parties', 'one-thread') as Options['parties'],
};
if (opts.parties !== 'one-thread' && opts.parties !== 'threads') throw new Error(`--parties must be one-thread or threads, got ${opts.parties}`);
const force = flag('--force');
const thresholdsFrom = arg('--thresholds', 'secure');
if (thresholdsFrom !== 'secure' && thresholdsFrom !== 'reference') throw new Error(`--thresholds must be secure or reference, got ${thresholdsFrom}`);
const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: here, encoding: 'utf8' }).stdout?.trim() || 'unknown';

/** Run a part in a child process (or take its cached result when the options match). */
function part(name: string, o: Options): { result: Record<string, unknown>; seconds: number; peakRssMB: number; cached: boolean } {
  const file = join(cacheDir, `${name}.json`);
  const key = JSON.stringify({ commit, ...o, calibration: o.calibration ? { theta: o.calibration.theta, thetaHi: o.calibration.thetaHi } : undefined });
  if (!force && existsSync(file)) {
    const c = JSON.parse(readFileSync(file, 'utf8'));
    if (c.key === key) return { ...c, cached: true };
  }
  process.stderr.write(`e2e: running ${name}...\n`);
  mkdirSync(cacheDir, { recursive: true });
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', join(here, 'part.ts'), name, JSON.stringify(o), file], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write(`e2e: part ${name} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
  const c = JSON.parse(readFileSync(file, 'utf8'));
  c.key = key;
  writeJson(file, c);
  process.stderr.write(`e2e: ${name} done in ${c.seconds} s\n`);
  return { ...c, cached: false };
}

function writeJson(file: string, v: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(v, null, 2) + '\n');
}

const only = flag('--dense-only') ? 'dense' : flag('--pruned-only') ? 'pruned' : flag('--predict-only') ? 'predict' : 'all';
// The reference calibration serves the predictions, and the pruned run with --thresholds reference.
const needReference = only === 'all' || only === 'predict' || thresholdsFrom === 'reference';
const calibration = only !== 'dense' && needReference ? part('calibrate', opts) : null;
const cal = calibration?.result as (Calibrated & { followsSchedule: boolean; gapsUlp: unknown }) | undefined;
const withCal: Options = cal ? { ...opts, calibration: { theta: cal.theta, thetaHi: cal.thetaHi, revealed: cal.revealed } } : opts;
const predicted = only === 'all' || only === 'predict' ? part('predict', withCal) : null;
const dense = only === 'all' || only === 'dense' ? part('secure-dense', opts) : null;
const pruned = only === 'all' || only === 'pruned' ? part('secure-pruned', thresholdsFrom === 'reference' ? withCal : opts) : null;

const pick = <T,>(x: { result: T; seconds: number; peakRssMB: number; cached: boolean } | null) => (x ? { ...x.result, processSeconds: x.seconds, processPeakRssMB: x.peakRssMB, cachedResult: x.cached } : null);
const sec = (x: ReturnType<typeof part> | null) => (x ? (x.result as { wallSeconds: number }).wallSeconds : null);
report('e2e', {
  options: opts,
  schedule: 'tokens per layer 128-55-54-52-49-45-24-14-5-2-1-1: layer l prunes to the count layer l+1 processes (k@l=0 = 55, ..., k@l=10 = 1) and the last keeps 1 ([CLS]); kh = ceil(k / 2)',
  calibration: pick(calibration),
  predicted: pick(predicted),
  secure: {
    dense: pick(dense),
    cipherprune: pick(pruned),
    wallRatioDenseOverPruned: sec(dense) && sec(pruned) ? Math.round((sec(dense)! / sec(pruned)!) * 100) / 100 : null,
  },
});
