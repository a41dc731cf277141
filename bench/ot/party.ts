// Bench only: one party of the OT benchmark, run in its own worker thread. Talks to the other
// party over a PortChannel (in-memory, transferred buffers) or a WsChannel on loopback, and to the
// coordinator (run.ts) over a control port: prepare → ready, go → result.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { randomFillSync } from 'node:crypto';
import type { Channel, Party } from '../../src/transport/channel.ts';
import { OtEngine } from '../../src/crypto/ot/engine.ts';
import { benchBackend } from './backend.ts';
import { msgBytes } from '../../src/crypto/ot/bits.ts';
import { hashProgram } from '../../src/transport/frame.ts';
import { connect } from '../../src/transport/ws-channel.ts';
import { listen } from '../../src/transport/ws-server.ts';
import { PortChannel } from '../port-channel.ts';

export interface Task {
  flavour: 'cot' | 'rcot' | 'rot' | 'ot' | 'otN' | 'acot';
  n: number;
  bits: number;
  N: number;
  /** Which party is the OT sender. */
  sender: Party;
}

const { party, transport, chunk, dataPort, backend: name } = workerData as { party: Party; transport: 'memory' | 'ws'; chunk?: number; dataPort?: MessagePort; backend: string };
const backend = benchBackend(name);
if (name === 'ferret:js-lpn') process.env.CIPHERPRUNE_LPN = 'js'; // read per LPN map (lpn.ts); this worker's env is its own
const control = parentPort!;
const HASH = hashProgram('bench/ot');

async function openChannel(): Promise<Channel> {
  if (transport === 'memory') return new PortChannel(party, dataPort!, { transfer: true });
  const opts = { programHash: HASH, keepaliveMs: 1000, idleTimeoutMs: 60_000 };
  if (party === 'server') {
    return new Promise<Channel>((resolve, reject) => {
      listen({ ...opts, onSession: (ch) => resolve(ch) }).then((srv) => control.postMessage({ url: srv.url }), reject);
    });
  }
  const url = await new Promise<string>((resolve) => control.once('message', (m: { url: string }) => resolve(m.url)));
  return connect(url, opts);
}

/** CPU time of this thread (user + system), seconds: robust to other load on the machine. */
const threadCpuSeconds = (): number => {
  const u = (process as unknown as { threadCpuUsage(): { user: number; system: number } }).threadCpuUsage();
  return (u.user + u.system) / 1e6;
};

const rand = (bytes: number): Uint8Array => {
  const out = new Uint8Array(bytes);
  for (let o = 0; o < bytes; o += 1 << 16) randomFillSync(out, o, Math.min(1 << 16, bytes - o));
  return out;
};

const ch = await openChannel();
const engine = new OtEngine(ch, { chunk, backend, inlineRefills: true }); // calls in the same order on both parties
let t0 = performance.now();
await engine.setup();
control.postMessage({ setupSeconds: (performance.now() - t0) / 1000 });

let prepared: () => Promise<unknown> = async () => undefined;
control.on('message', async (m: { prepare?: Task; go?: true; exit?: true }) => {
  if (m.exit) {
    ch.close();
    process.exit(0);
  }
  if (m.prepare) {
    const t = m.prepare;
    const isSender = t.sender === party;
    const s = msgBytes(t.bits);
    const choices = isSender ? null : rand(t.n).map((b) => (t.flavour === 'otN' ? b % t.N : b & 1));
    prepared = null as unknown as () => Promise<unknown>;
    if (t.flavour === 'cot') prepared = isSender ? () => engine.cotSend(t.n) : () => engine.cotRecv(choices!);
    else if (t.flavour === 'rcot') prepared = isSender ? () => engine.rcotSend(t.n) : () => engine.rcotRecv(t.n);
    else if (t.flavour === 'rot') prepared = isSender ? () => engine.rotSend(t.n, t.bits) : () => engine.rotRecv(choices!, t.bits);
    else if (t.flavour === 'acot') {
      const c = new Uint32Array(rand(4 * t.n).buffer);
      prepared = isSender ? () => engine.acotSend(32, c) : () => engine.acotRecv(32, choices!);
    } else if (t.flavour === 'ot') {
      const m0 = isSender ? rand(t.n * s) : null, m1 = isSender ? rand(t.n * s) : null;
      prepared = isSender ? () => engine.otSend(m0!, m1!, t.bits) : () => engine.otRecv(choices!, t.bits);
    } else {
      const msgs = isSender ? rand(t.n * t.N * s) : null;
      prepared = isSender ? () => engine.otNSend(msgs!, t.N, t.bits) : () => engine.otNRecv(choices!, t.N, t.bits);
    }
    control.postMessage({ ready: true });
    return;
  }
  if (m.go) {
    const before = { ...ch.totals };
    const cpu0 = threadCpuSeconds();
    t0 = performance.now();
    await prepared();
    await ch.flush();
    const wall = (performance.now() - t0) / 1000;
    const cpu = threadCpuSeconds() - cpu0;
    prepared = async () => undefined; // drop inputs/outputs before the next task
    control.postMessage({
      result: {
        wall,
        cpu,
        bytesSent: ch.totals.bytesSent - before.bytesSent,
        bytesRecv: ch.totals.bytesRecv - before.bytesRecv,
        rss: process.memoryUsage().rss,
      },
    });
  }
});
