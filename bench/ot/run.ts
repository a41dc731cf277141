// OT benchmark: each party in its own worker thread, over an in-memory channel (MessagePort,
// transferred buffers) and/or ws on loopback, for each correlated-OT backend in the same run.
//
//   npm run bench -- ot [--backend iknp,ferret[,ferret:setup,ferret:js-lpn]] [--transport memory,ws]
//                       [--stream-log2 22] [--stream-calls 8]
//                       [--flavours cot,rot,ot,otN,acot] [--log2 20,24] [--reps 3] [--chunk 131072]
//
// Streams (the per-COT figures): `--stream-calls` correlated-OT calls of 2^stream-log2 COTs each,
// with chosen choices (`cot`) and with random ones (`rcot`), one session per backend. The first
// call is reported apart (`cold`: for Ferret it runs the SoftSpokenOT bootstrap and the first iterations);
// the others (`warm`) run whatever refills their draws trigger, so their totals are the steady
// state: bits per COT = all bytes both ways / COTs, COT/s per party core = COTs / that party's
// CPU time (process.threadCpuUsage; robust to other load, unlike wall time, which is also given).
// `ferret:setup` runs every Ferret iteration with the paper's setup parameters (k = 36,288: a
// secret that fits in L2, more bytes per COT) to show the trade against the main ones;
// `ferret:js-lpn` runs Ferret with the LPN map's JavaScript reference (before/after the kernel).
// Flavours (opt-in, `--flavours`): as before, n = 2^log2 per call, medians of `--reps` runs, each
// backend with its pools warmed by the streams.
// Baseline measured in the same run: AES-128-CTR producing 32 bytes per OT on the coordinator
// thread; `ratioToPrgBaseline` = per-party CPU rate / that rate.
import { MessageChannel } from 'node:worker_threads';
import { createCipheriv, randomBytes } from 'node:crypto';
import { median, report, spawnWorker, timeit, type BenchWorker as Party } from '../lib.ts';
import { makeOtCost } from '../../src/crypto/ot/cost.ts';
import { DEFAULT_CHUNK } from '../../src/crypto/ot/iknp.ts';
import { benchBackend } from './backend.ts';
import type { Task } from './party.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}
const list = (s: string) => s.split(',').filter(Boolean);
const backends = list(arg('backend', 'iknp,ferret'));
for (const b of backends) benchBackend(b); // throws on an unknown name
const log2s = list(arg('log2', '20,24')).map(Number);
const transports = list(arg('transport', 'memory')) as ('memory' | 'ws')[];
const flavours = list(arg('flavours', '')) as Task['flavour'][];
const streamLog2 = Number(arg('stream-log2', '22'));
const streamCalls = Number(arg('stream-calls', '8'));
const repsArg = Number(arg('reps', '0'));
const chunk = Number(arg('chunk', String(DEFAULT_CHUNK)));
const iknpCost = makeOtCost(chunk);

const BITS: Record<Task['flavour'], number> = { cot: 128, rcot: 128, rot: 128, ot: 128, otN: 8, acot: 32 };

type Result = { wall: number; cpu: number; bytesSent: number; bytesRecv: number; rss: number };

const spawn = (party: 'client' | 'server', transport: string, backend: string, dataPort?: unknown): Party =>
  spawnWorker(new URL('./party.ts', import.meta.url), { party, transport, chunk, dataPort, backend }, dataPort ? [dataPort] : []);

async function prgBaseline(n: number): Promise<number> {
  const z = new Uint8Array(n / 8);
  const t = await timeit(() => {
    for (let j = 0; j < 256; j++) createCipheriv('aes-128-ctr', randomBytes(16), new Uint8Array(16)).update(z);
  }, 5);
  return n / t.median;
}

/** One call on both workers: the server is the OT sender. */
async function call(client: Party, server: Party, task: Task): Promise<{ s: Result; r: Result }> {
  client.worker.postMessage({ prepare: task });
  server.worker.postMessage({ prepare: task });
  await Promise.all([client.next(), server.next()]);
  client.worker.postMessage({ go: true });
  server.worker.postMessage({ go: true });
  const [c, s] = await Promise.all([client.next(), server.next()]);
  return { s: s.result as Result, r: c.result as Result };
}

const results: unknown[] = [];
const baseline = await prgBaseline(1 << 20);
const round = (x: number, d = 3) => +x.toFixed(d);

/** Totals of a run of calls: bits per COT both ways, COT/s per party core and wall. */
function streamSummary(runs: { s: Result; r: Result }[], n: number) {
  const cots = n * runs.length;
  const sum = (f: (x: { s: Result; r: Result }) => number) => runs.reduce((a, x) => a + f(x), 0);
  const bytes = sum((x) => x.s.bytesSent + x.s.bytesRecv);
  const side = (pick: (x: { s: Result; r: Result }) => Result) => ({
    cpuSeconds: round(sum((x) => pick(x).cpu)),
    wallSeconds: round(sum((x) => pick(x).wall)),
    mCotPerCpuSec: round(cots / sum((x) => pick(x).cpu) / 1e6, 2),
    mCotPerWallSec: round(cots / sum((x) => pick(x).wall) / 1e6, 2),
  });
  return { calls: runs.length, cots, bitsPerCot: round((8 * bytes) / cots, 4), bytes, sender: side((x) => x.s), receiver: side((x) => x.r) };
}

