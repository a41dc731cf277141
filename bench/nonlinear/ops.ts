// Per-primitive CPU time with each party on its own worker thread (ops-party.ts), the primitives
// as a BERT-base CipherPrune layer runs them (ops-list.ts): µs per element of the busier party's
// thread CPU and of the slower party's wall time (medians over the runs; the COTs each run draws
// are refilled before it, so neither includes Ferret's refills), bytes per element, and predicted ==
// measured bytes. The opened result is checked against the twin (its stated bound, table.ts).
import { MessageChannel } from 'node:worker_threads';
import { median, spawnWorker } from '../lib.ts';
import { workerLimits, FAIR_RUNTIME, type PartyRuntime } from './runtime.ts';
import type { OtBackend } from '../../src/crypto/ot/index.ts';
import { nonlinearPrim, ringOf, TWIN_BOUNDS, type Share } from '../../src/crypto/nonlinear/index.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import { OPS, inputOf, type OpJob } from './ops-list.ts';

interface PartyResult {
  op: string;
  seconds: number;
  cpuSeconds: number;
  bytesSent: number;
  rounds: number;
  predicted: number;
  predictedRounds: number;
  out: RingArray | null;
}

export interface OpRow {
  op: string;
  ot: OtBackend;
  elements: number;
  cpuMicrosPerElement: number;
  wallMicrosPerElement: number;
  /** Per party: client, server (medians). */
  cpuMicrosPerElementByParty: { client: number; server: number };
  bytesPerElement: number;
  rounds: number;
  predictedBytesMatch: boolean;
  maxErrorVsTwin: number;
  withinTwinBound: boolean;
}

/** The result's ring: convert's target, recip/rsqrt's `out`, else the input's. */
const outEll = (j: OpJob): number => ((j.params.to ?? j.params.out) as { ell: number } | undefined)?.ell ?? j.ell;

export async function opsRows(reps: number, backends: OtBackend[], only?: string[], runtime: PartyRuntime = FAIR_RUNTIME): Promise<OpRow[]> {
  const rows: OpRow[] = [];
  const limits = workerLimits(runtime);
  const jobs = OPS.filter((o) => !only || only.some((x) => o.name.startsWith(x)));
  for (const ot of backends) {
    const { port1, port2 } = new MessageChannel();
    const url = new URL('./ops-party.ts', import.meta.url);
    const workers = (['client', 'server'] as const).map((party, i) => spawnWorker(url, { party, port: i === 0 ? port1 : port2, reps, ot, only: jobs.map((j) => j.name) }, [i === 0 ? port1 : port2], limits));
    try {
      for (const j of jobs) {
        const runs: PartyResult[][] = [];
        for (let k = 0; k < reps; k++) {
          await Promise.all(workers.map((w) => w.next()));
          const done = workers.map((w) => w.next());
          for (const w of workers) w.worker.postMessage('go');
          runs.push((await Promise.all(done)) as unknown as PartyResult[]);
        }
        const [c, s] = runs[runs.length - 1], n = j.n, prim = nonlinearPrim(j.prim)!, ring = ringOf(outEll(j));
        const opened = ring.add(c.out!, s.out!), twin = prim.twin([inputOf(j) as Share], j.params as never) as RingArray;
        const a = ring.toSigned(opened), t = ring.toSigned(twin);
        let err = 0, ok = true;
        for (let i = 0; i < a.length; i++) {
          const e = Math.abs(a[i] - t[i]);
          err = Math.max(err, e);
          if (e > TWIN_BOUNDS[j.prim](t[i], j.params as never)) ok = false;
        }
        const us = (x: number) => Math.round((x / n) * 1e7) / 10;
        const row: OpRow = {
          op: j.name, ot, elements: n,
          cpuMicrosPerElement: us(median(runs.map(([x, y]) => Math.max(x.cpuSeconds, y.cpuSeconds)))),
          wallMicrosPerElement: us(median(runs.map(([x, y]) => Math.max(x.seconds, y.seconds)))),
          cpuMicrosPerElementByParty: { client: us(median(runs.map(([x]) => x.cpuSeconds))), server: us(median(runs.map(([, y]) => y.cpuSeconds))) },
          bytesPerElement: Math.round(((c.bytesSent + s.bytesSent) / n) * 10) / 10,
          rounds: Math.max(c.rounds, s.rounds),
          predictedBytesMatch: c.predicted === c.bytesSent && s.predicted === s.bytesSent,
          maxErrorVsTwin: err,
          withinTwinBound: ok,
        };
        rows.push(row);
        process.stderr.write(`${j.name} [${ot}] (threads, ${n} elements): ${row.cpuMicrosPerElement} µs/elt CPU (client ${row.cpuMicrosPerElementByParty.client}, server ${row.cpuMicrosPerElementByParty.server}), ${row.wallMicrosPerElement} µs/elt wall, ${row.bytesPerElement} B/elt (predicted ${row.predictedBytesMatch ? '=' : '≠'}), ${row.rounds} rounds, max |secure − twin| ${err} ULP${ok ? '' : ' (ABOVE THE BOUND)'}\n`);
      }
    } finally {
      await Promise.all(workers.map(({ worker: w }) => new Promise((res) => (w.once('exit', res), setTimeout(() => void w.terminate(), 30_000).unref()))));
    }
  }
  return rows;
}
