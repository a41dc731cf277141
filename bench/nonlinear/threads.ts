// CPL programs with each party on its own worker thread (party.ts), over a MessagePort channel:
// time per element comparable with the C++ references, which run one thread per party. The
// base OTs are set up before timing; a run's time is the slower party's, from a common start.
import { MessageChannel } from 'node:worker_threads';
import { readdirSync, readFileSync } from 'node:fs';
import { check } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import { DimEnv } from '../../src/ir/dim-env.ts';
import { size } from '../../src/ir/tensor.ts';
import { median, spawnWorker } from '../lib.ts';
import type { OtBackend } from '../../src/crypto/ot/index.ts';
import { steadyBitsPerCot } from '../../src/crypto/ot/ferret/params.ts';
import { workerLimits, describeRuntime, FAIR_RUNTIME, type PartyRuntime } from './runtime.ts';

interface PartyRun {
  seconds: number;
  cpuSeconds: number;
  bytesSent: number;
  rounds: number;
  refillBytesSent: number;
  refillSeconds: number;
  cotsAsSender: number;
  waitSeconds?: number;
  gcSeconds?: number;
  events?: [number, 'send' | 'recv', number][];
}

/**
 * `--trace`: both parties' last run replayed on two idle cores — each party's CPU time between its
 * messages, a receive completing when the peer's matching send has happened (no latency): the
 * wall time without load, and each party's idle time in it. Returns the summary lines.
 */
export function replay(runs: PartyRun[]): string {
  const { T, idle, complete } = replayTimes(runs);
  const f = (x: number) => x.toFixed(1);
  const names = ['client', 'server'];
  return [0, 1].map((p) => `  ${names[p]}: wall ${f(runs[p].seconds * 1000)} ms, CPU ${f(runs[p].cpuSeconds * 1000)}, waiting ${f((runs[p].waitSeconds ?? 0) * 1000)}, GC ${f((runs[p].gcSeconds ?? 0) * 1000)}; ` +
    `${runs[p].events?.length ?? 0} messages; idle replay: done at ${f(T[p])} ms, idle ${f(idle[p])}\n`).join('') +
    `  idle replay wall ${f(Math.max(...T))} ms (${complete ? 'complete' : 'INCOMPLETE'})\n`;
}

function replayTimes(runs: PartyRun[]): { T: number[]; idle: number[]; complete: boolean } {
  const ev = runs.map((r) => [...(r.events ?? []), [r.cpuSeconds * 1000, 'end', 0] as [number, 'end', number]]);
  const T = [0, 0], idle = [0, 0], at = [0, 0], prev = [0, 0], sent: number[][] = [[], []], got = [0, 0];
  for (let moved = true; moved; ) {
    moved = false;
    for (const p of [0, 1]) {
      while (at[p] < ev[p].length) {
        const [c, what] = ev[p][at[p]];
        if (what === 'recv') {
          const s = sent[1 - p][got[p]];
          if (s === undefined) break; // the peer has not sent it yet in the replay
          T[p] += c - prev[p];
          if (s > T[p]) (idle[p] += s - T[p]), (T[p] = s);
          got[p]++;
        } else {
          T[p] += c - prev[p];
          if (what === 'send') sent[p].push(T[p]);
        }
        prev[p] = c;
        at[p]++;
        moved = true;
      }
    }
  }
  return { T, idle, complete: at[0] === ev[0].length && at[1] === ev[1].length };
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
  /** Untimed runs before the timed ones. */
  warmup: number;
  /** Median over runs of the busier party's thread CPU time, per element, in µs. */
  cpuMicrosPerElement: number;
  /** Median over runs of both parties' thread CPU, and of the whole process's CPU (every thread:
   * the parties, V8's GC and JIT helpers, the main thread), per element, in µs. */
  partiesCpuMicrosPerElement: number;
  processCpuMicrosPerElement: number;
  /** Median over runs of max(busier party's CPU, process CPU / 2), per element, in µs: a floor under
   * the wall time on 2 idle cores (each party's work is serial; all the process's work shares 2 cores). */
  twoCoreFloorMicrosPerElement: number;
  /** The parties' V8 runtime (runtime.ts). */
  runtime: string;
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

/** Linux: CPU ms of every thread of this process by name (/proc/self/task/N/stat, utime + stime). */
function threadTimes(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    const hz = 100;
    for (const t of readdirSync('/proc/self/task')) {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(`${name}#${t}`, ((Number(f[11]) + Number(f[12])) * 1000) / hz);
    }
  } catch { /* not Linux */ }
  return out;
}

