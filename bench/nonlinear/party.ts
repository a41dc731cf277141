// One party of a CPL program on its own worker thread (bench/nonlinear/threads.ts starts two).
// The session's base OTs are set up before the timed runs; each run starts when the main thread
// says `go` to both parties (`reps` counts the warm-up runs too), and reports this party's seconds, bytes sent (without the final
// output op), rounds and CPU seconds of its thread (process.threadCpuUsage: a figure the load of a
// shared machine inflates less than wall time); with Ferret also its refills' bytes and seconds and
// the COTs it drew as sender.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { check } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import { randomInputs } from '../../src/cli/inputs.ts';
import { splitInputs } from '../../src/exec/run-both.ts';
import { execute } from '../../src/exec/executor.ts';
import { SessionEngines } from '../../src/exec/engines.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import type { Party } from '../../src/transport/channel.ts';
import { PortChannel } from '../port-channel.ts';
import { FerretCot, type OtBackend, type OtEngine } from '../../src/crypto/ot/index.ts';

const { program, party, port, reps, warmup, ot: backend, trace, profile } = workerData as { program: string; party: Party; port: MessagePort; reps: number; warmup: number; ot: OtBackend; trace?: boolean; profile?: string };
// `--profile DIR`: this party's CPU profile of the timed runs (after the first, if no warm-up), as
// DIR/<program>-<party>.cpuprofile (open in Chrome DevTools, or sum self time per function).
const profiler = profile ? new Session() : null;
profiler?.connect();

/** `--trace`: where this party's wall time goes — waiting for the peer (the channel's receive
 * found nothing), GC pauses, and its messages in order with this thread's CPU time (ms from the
 * run's start) at each: threads.ts replays both parties' timelines to the wall time the run would
 * take on two idle cores. */
const cpuMs = () => {
  const c = process.threadCpuUsage();
  return (c.user + c.system) / 1000;
};
class TracedChannel extends PortChannel {
  waited = 0;
  private since = -1;
  events: [cpuMs: number, what: 'send' | 'recv', bytes: number][] = [];
  c0 = 0;
  protected override waitingChanged(waiting: boolean): void {
    const now = performance.now();
    if (waiting) this.since = now;
    else if (this.since >= 0) {
      this.waited += now - this.since;
      this.since = -1;
    }
  }
  override send(payload: Uint8Array): void {
    if (trace) this.events.push([cpuMs() - this.c0, 'send', payload.byteLength]);
    super.send(payload);
  }
  override recv(): Promise<Uint8Array> {
    const m = super.recv();
    return trace ? m.then((x) => (this.events.push([cpuMs() - this.c0, 'recv', x.byteLength]), x)) : m;
  }
}
let gcMs = 0;
if (trace) new PerformanceObserver((list) => list.getEntries().forEach((e) => (gcMs += e.duration))).observe({ entryTypes: ['gc'] });
const main = parentPort!;
const r = check([{ path: program }]);
const p = lowerModel(r, r.models[0]);
const inputs = splitInputs(p, randomInputs(p, 1))[party];
const schedule = buildSchedule(p);
const ch = new TracedChannel(party, port);
const engines = new SessionEngines(party, ch, { ot: backend });
const ot = (await engines.ot()) as OtEngine;
// Ferret: what its refills (bootstrap, iterations) cost this party, counted at the channel.
const refills = () => (ot.cotSource instanceof FerretCot ? { ...ot.cotSource.refills } : { bytesSent: 0, seconds: 0 });
// COTs this party's direction has used, forks' slices included (Ferret: what left its pools).
const cotsAsSender = () => (ot.cotSource instanceof FerretCot ? ot.cotSource.poolDrawn.asSender : ot.cotsDrawn.asSender);
const outputs = new Set(p.ops.filter((op) => op.op === 'output').map((op) => op.id));
const go = () => new Promise<void>((resolve) => main.once('message', () => resolve()));
for (let i = 0; i < reps; i++) {
  const sent0 = ch.totals.bytesSent, rounds0 = ch.totals.rounds;
  const outSent = (res: { scopes: Map<number, string>; byScope: ReadonlyMap<string, { bytesSent: number }> }) =>
    [...new Set([...res.scopes].filter(([id]) => outputs.has(id)).map(([, l]) => l))].reduce((s, l) => s + (res.byScope.get(l)?.bytesSent ?? 0), 0);
  const before = new Map([...ch.byScope].map(([l, c]) => [l, c.bytesSent]));
  const r0 = refills(), cots0 = cotsAsSender();
  if (profiler && i === Math.min(Math.max(1, warmup), reps - 1)) {
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
    await profiler.post('Profiler.start');
  }
  main.postMessage({ ready: true });
  await go();
  const t0 = performance.now(), c0 = process.threadCpuUsage(), w0 = ch.waited, g0 = gcMs;
  ch.c0 = cpuMs();
  ch.events = [];
  const res = await execute(p, { party, ch, inputs, schedule, engines });
  const seconds = (performance.now() - t0) / 1000, c1 = process.threadCpuUsage();
  const cpuSeconds = (c1.user - c0.user + c1.system - c0.system) / 1e6;
  const outBytes = outSent(res) - [...new Set([...res.scopes].filter(([id]) => outputs.has(id)).map(([, l]) => l))].reduce((s, l) => s + (before.get(l) ?? 0), 0);
  const r1 = refills();
  main.postMessage({
    seconds, cpuSeconds, bytesSent: ch.totals.bytesSent - sent0 - outBytes, rounds: ch.totals.rounds - rounds0,
    ...(trace ? { waitSeconds: (ch.waited - w0) / 1000, gcSeconds: (gcMs - g0) / 1000, events: ch.events } : {}),
    refillBytesSent: r1.bytesSent - r0.bytesSent, refillSeconds: r1.seconds - r0.seconds, cotsAsSender: cotsAsSender() - cots0,
  });
}
if (profiler) {
  const { profile: prof } = await profiler.post('Profiler.stop');
  writeFileSync(`${profile}/${basename(program, '.cpl')}-${party}.cpuprofile`, JSON.stringify(prof));
}
await engines.close();
ch.close();