for (const transport of transports) {
  for (const backend of backends) {
    let client: Party, server: Party;
    if (transport === 'memory') {
      const { port1, port2 } = new MessageChannel();
      client = spawn('client', transport, backend, port1);
      server = spawn('server', transport, backend, port2);
    } else {
      server = spawn('server', transport, backend);
      client = spawn('client', transport, backend);
      const { url } = (await server.next()) as { url: string };
      client.worker.postMessage({ url });
    }
    const setup = await Promise.all([client.next(), server.next()]);
    results.push({ transport, backend, step: 'setup (base OTs both ways)', seconds: setup.map((s) => s.setupSeconds) });

    // Streams: the per-COT figures (cold first call, then the steady state).
    const n = 2 ** streamLog2;
    for (const flavour of ['cot', 'rcot'] as const) {
      const runs: { s: Result; r: Result }[] = [];
      for (let k = 0; k < streamCalls; k++) runs.push(await call(client, server, { flavour, n, bits: 128, N: 16, sender: 'server' }));
      const entry = {
        transport,
        backend,
        stream: flavour === 'cot' ? 'correlated OT, chosen choices' : 'correlated OT, random choices',
        log2n: streamLog2,
        cold: streamSummary(runs.slice(0, 1), n),
        warm: streamSummary(runs.slice(1), n),
        processRssMiB: Math.round(Math.max(...runs.map((x) => Math.max(x.s.rss, x.r.rss))) / 2 ** 20),
      };
      results.push(entry);
      process.stderr.write(
        `${transport} ${backend} ${flavour} 2^${streamLog2} ×${streamCalls - 1} warm: ${entry.warm.bitsPerCot} bits/COT, ` +
          `sender ${entry.warm.sender.mCotPerCpuSec} M/s cpu (${entry.warm.sender.mCotPerWallSec} wall), receiver ${entry.warm.receiver.mCotPerCpuSec} M/s cpu (${entry.warm.receiver.mCotPerWallSec} wall); ` +
          `cold: ${entry.cold.bitsPerCot} bits/COT, ${entry.cold.sender.cpuSeconds} s sender cpu\n`,
      );
    }

    for (const lg of log2s) {
      if (!flavours.length) break;
      const nn = 2 ** lg;
      for (const flavour of flavours) {
        const task: Task = { flavour, n: nn, bits: BITS[flavour], N: 16, sender: 'server' };
        const reps = repsArg || (lg <= 20 ? 5 : 1);
        const runs: { s: Result; r: Result }[] = [];
        for (let rep = 0; rep < reps + (lg <= 20 ? 1 : 0); rep++) {
          const x = await call(client, server, task);
          if (lg <= 20 && rep === 0) continue; // warm-up
          runs.push(x);
        }
        const predicted =
          flavour === 'cot' || flavour === 'rot' || flavour === 'rcot'
            ? iknpCost.cot(nn)
            : flavour === 'ot'
              ? iknpCost.ot(nn, task.bits)
              : flavour === 'acot'
                ? iknpCost.acot(nn, 32)
                : iknpCost.otN(nn, 16, task.bits);
        const last = runs[runs.length - 1];
        const perParty = (pick: (x: { s: Result; r: Result }) => Result) => {
          const wall = median(runs.map((x) => pick(x).wall));
          const cpu = median(runs.map((x) => pick(x).cpu));
          return {
            wallSeconds: round(wall, 4),
            cpuSeconds: round(cpu, 4),
            otsPerSec: Math.round(nn / wall),
            otsPerCpuSec: Math.round(nn / cpu),
            ratioToPrgBaseline: round(nn / cpu / baseline),
          };
        };
        const entry = {
          transport,
          backend,
          flavour: flavour === 'otN' ? '1-of-16 OT' : flavour,
          log2n: lg,
          bitsPerMsg: task.bits,
          reps: runs.length,
          /** Whole process (both party workers), after the last run. */
          processRssMiB: Math.round(Math.max(last.s.rss, last.r.rss) / 2 ** 20),
          sender: perParty((x) => x.s),
          receiver: perParty((x) => x.r),
          bytesPerOt: {
            receiverToSender: last.s.bytesRecv / nn,
            senderToReceiver: last.s.bytesSent / nn,
            total: (last.s.bytesRecv + last.s.bytesSent) / nn,
            // IKNP's cost is stateless; Ferret's depends on the pools (checked in test/ot/cost.test.ts).
            matchesCostModel: backend === 'iknp' ? last.s.bytesRecv === predicted.bytesReceiverToSender && last.s.bytesSent === predicted.bytesSenderToReceiver : null,
          },
        };
        results.push(entry);
        process.stderr.write(`${transport} ${backend} ${entry.flavour} 2^${lg}: sender ${entry.sender.otsPerSec}/s (cpu ${entry.sender.otsPerCpuSec}/s), receiver ${entry.receiver.otsPerSec}/s (cpu ${entry.receiver.otsPerCpuSec}/s), ${entry.bytesPerOt.total} B/OT\n`);
      }
    }
    client.worker.postMessage({ exit: true });
    server.worker.postMessage({ exit: true });
    await Promise.all([new Promise((r) => client.worker.once('exit', r)), new Promise((r) => server.worker.once('exit', r))]);
  }
}

report('ot', { chunk, prgBaselineOtsPerSec: Math.round(baseline), targetCotPerSecPerPartyCore: 8e6, results });
