// Ferret's bootstrap extension: IKNP against SoftSpokenOT (src/crypto/ot/softspoken.ts) for each
// k, in the same run, on n random COTs per call (default 47,709: one setup iteration's input).
//
//   npm run bench -- bootstrap [--n 47709] [--ks 2,4,8] [--reps 7]
//
// Both parties share one thread over an in-memory channel, so a call's CPU is both parties' work
// (process.threadCpuUsage, robust to other load; wall time beside). `cold`: the first call (for
// SoftSpokenOT it grows the trees and keys 2^k·128/k AES-CTR streams); `warm`: the median of
// `reps` further calls. Bytes: counted at the channel (receiver → sender), and the cost function's.
import { parseArgs } from 'node:util';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { IknpCot, iknpCost } from '../../src/crypto/ot/iknp.ts';
import { SoftSpokenCot, softSpokenCost } from '../../src/crypto/ot/softspoken.ts';
import { median, report } from '../lib.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '47709' }, ks: { type: 'string', default: '2,4,8' }, reps: { type: 'string', default: '7' } } });
const n = Number(values.n), reps = Number(values.reps), ks = values.ks.split(',').map(Number);

interface Pair {
  send(n: number): Promise<unknown>;
  recv(n: number): Promise<unknown>;
  setup(): Promise<unknown>;
  cost(first: boolean): number;
}

function make(k: number): { S: Pair; R: Pair; rc: MemoryChannel } {
  const [sc, rc] = MemoryChannel.pair();
  if (k === 0) {
    const S = new IknpCot(sc), R = new IknpCot(rc);
    const wrap = (c: IknpCot): Pair => ({ send: (m) => c.send(m), recv: (m) => c.recvRandom(m), setup: () => c.setup(), cost: () => iknpCost(n, c.chunk).bytesReceiverToSender });
    return { S: wrap(S), R: wrap(R), rc };
  }
  const S = new SoftSpokenCot(sc, { k }), R = new SoftSpokenCot(rc, { k });
  const wrap = (c: SoftSpokenCot): Pair => ({ send: (m) => c.sendRandom(m), recv: (m) => c.recvRandom(m), setup: () => c.setup(), cost: (first) => softSpokenCost(n, c.chunk, k, first).bytesReceiverToSender });
  return { S: wrap(S), R: wrap(R), rc };
}

async function call(S: Pair, R: Pair, rc: MemoryChannel) {
  const b0 = rc.totals.bytesSent, c0 = process.threadCpuUsage(), t0 = performance.now();
  await Promise.all([S.send(n), R.recv(n)]);
  const c = process.threadCpuUsage(c0);
  return { cpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - t0, bytes: rc.totals.bytesSent - b0 };
}

const results = [];
for (const k of [0, ...ks]) {
  const { S, R, rc } = make(k);
  await Promise.all([S.setup(), R.setup()]);
  const cold = await call(S, R, rc);
  const warm = [];
  for (let i = 0; i < reps; i++) warm.push(await call(S, R, rc));
  const name = k === 0 ? 'iknp' : `softspoken k=${k}`;
  results.push({
    name,
    n,
    bytesCold: cold.bytes,
    bytesColdPredicted: S.cost(true),
    bytesWarm: warm[0].bytes,
    bytesWarmPredicted: S.cost(false),
    coldCpuMs: +cold.cpuMs.toFixed(1),
    warmCpuMsMedian: +median(warm.map((w) => w.cpuMs)).toFixed(1),
    warmWallMsMedian: +median(warm.map((w) => w.wallMs)).toFixed(1),
  });
  process.stderr.write(`${name}: ${JSON.stringify(results.at(-1))}\n`);
}
const iknp = results[0];
report('bootstrap', results.map((r) => ({ ...r, bytesRatioToIknp: +(r.bytesCold / iknp.bytesCold).toFixed(4), warmCpuRatioToIknp: +(r.warmCpuMsMedian / iknp.warmCpuMsMedian).toFixed(2) })));
