// Non-linear layer benchmark: bytes per element (both directions), rounds and time per element
// for GELU (hi, lo), exp (hi, lo), softmax over rows of 128 and LayerNorm over rows of 768 (the
// TypeScript compositions), and comparison, softmax and LayerNorm as the bundled stdlib/nn.cpl
// functions run them, at fix<32,12>, for each OT backend in the same run. Each party runs in its
// own worker thread (one core per party, like the C++ references: BOLT/CrypTFlow2 use one thread
// per party), over an in-memory MessagePort channel.
//
//   npm run bench -- nonlinear [--quick] [--reps 3] [--backend iknp,ferret]
//   (Ferret refills before each job, sized from its cost function, as the executor does per step)
//
// One session per backend: jobs run one after another, each first once untimed (warm-up: JIT, HE
// keys, and for Ferret the pools' first refills), then `reps` times. Measured bytes are the
// function's own (the output op excluded) and equal the op table's / cost functions' prediction
// from one replay of the session (`predictedBytesMatch`); rounds are the prediction from equal
// clocks. Time per element: the median wall time of a rep (both parties run at once).
// Ferret figures are also given in steady state, i.e. with every COT paying its share of the
// refills rather than whatever refills the measured reps happened to trigger:
//   steadyBytesPerElement = (bytes − refill bytes in the rep + COTs · refill bytes per COT) / n
//   steadySecondsPerElement = (time + COTs · refill CPU per COT) / n
// with the refill costs per COT measured at the end of the session (random-choice COTs, which
// send nothing but refills, over ≥ 2 main iterations per direction).
import { MessageChannel } from 'node:worker_threads';
import { median, report, spawnWorker, type BenchWorker as Worker2 } from '../lib.ts';
import { benchBackend } from '../ot/backend.ts';
import { jobs } from './jobs.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
};
const quick = process.argv.includes('--quick');
const reps = Number(arg('reps', quick ? '1' : '3'));
const backends = arg('backend', 'iknp,ferret').split(',').filter(Boolean);
for (const b of backends) benchBackend(b);
const refillCots = Number(arg('refill-cots', String(2 * 10_198_341)));

interface Run {
  n: number;
  wall: number;
  cpu: number;
  sent: number;
  cots: number;
  refillBytes: number;
  predicted: { c2s: number; s2c: number; rounds: number };
}

const spawn = (party: 'client' | 'server', backend: string, dataPort: unknown): Worker2 =>
  spawnWorker(new URL('./party.ts', import.meta.url), { party, dataPort, backend, quick }, [dataPort]);

