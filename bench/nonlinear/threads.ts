// CPL programs with each party on its own worker thread (party.ts), over a MessagePort channel:
// time per element comparable with the C++ references, which run one thread per party. The
// base OTs are set up before timing; a run's time is the slower party's, from a common start.
import { MessageChannel } from 'node:worker_threads';
import { check } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import { DimEnv } from '../../src/ir/dim-env.ts';
import { size } from '../../src/ir/tensor.ts';
import { median, spawnWorker } from '../lib.ts';
import type { OtBackend } from '../../src/crypto/ot/index.ts';
import { steadyBitsPerCot } from '../../src/crypto/ot/ferret/params.ts';

interface PartyRun {
  seconds: number;
  cpuSeconds: number;
  bytesSent: number;
  rounds: number;
  refillBytesSent: number;
  refillSeconds: number;
  cotsAsSender: number;
}

/** Ferret in steady state (main iterations, as a BERT-base session runs): bits per COT its refills send. */
export const STEADY_BITS_PER_COT = steadyBitsPerCot();

export interface ThreadedRow {
  ot: OtBackend;
  elements: number;
  /** Everything the run sent (with Ferret: the refills that ran before its steps included). */
  bytesPerElement: number;
  rounds: number;
  /** Median over runs of the slower party's seconds, per element, in µs. */
  microsPerElement: number;
  /** Median over runs of the busier party's thread CPU time, per element, in µs. */
  cpuMicrosPerElement: number;
  runs: number[];
  /** Ferret: the function's own bytes (without the refills), COTs drawn, and the refills' share. */
  ferret: {
    /** Bytes per element without any refill (the protocols' own messages). */
    ownBytesPerElement: number;
    /** COTs drawn per element (both directions). */
    cotsPerElement: number;
    /** Refill bytes this run sent per element (bootstrap and setup iterations at this size). */
    refillBytesPerElement: number;
    /** Own bytes + the COTs at STEADY_BITS_PER_COT: what an element costs in a long session. */
    steadyBytesPerElement: number;
    /** Median over runs of the slower party's seconds without its refills, per element, in µs. */
    microsPerElementWithoutRefills: number;
  } | null;
}

export async function threaded(program: string, reps: number, ot: OtBackend = 'iknp'): Promise<ThreadedRow> {
  const r = check([{ path: program }]);
  const p = lowerModel(r, r.models[0]);
  const n = size(new DimEnv().shape(p.ops[p.outputs[0].id].type.shape));
  const { port1, port2 } = new MessageChannel();
  const url = new URL('./party.ts', import.meta.url);
  const workers = (['client', 'server'] as const).map((party, i) => {
    const port = i === 0 ? port1 : port2;
    return spawnWorker(url, { program, party, port, reps, ot }, [port]);
  });
  const runs: PartyRun[][] = [];
  try {
    for (let i = 0; i < reps; i++) {
      await Promise.all(workers.map((w) => w.next())); // both ready (base OTs done, inputs made)
      const done = workers.map((w) => w.next());
      for (const w of workers) w.worker.postMessage('go');
      runs.push((await Promise.all(done)) as unknown as PartyRun[]);
    }
  } finally {
    await Promise.all(workers.map(({ worker: w }) => new Promise((res) => (w.once('exit', res), setTimeout(() => void w.terminate(), 30_000).unref()))));
  }
  const secs = runs.map(([c, s]) => Math.max(c.seconds, s.seconds));
  const last = runs[runs.length - 1];
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const own = last[0].bytesSent + last[1].bytesSent - last[0].refillBytesSent - last[1].refillBytesSent, cots = last[0].cotsAsSender + last[1].cotsAsSender;
  const ferret = ot === 'ferret' ? {
    ownBytesPerElement: r1(own / n),
    cotsPerElement: r1(cots / n),
    refillBytesPerElement: r1((last[0].refillBytesSent + last[1].refillBytesSent) / n),
    steadyBytesPerElement: r1((own + (cots * STEADY_BITS_PER_COT) / 8) / n),
    microsPerElementWithoutRefills: r1((median(runs.map(([c, s]) => Math.max(c.seconds - c.refillSeconds, s.seconds - s.refillSeconds))) / n) * 1e6),
  } : null;
  return {
    ot,
    ferret,
    elements: n,
    bytesPerElement: Math.round(((last[0].bytesSent + last[1].bytesSent) / n) * 10) / 10,
    rounds: Math.max(last[0].rounds, last[1].rounds) - 1, // minus the output's round
    microsPerElement: Math.round((median(secs) / n) * 1e7) / 10,
    cpuMicrosPerElement: Math.round((median(runs.map(([c, s]) => Math.max(c.cpuSeconds, s.cpuSeconds))) / n) * 1e7) / 10,
    runs: secs,
  };
}