/** CPU ms per thread (name#tid) between two `threadTimes` readings. */
function threadDelta(a: Map<string, number>, b: Map<string, number>): string {
  const by = new Map<string, number>();
  for (const [k, v] of b) {
    const name = k.trim();
    by.set(name, (by.get(name) ?? 0) + v - (a.get(k) ?? 0));
  }
  return [...by].filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]).slice(0, 8).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
}

/** Bench options: untimed warm-up runs first (JIT), `--trace`, `--profile DIR`. */
export interface ThreadedOpts {
  /** Runs before the timed ones, not counted (the parties' code warms up, as in a long session). */
  warmup?: number;
  trace?: boolean;
  profile?: string;
  /** The parties' V8 runtime (runtime.ts); FAIR_RUNTIME by default. */
  runtime?: PartyRuntime;
}

export async function threaded(program: string, reps: number, ot: OtBackend = 'iknp', opts: ThreadedOpts = {}): Promise<ThreadedRow> {
  const { warmup = 0, trace = false, profile, runtime = FAIR_RUNTIME } = opts;
  const limits = workerLimits(runtime);
  const r = check([{ path: program }]);
  const p = lowerModel(r, r.models[0]);
  const n = size(new DimEnv().shape(p.ops[p.outputs[0].id].type.shape));
  const { port1, port2 } = new MessageChannel();
  const url = new URL('./party.ts', import.meta.url);
  const workers = (['client', 'server'] as const).map((party, i) => {
    const port = i === 0 ? port1 : port2;
    return spawnWorker(url, { program, party, port, reps: warmup + reps, warmup, ot, trace, profile }, [port], limits);
  });
  const runs: PartyRun[][] = [], processCpu: number[] = [];
  let byThread = '';
  try {
    for (let i = 0; i < warmup + reps; i++) {
      await Promise.all(workers.map((w) => w.next())); // both ready (base OTs done, inputs made)
      const done = workers.map((w) => w.next());
      const p0 = process.cpuUsage(), th0 = trace ? threadTimes() : null;
      for (const w of workers) w.worker.postMessage('go');
      runs.push((await Promise.all(done)) as unknown as PartyRun[]);
      const p1 = process.cpuUsage(p0);
      processCpu.push((p1.user + p1.system) / 1e6);
      if (th0) byThread = threadDelta(th0, threadTimes());
    }
  } finally {
    await Promise.all(workers.map(({ worker: w }) => new Promise((res) => (w.once('exit', res), setTimeout(() => void w.terminate(), 30_000).unref()))));
  }
  const all = runs.splice(0, runs.length), warm = all.slice(0, warmup);
  runs.push(...all.slice(warmup));
  const secs = runs.map(([c, s]) => Math.max(c.seconds, s.seconds));
  const last = runs[runs.length - 1];
  if (trace) process.stderr.write(`${program} [${ot}], last run:\n` + replay(last) + `  per run, ms (wall (idle replay); client, server thread CPU; process CPU, all threads): ${all.map(([c, s], i) => `${i < warm.length ? 'warm-up ' : ''}${(Math.max(c.seconds, s.seconds) * 1000).toFixed(0)} (idle replay ${Math.max(...replayTimes([c, s]).T).toFixed(0)}); ${(c.cpuSeconds * 1000).toFixed(0)}, ${(s.cpuSeconds * 1000).toFixed(0)}; ${(processCpu[i] * 1000).toFixed(0)}`).join(' | ')}\n  last run's CPU ms by thread (10 ms ticks): ${byThread}\n`);
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
    warmup,
    microsPerElement: Math.round((median(secs) / n) * 1e7) / 10,
    cpuMicrosPerElement: Math.round((median(runs.map(([c, s]) => Math.max(c.cpuSeconds, s.cpuSeconds))) / n) * 1e7) / 10,
    partiesCpuMicrosPerElement: Math.round((median(runs.map(([c, s]) => c.cpuSeconds + s.cpuSeconds)) / n) * 1e7) / 10,
    processCpuMicrosPerElement: Math.round((median(processCpu.slice(warmup)) / n) * 1e7) / 10,
    twoCoreFloorMicrosPerElement: Math.round((median(runs.map(([c, s], i) => Math.max(c.cpuSeconds, s.cpuSeconds, processCpu[warmup + i] / 2))) / n) * 1e7) / 10,
    runtime: describeRuntime(runtime),
    runs: secs,
  };
}
