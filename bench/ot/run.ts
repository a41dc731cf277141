// OT benchmark: OTs per second per party and bytes per OT for COT, ROT, chosen-message OT,
// 1-of-16 OT (and arithmetic COT over Z_2^32), each party in its own worker thread, over an
// in-memory channel (MessagePort, transferred buffers) and over ws on loopback.
//
//   npm run bench -- ot [--log2 20,24] [--transport memory,ws] [--flavours cot,rot,ot,otN,acot]
//                       [--reps 3] [--chunk 131072]
//
// Per party: `otsPerSec` = n / wall time of its call (includes waiting for the peer);
// `otsPerCpuSec` = n / the CPU time of its thread (process.threadCpuUsage), i.e. per party core;
// robust to other load on the machine, unlike wall time.
// Baseline measured in the same run: AES-128-CTR producing 32 bytes per OT (the receiver's PRG
// work alone) on the coordinator thread, in wall time; `ratioToPrgBaseline` = per-party CPU
// rate / that rate.
import { Worker, MessageChannel } from 'node:worker_threads';
import { createCipheriv, randomBytes } from 'node:crypto';
import { median, report, timeit } from '../lib.ts';
import { makeOtCost } from '../../src/crypto/ot/cost.ts';
import { DEFAULT_CHUNK } from '../../src/crypto/ot/iknp.ts';
import type { Task } from './party.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const log2s = arg('log2', '20,24').split(',').map(Number);
const transports = arg('transport', 'memory,ws').split(',') as ('memory' | 'ws')[];
const flavours = arg('flavours', 'cot,rot,ot,otN,acot').split(',') as Task['flavour'][];
const repsArg = Number(arg('reps', '0'));
const chunk = Number(arg('chunk', String(DEFAULT_CHUNK)));
const cost = makeOtCost(chunk);

const BITS: Record<Task['flavour'], number> = { cot: 128, rot: 128, ot: 128, otN: 8, acot: 32 };

type Result = { wall: number; cpu: number; bytesSent: number; bytesRecv: number; rss: number };

interface Party {
  worker: Worker;
  next(): Promise<Record<string, unknown>>;
}

function spawn(party: 'client' | 'server', transport: string, dataPort?: unknown): Party {
  const worker = new Worker(new URL('./party.ts', import.meta.url), {
    workerData: { party, transport, chunk, dataPort },
    transferList: dataPort ? [dataPort as never] : [],
  });
  const inbox: Record<string, unknown>[] = [];
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  worker.on('message', (m) => (waiters.length ? waiters.shift()!(m) : inbox.push(m)));
  worker.on('error', (e) => {
    process.stderr.write(`worker ${party} failed: ${e.stack ?? e}\n`);
    process.exit(1);
  });
  return { worker, next: () => (inbox.length ? Promise.resolve(inbox.shift()!) : new Promise((r) => waiters.push(r))) };
}

async function prgBaseline(n: number): Promise<number> {
  const z = new Uint8Array(n / 8);
  const t = await timeit(() => {
    for (let j = 0; j < 256; j++) createCipheriv('aes-128-ctr', randomBytes(16), new Uint8Array(16)).update(z);
  }, 5);
  return n / t.median;
}

const results: unknown[] = [];
const baseline = await prgBaseline(1 << 20);

for (const transport of transports) {
  let client: Party, server: Party;
  if (transport === 'memory') {
    const { port1, port2 } = new MessageChannel();
    client = spawn('client', transport, port1);
    server = spawn('server', transport, port2);
  } else {
    server = spawn('server', transport);
    client = spawn('client', transport);
    const { url } = (await server.next()) as { url: string };
    client.worker.postMessage({ url });
  }
  const setup = await Promise.all([client.next(), server.next()]);
  results.push({ transport, step: 'setup (base OTs both ways)', seconds: setup.map((s) => s.setupSeconds) });

  for (const lg of log2s) {
    const n = 2 ** lg;
    for (const flavour of flavours) {
      const task: Task = { flavour, n, bits: BITS[flavour], N: 16, sender: 'server' };
      const reps = repsArg || (lg <= 20 ? 5 : 1);
      const runs: { s: Result; r: Result }[] = [];
      for (let rep = 0; rep < reps + (lg <= 20 ? 1 : 0); rep++) {
        client.worker.postMessage({ prepare: task });
        server.worker.postMessage({ prepare: task });
        await Promise.all([client.next(), server.next()]);
        client.worker.postMessage({ go: true });
        server.worker.postMessage({ go: true });
        const [c, s] = await Promise.all([client.next(), server.next()]);
        if (lg <= 20 && rep === 0) continue; // warm-up
        runs.push({ s: s.result as Result, r: c.result as Result });
      }
      const predicted =
        flavour === 'cot' || flavour === 'rot'
          ? cost.cot(n)
          : flavour === 'ot'
            ? cost.ot(n, task.bits)
            : flavour === 'acot'
              ? cost.acot(n, 32)
              : cost.otN(n, 16, task.bits);
      const last = runs[runs.length - 1];
      const perParty = (pick: (x: { s: Result; r: Result }) => Result) => {
        const wall = median(runs.map((x) => pick(x).wall));
        const cpu = median(runs.map((x) => pick(x).cpu));
        return {
          wallSeconds: +wall.toFixed(4),
          cpuSeconds: +cpu.toFixed(4),
          otsPerSec: Math.round(n / wall),
          otsPerCpuSec: Math.round(n / cpu),
          ratioToPrgBaseline: +(n / cpu / baseline).toFixed(3),
        };
      };
      const entry = {
        transport,
        flavour: flavour === 'otN' ? '1-of-16 OT' : flavour,
        log2n: lg,
        bitsPerMsg: task.bits,
        reps: runs.length,
        /** Whole process (both party workers), after the last run. */
        processRssMiB: Math.round(Math.max(last.s.rss, last.r.rss) / 2 ** 20),
        sender: perParty((x) => x.s),
        receiver: perParty((x) => x.r),
        bytesPerOt: {
          receiverToSender: last.s.bytesRecv / n,
          senderToReceiver: last.s.bytesSent / n,
          total: (last.s.bytesRecv + last.s.bytesSent) / n,
          matchesCostModel: last.s.bytesRecv === predicted.bytesReceiverToSender && last.s.bytesSent === predicted.bytesSenderToReceiver,
        },
      };
      results.push(entry);
      process.stderr.write(`${transport} ${entry.flavour} 2^${lg}: sender ${entry.sender.otsPerSec}/s (cpu ${entry.sender.otsPerCpuSec}/s), receiver ${entry.receiver.otsPerSec}/s (cpu ${entry.receiver.otsPerCpuSec}/s), ${entry.bytesPerOt.total} B/OT\n`);
    }
  }
  client.worker.postMessage({ exit: true });
  server.worker.postMessage({ exit: true });
  await Promise.all([new Promise((r) => client.worker.once('exit', r)), new Promise((r) => server.worker.once('exit', r))]);
}

report('ot', { chunk, prgBaselineOtsPerSec: Math.round(baseline), targetCotPerSecPerPartyCore: 8e6, results });
