// The server of a secure bench/e2e run on its own worker thread (part.ts, --parties threads), with
// its own HE worker pool, over a MessagePort channel to the client on the main thread: as a
// deployment runs each party on its own machine, instead of both parties' nonlinear protocols
// sharing one JavaScript thread. The in-run threshold fitting's server half runs here
// (src/exec/fit-thresholds.ts serverFitting): at each layer's scores it posts its share to the
// main thread and waits for the thresholds chosen there from both shares.
// Messages to the main thread: {ready}, {score, share}, {done}, {failed}; from it: 'go', {thresholds}.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { InputValues } from '../../src/ir/dim-env.ts';
import type { ExecValue } from '../../src/ir/ops/types.ts';
import { execute } from '../../src/exec/executor.ts';
import { serverFitting, type LayerThresholds } from '../../src/exec/fit-thresholds.ts';
import { closeProcessPool, DEFAULT_ZERO_STOCK, heConfig } from '../../src/crypto/he/index.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { PortChannel } from '../port-channel.ts';
import { bertConfig, bertLikeInputs, compile } from './model.ts';

export interface ServerThreadData {
  model: string;
  layers: number;
  seq: number;
  seed: number;
  runVocab: number;
  threads: number;
  /** The pruned model's thresholds (KEEP_NONE when fitted in the run). */
  thresholds: { theta: number[]; theta_hi: number[] } | null;
  fit: boolean;
  port: MessagePort;
}

const d = workerData as ServerThreadData;
const main = parentPort!;
const p = compile('protocols/bert.cpl', d.model, bertConfig(d.layers, d.runVocab, d.seq));
const schedule = buildSchedule(p);
const inputs: InputValues = bertLikeInputs(p, d.seed, d.runVocab, 'server');
if (d.thresholds) Object.assign(inputs, d.thresholds);
heConfig.threads = d.threads;
heConfig.zeroStock = d.threads > 1 ? DEFAULT_ZERO_STOCK : 0;

// Thresholds from the main thread, by layer.
const answers = new Map<number, { ok: (t: LayerThresholds) => void; fail: (e: Error) => void }>();
main.on('message', (m: { thresholds?: number; theta?: number; thetaHi?: number; error?: string }) => {
  if (m.thresholds === undefined) return;
  const a = answers.get(m.thresholds)!;
  answers.delete(m.thresholds);
  if (m.error !== undefined) a.fail(new Error(m.error));
  else a.ok({ theta: m.theta!, thetaHi: m.thetaHi! });
});
const ask = (l: number, share: ExecValue): Promise<LayerThresholds> =>
  new Promise((ok, fail) => {
    answers.set(l, { ok, fail });
    main.postMessage({ score: l, share: { shape: share.shape, enc: share.enc, vis: share.vis, data: share.data } });
  });

const ch = new PortChannel('server', d.port, { transfer: 'copy' });
main.postMessage({ ready: true });
await new Promise<void>((r) => main.once('message', () => r()));
const t0 = performance.now();
try {
  const res = await execute(p, { party: 'server', ch, inputs, schedule, trace: d.fit ? serverFitting(schedule.program, ask) : undefined });
  main.postMessage({ done: { seconds: (performance.now() - t0) / 1000, revealed: res.revealed, totals: { ...ch.totals } } });
} catch (e) {
  main.postMessage({ failed: (e as Error).message });
} finally {
  await closeProcessPool();
  main.removeAllListeners('message'); // the main thread closes the channel's port when it is done
}