async function both(c: Worker2, s: Worker2, msg: unknown): Promise<[Record<string, unknown>, Record<string, unknown>]> {
  c.worker.postMessage(msg);
  s.worker.postMessage(msg);
  return Promise.all([c.next(), s.next()]);
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const rows: unknown[] = [];
const sessions: unknown[] = [];

for (const backend of backends) {
  const { port1, port2 } = new MessageChannel();
  const client = spawn('client', backend, port1), server = spawn('server', backend, port2);
  const setup = await Promise.all([client.next(), server.next()]);
  const runs = new Map<string, { c: Run; s: Run }[]>();
  for (const job of jobs(quick)) {
    const list: { c: Run; s: Run }[] = [];
    for (let k = 0; k <= reps; k++) {
      const [c, s] = await both(client, server, { job: job.name });
      if (k > 0) list.push({ c: c.result as Run, s: s.result as Run });
    }
    runs.set(job.name, list);
  }
  // Refill costs per COT (Ferret): random-choice COTs in both directions send nothing else.
  let refill = { bytesPerCot: 0, cpuSecondsPerCot: 0 };
  if (backend !== 'iknp') {
    const [c, s] = await both(client, server, { refill: refillCots });
    const rc = c.refill as { cpu: number; bytes: number }, rs = s.refill as { cpu: number; bytes: number };
    // per party: each party refills once as sender and once as receiver for every 2 COTs drawn
    refill = { bytesPerCot: rc.bytes / (2 * refillCots), cpuSecondsPerCot: Math.max(rc.cpu, rs.cpu) / (2 * refillCots) };
  }
  sessions.push({ backend, setupSeconds: setup.map((x) => x.setupSeconds), refill: { bitsPerCot: +(8 * refill.bytesPerCot).toFixed(4), nsPerCotPerParty: +(1e9 * refill.cpuSecondsPerCot).toFixed(1) } });
  for (const job of jobs(quick)) {
    const list = runs.get(job.name)!;
    const last = list[list.length - 1];
    const n = last.c.n, bytes = last.c.sent + last.s.sent, wall = median(list.map((x) => Math.max(x.c.wall, x.s.wall)));
    const cpu = median(list.map((x) => Math.max(x.c.cpu, x.s.cpu)));
    const p = last.c.predicted;
    const row = {
      backend,
      op: job.name,
      elements: n,
      bytesPerElement: r1(bytes / n),
      bytesPerElementC2S: r1(last.c.sent / n),
      bytesPerElementS2C: r1(last.s.sent / n),
      predictedBytesMatch: p.c2s === last.c.sent && p.s2c === last.s.sent,
      predicted: { c2s: p.c2s, s2c: p.s2c, measuredC2S: last.c.sent, measuredS2C: last.s.sent },
      rounds: p.rounds,
      cotsPerElement: r1(last.c.cots / n),
      refillBytesInRep: last.c.refillBytes,
      usPerElement: +((1e6 * wall) / n).toFixed(2),
      cpuUsPerElementPerParty: +((1e6 * cpu) / n).toFixed(2),
      steadyBytesPerElement: r1((bytes - last.c.refillBytes + last.c.cots * refill.bytesPerCot) / n),
      steadyUsPerElement: +((1e6 * (wall + last.c.cots * refill.cpuSecondsPerCot)) / n).toFixed(2),
      boltBytesPerElement: job.bolt,
    };
    rows.push(row);
    process.stderr.write(
      `${backend} ${job.name}: ${row.bytesPerElement} B/elt (steady ${row.steadyBytesPerElement}), ${row.rounds} rounds, ${row.usPerElement} µs/elt (steady ${row.steadyUsPerElement}), ${row.cotsPerElement} COTs/elt${row.predictedBytesMatch ? '' : ' PREDICTION MISMATCH'}\n`,
    );
  }
  client.worker.postMessage({ exit: true });
  server.worker.postMessage({ exit: true });
  await Promise.all([new Promise((r) => client.worker.once('exit', r)), new Promise((r) => server.worker.once('exit', r))]);
}

// Ferret beside IKNP, per function (the same run).
const byKey = new Map((rows as { backend: string; op: string }[]).map((r) => [`${r.backend}|${r.op}`, r as Record<string, number | string>]));
const versus = jobs(quick).flatMap((j) =>
  backends.filter((b) => b !== 'iknp' && backends.includes('iknp')).map((b) => {
    const i = byKey.get(`iknp|${j.name}`)!, f = byKey.get(`${b}|${j.name}`)!;
    return {
      op: j.name,
      backend: b,
      iknpBytesPerElement: i.bytesPerElement,
      steadyBytesPerElement: f.steadyBytesPerElement,
      bytesRatio: +((f.steadyBytesPerElement as number) / (i.bytesPerElement as number)).toFixed(3),
      iknpUsPerElement: i.usPerElement,
      steadyUsPerElement: f.steadyUsPerElement,
      timeRatio: +((f.steadyUsPerElement as number) / (i.usPerElement as number)).toFixed(2),
    };
  }),
);
report('nonlinear', { ring: 'fix<32,12>', parties: 'one worker thread each, MessagePort channel', reps, sessions, results: rows, versus });
