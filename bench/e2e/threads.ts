// A secure bench/e2e run with each party on its own thread (--parties threads): the client on the
// calling (main) thread, the server on a worker thread with its own HE pool (server-thread.ts),
// over a MessagePort channel. Wall time counts from the moment both are ready (programs compiled,
// inputs made) to the end of the slower party.
import { MessageChannel, Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { InputValues } from '../../src/ir/dim-env.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import type { ExecValue } from '../../src/ir/ops/types.ts';
import type { Schedule } from '../../src/opt/schedule.ts';
import type { Counters } from '../../src/transport/channel.ts';
import { execute, type ExecuteOptions, type ExecuteResult } from '../../src/exec/executor.ts';
import type { LayerThresholds } from '../../src/exec/fit-thresholds.ts';
import { PortChannel } from '../port-channel.ts';
import type { ServerThreadData } from './server-thread.ts';

export interface ThreadedRun {
  client: ExecuteResult;
  server: { seconds: number; revealed: Record<string, number>; totals: Counters };
  totals: { client: Counters; server: Counters };
  /** performance.now() when both parties started. */
  t0: number;
}

export async function runThreaded(
  p: IrProgram,
  schedule: Schedule,
  clientInputs: InputValues,
  server: Omit<ServerThreadData, 'port'>,
  opts: { trace: ExecuteOptions['trace']; serverShare?: (l: number, share: ExecValue) => Promise<LayerThresholds>; onStart?: (t0: number) => void },
): Promise<ThreadedRun> {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./server-thread.ts', import.meta.url), { workerData: { ...server, port: port2 } satisfies ServerThreadData, transferList: [port2] });
  const ch = new PortChannel('client', port1, { transfer: 'copy' });
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  let settle!: { ok: (v: ThreadedRun['server']) => void; fail: (e: Error) => void };
  const serverDone = new Promise<ThreadedRun['server']>((ok, fail) => (settle = { ok, fail }));
  worker.on('message', (m: { ready?: boolean; score?: number; share?: ExecValue; done?: ThreadedRun['server']; failed?: string }) => {
    if (m.ready) ready();
    else if (m.score !== undefined) {
      const l = m.score;
      if (!opts.serverShare) return worker.postMessage({ thresholds: l, error: 'internal: no threshold fitting on the main thread' });
      opts.serverShare(l, m.share!).then(
        (t) => worker.postMessage({ thresholds: l, theta: t.theta, thetaHi: t.thetaHi }),
        (e: Error) => worker.postMessage({ thresholds: l, error: e.message }),
      );
    } else if (m.done) settle.ok(m.done);
    else if (m.failed !== undefined) settle.fail(new Error(`the server's side failed: ${m.failed}`));
  });
  worker.on('error', (e) => settle.fail(e));
  const exited = new Promise<void>((r) =>
    worker.on('exit', (code) => {
      settle.fail(new Error(`the server's thread exited (${code}) before it finished`));
      r();
    }),
  );
  try {
    await Promise.race([isReady, serverDone]);
    worker.postMessage('go');
    const t0 = performance.now();
    opts.onStart?.(t0);
    // The first failure is the one reported (the other side then fails on the closed channel).
    let first: unknown = null;
    const guard = <T,>(pr: Promise<T>) => pr.catch((e: unknown) => Promise.reject((first ??= e)));
    const [c, s] = await Promise.allSettled([guard(execute(p, { party: 'client', ch, inputs: clientInputs, schedule, trace: opts.trace })), guard(serverDone)]);
    if (first !== null) throw first;
    const [client, srv] = [(c as PromiseFulfilledResult<ExecuteResult>).value, (s as PromiseFulfilledResult<ThreadedRun['server']>).value];
    return { client, server: srv, totals: { client: { ...ch.totals }, server: srv.totals }, t0 };
  } finally {
    ch.close(); // lets the server's thread end (its port closes)
    const stop = setTimeout(() => void worker.terminate(), 30_000);
    await exited;
    clearTimeout(stop);
  }
}
