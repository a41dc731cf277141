// One party of a CPL program on its own worker thread (bench/nonlinear/threads.ts starts two).
// The session's base OTs are set up before the timed runs; each run starts when the main thread
// says `go` to both parties, and reports this party's seconds, bytes sent (without the final
// output op), rounds and CPU seconds of its thread (process.threadCpuUsage: a figure the load of a
// shared machine inflates less than wall time); with Ferret also its refills' bytes and seconds and
// the COTs it drew as sender.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
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

const { program, party, port, reps, ot: backend } = workerData as { program: string; party: Party; port: MessagePort; reps: number; ot: OtBackend };
const main = parentPort!;
const r = check([{ path: program }]);
const p = lowerModel(r, r.models[0]);
const inputs = splitInputs(p, randomInputs(p, 1))[party];
const schedule = buildSchedule(p);
const ch = new PortChannel(party, port);
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
  main.postMessage({ ready: true });
  await go();
  const t0 = performance.now(), c0 = process.threadCpuUsage();
  const res = await execute(p, { party, ch, inputs, schedule, engines });
  const seconds = (performance.now() - t0) / 1000, c1 = process.threadCpuUsage();
  const cpuSeconds = (c1.user - c0.user + c1.system - c0.system) / 1e6;
  const outBytes = outSent(res) - [...new Set([...res.scopes].filter(([id]) => outputs.has(id)).map(([, l]) => l))].reduce((s, l) => s + (before.get(l) ?? 0), 0);
  const r1 = refills();
  main.postMessage({
    seconds, cpuSeconds, bytesSent: ch.totals.bytesSent - sent0 - outBytes, rounds: ch.totals.rounds - rounds0,
    refillBytesSent: r1.bytesSent - r0.bytesSent, refillSeconds: r1.seconds - r0.seconds, cotsAsSender: cotsAsSender() - cots0,
  });
}
await engines.close();
ch.close();
