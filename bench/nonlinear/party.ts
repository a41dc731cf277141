// Bench only: one party of the nonlinear benchmark in its own worker thread (one core per party, as
// the C++ references run), over a PortChannel to the other party's worker. One session per worker:
// the OT engine is set up once and its pools carry over from job to job; one cost replay
// (`params`) follows the same session, so every prediction includes the refills it triggers.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { Party } from '../../src/transport/channel.ts';
import { PortChannel } from '../ot/port-channel.ts';
import { benchBackend } from '../ot/backend.ts';
import { SessionEngines } from '../../src/exec/engines.ts';
import type { OtEngine } from '../../src/crypto/ot/engine.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { ringOf } from '../../src/crypto/ring.ts';
import { makeCostParams } from '../../src/ir/ops/table.ts';
import { predictCost, refillFlights } from '../../src/opt/cost.ts';
import type { CotDemand } from '../../src/crypto/ot/cot-source.ts';
import { check } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import { randomInputs } from '../../src/cli/inputs.ts';
import { execute } from '../../src/exec/executor.ts';
import { splitInputs } from '../../src/exec/run-both.ts';
import { DimEnv } from '../../src/ir/dim-env.ts';
import { size } from '../../src/ir/tensor.ts';
import { fx, jobs, ell, type Job } from './jobs.ts';

const { party, dataPort, backend, quick } = workerData as { party: Party; dataPort: MessagePort; backend: string; quick: boolean };
const control = parentPort!;
const threadCpuSeconds = (): number => {
  const u = (process as unknown as { threadCpuUsage(): { user: number; system: number } }).threadCpuUsage();
  return (u.user + u.system) / 1e6;
};

const ch = new PortChannel(party, dataPort);
const engines = new SessionEngines(party, ch, { ot: benchBackend(backend) });
let t0 = performance.now();
const ot = (await engines.ot()) as OtEngine;
const setupSeconds = (performance.now() - t0) / 1000;
const params = makeCostParams({ otModel: ot.cost });
params.otSetup(); // done above
let refillBytes = 0;
const pool = ot.cost.pool;
if (pool) {
  // Count what the replay charges for refills (bytes both ways) as it follows the session.
  const step = pool.step.bind(pool);
  (pool as { step: typeof step }).step = (need) => {
    const msgs = step(need);
    for (const m of msgs) refillBytes += m.bytes;
    return msgs;
  };
}
/** A protocol job's COTs per direction (Ferret refills them before the job, as the executor does per step). */
function demandOf(job: Job & { kind: 'proto' }): CotDemand {
  const counting = params.otModel.forked(), d = counting.drawn;
  if (!d) return { client: 0, server: 0 };
  d.client = d.server = 0;
  job.cost(counting);
  return { client: d.client, server: d.server };
}
control.postMessage({ setupSeconds });

const all = jobs(quick);

/** One run of a job: measured bytes (the function's own, without the output op) and the prediction. */
async function runJob(job: Job) {
  const before = { ...ch.totals }, cots0 = ot.cotsDrawn, refill0 = refillBytes;
  const cpu0 = threadCpuSeconds();
  t0 = performance.now();
  let predicted: { c2s: number; s2c: number; rounds: number }, n: number, outBytes = { sent: 0 };
  if (job.kind === 'proto') {
    n = job.n;
    const need = demandOf(job);
    const refill = refillFlights(params.otModel, need);
    const c = job.cost(params.otModel);
    const sum = (k: 'c2s' | 's2c') => refill.reduce((a, f) => a + f[k], 0);
    predicted = { c2s: c.bytesClientToServer + sum('c2s'), s2c: c.bytesServerToClient + sum('s2c'), rounds: c.rounds };
    const ring = ringOf(ell), x = fx.encode(job.input), r = ring.random(n, Prg.fromInt(11));
    await ot.prefill(need);
    await job.run({ party, ch, ot, prg: new Prg() }, party === 'server' ? ring.sub(x, r) : r);
    await ot.settle();
  } else {
    const r = check([{ path: job.program }]);
    const p = lowerModel(r, r.models[0]);
    n = size(new DimEnv().shape(p.ops[p.outputs[0].id].type.shape));
    const outSent = () => [...ch.byScope].filter(([l]) => / output$/.test(l)).reduce((a, [, c]) => a + c.bytesSent, 0);
    const out0 = outSent(); // scopes accumulate over the session's runs
    const res = await execute(p, { party, ch, inputs: splitInputs(p, randomInputs(p, 1))[party], engines });
    const pc = predictCost(p, res.dims, params);
    const outOps = pc.ops.filter((o) => p.ops[o.id].op === 'output');
    predicted = { c2s: pc.bytesC2S - outOps.reduce((a, o) => a + o.bytesC2S, 0), s2c: pc.bytesS2C - outOps.reduce((a, o) => a + o.bytesS2C, 0), rounds: pc.rounds - 1 };
    outBytes = { sent: outSent() - out0 };
  }
  await ch.flush();
  const wall = (performance.now() - t0) / 1000, cpu = threadCpuSeconds() - cpu0;
  const cots1 = ot.cotsDrawn;
  return {
    n,
    wall,
    cpu,
    sent: ch.totals.bytesSent - before.bytesSent - outBytes.sent,
    cots: cots1.asSender - cots0.asSender + cots1.asReceiver - cots0.asReceiver,
    refillBytes: refillBytes - refill0,
    predicted,
  };
}

control.on('message', async (m: { job?: string; refill?: number; exit?: true }) => {
  if (m.exit) {
    ch.close();
    await engines.close();
    process.exit(0);
  }
  if (m.job !== undefined) {
    const job = all.find((j) => j.name === m.job)!;
    control.postMessage({ result: await runJob(job) });
  }
  if (m.refill !== undefined) {
    // Random-choice COTs in both directions: no per-OT message, so the cost is the refills'.
    const cpu0 = threadCpuSeconds(), before = { ...ch.totals };
    await ot.prefill({ client: m.refill, server: m.refill });
    for (const sender of ['server', 'client'] as Party[]) {
      if (sender === party) await ot.rcotSend(m.refill);
      else await ot.rcotRecv(m.refill);
    }
    control.postMessage({ refill: { cpu: threadCpuSeconds() - cpu0, bytes: ch.totals.bytesSent - before.bytesSent + ch.totals.bytesRecv - before.bytesRecv } });
  }
});
