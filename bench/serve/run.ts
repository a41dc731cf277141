// npm run bench -- serve [--quick] [--inferences N] [--drops N] [--idle N] [--program FILE]
// Soak test of `cipherprune serve` on loopback (issue 14): one real server process, clients in
// this process. Phases, in order: warm-up; N consecutive inferences (RSS growth after warm-up);
// connect-and-drop sessions that fail during HE setup (RSS back to the baseline); idle sessions
// that only answer pings (closed at the idle timeout); 4 concurrent clients (all correct); one
// client announcing an oversized message (refused at the first frame). The server's RSS is
// sampled every 250 ms throughout; targets are checked in `targets`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { WebSocket } from 'ws';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/twins.ts';
import { randomInputs } from '../../src/cli/inputs.ts';
import { compileProgram } from '../../src/cli/program.ts';
import { programHash } from '../../src/ir/hash.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import { execute } from '../../src/exec/executor.ts';
import { FLAG_MORE, FrameType, PROTOCOL_VERSION, encodeFrame, encodeHello } from '../../src/transport/frame.ts';
import { connect, type WsChannel } from '../../src/transport/ws-channel.ts';
import { median, report } from '../lib.ts';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const quick = process.argv.includes('--quick');
const PROGRAM = (() => {
  const i = process.argv.indexOf('--program');
  return i > 0 ? process.argv[i + 1] : 'test/exec/programs/he.cpl';
})();
const INFERENCES = arg('inferences', quick ? 30 : 100);
const WARMUP = arg('warmup', 5);
const DROPS = arg('drops', 20);
const IDLE = arg('idle', 50);
const CONCURRENT = 4, PER_CLIENT = quick ? 3 : 5;
// The server's idle timeout for the whole soak. It also bounds how long the server waits while a
// client computes (key generation before its first HE message takes 1-2 s on a loaded machine).
const IDLE_TIMEOUT_S = 5;
const SERVER_SEED = 7;
const MiB = 2 ** 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// All clients share this process's event loop, so one client's HE work delays the others' timers:
// generous client-side bounds keep the figures about the server.
const CLIENT = { handshakeTimeoutMs: 60_000, idleTimeoutMs: 30_000 };

// ---- the server process and its RSS ----

async function startServer() {
  const bin = resolve('bin/cipherprune.mjs');
  // The default handshake deadline (5 s): idle clients send no HE key, so the server does no HE
  // work for them and all 50 handshakes complete at once.
  const args = ['serve', PROGRAM, '--listen', '127.0.0.1:0', '--random-inputs', String(SERVER_SEED), '--idle-timeout', String(IDLE_TIMEOUT_S), '--max-sessions', String(IDLE + 8)];
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const deadline = Date.now() + 60_000;
  let m: RegExpExecArray | null;
  while (!(m = /on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${out}${err}`);
    await sleep(50);
  }
  return { child, url: `ws://127.0.0.1:${m[1]}`, log: () => out + err };
}

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

// ---- clients ----

interface Run {
  ok: boolean;
  seconds: number;
  maxError: number;
  error?: string;
}

function expected(p: IrProgram, clientSeed: number): Float64Array {
  const inputs = { ...randomInputs(p, clientSeed, 'client'), ...randomInputs(p, SERVER_SEED, 'server') };
  const twin = interpret(p, inputs, 'fixed');
  return realValues(twin.outputs.find((o) => o.to === 'client')!.tensor, 'fixed');
}

async function inference(p: IrProgram, url: string, hash: Uint8Array, seed: number): Promise<Run> {
  const t0 = performance.now();
  let ch: WsChannel | null = null;
  try {
    ch = await connect(url, { programHash: hash, ...CLIENT });
    const res = await execute(p, { party: 'client', ch, inputs: randomInputs(p, seed, 'client') });
    const got = realValues(res.outputs[0].tensor, 'fixed');
    const want = expected(p, seed);
    const maxError = Math.max(...got.map((v, i) => Math.abs(v - want[i])));
    return { ok: maxError === 0, seconds: (performance.now() - t0) / 1000, maxError };
  } catch (e) {
    return { ok: false, seconds: (performance.now() - t0) / 1000, maxError: NaN, error: (e as Error).message.split('\n')[0] };
  } finally {
    ch?.close();
  }
}

/** A client that sends its first message, then drops the connection when it is about to send
 * the second (its HE public key): the server fails in HE setup, with its context allocated. */
async function connectAndDrop(p: IrProgram, url: string, hash: Uint8Array, seed: number): Promise<string> {
  const ch = await connect(url, { programHash: hash, ...CLIENT });
  const send = ch.send.bind(ch);
  let sent = 0;
  ch.send = (m) => {
    if (++sent === 2) return ch.destroy();
    send(m);
  };
  try {
    await execute(p, { party: 'client', ch, inputs: randomInputs(p, seed, 'client') });
    return 'finished';
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/** Idle sessions: a real client that completes the handshake, answers pings and sends nothing.
 * `waited` is the server's own measure of the idle time when it closed the session. */
async function idleSession(url: string, hash: Uint8Array): Promise<{ closedAfter: number; waited: number; kind: string }> {
  let ch: WsChannel;
  try {
    ch = await connect(url, { programHash: hash, ...CLIENT, waitTimeoutMs: 0 });
  } catch (e) {
    return { closedAfter: NaN, waited: NaN, kind: `handshake failed: ${(e as Error).message}` };
  }
  const t0 = Date.now();
  const err = await ch.ended;
  const waited = Number(/waited ([\d.]+) s/.exec(err.message)?.[1] ?? NaN);
  return { closedAfter: (Date.now() - t0) / 1000, waited, kind: err.kind };
}

/** A raw client that completes the handshake and announces a 1 GiB message in a 1 KiB frame. */
async function oversized(url: string, hash: Uint8Array): Promise<{ refusedAfterMs: number; closedAfterMs: number; closeCode: number; reason: string }> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('error', () => {});
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const session = 99;
  const frame = (type: number, flags: number, seq: number, round: number, payload: Uint8Array, total = payload.byteLength) =>
    encodeFrame({ version: PROTOCOL_VERSION, type, flags, session, seq, round, total }, payload);
  const helloBack = new Promise((r) => ws.once('message', r));
  ws.send(frame(FrameType.HELLO, 0, 0, 0, encodeHello({ role: 'client', maxFrameBytes: 1 << 20, programHash: hash })));
  await helloBack;
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  const refused = new Promise<number>((r) => ws.once('message', () => r(performance.now()))); // the server's ERROR frame
  const t0 = performance.now();
  ws.send(frame(FrameType.DATA, FLAG_MORE, 1, 1, new Uint8Array(1024), 2 ** 30));
  const [at, c] = await Promise.all([refused, closed]);
  return { refusedAfterMs: at - t0, closedAfterMs: performance.now() - t0, closeCode: c.code, reason: c.reason };
}

// ---- the soak ----

const io = { out: () => {}, err: (s: string) => process.stderr.write(s), color: false, tty: false };
const p = compileProgram(PROGRAM, {}, io);
const hash = programHash(p);
const srv = await startServer();
const pid = srv.child.pid!;
process.on('exit', () => srv.child.kill('SIGTERM')); // however this process ends, the server goes too
const samples: { t: number; phase: string; rssMiB: number }[] = [];
let phase = 'start';
const t00 = Date.now();
const sample = () => samples.push({ t: (Date.now() - t00) / 1000, phase, rssMiB: rssMiB(pid) });
const sampler = setInterval(sample, 250);
const log = (s: string) => process.stderr.write(`[serve bench] ${s}\n`);

try {
  sample();
  const loadStart = loadavg();
  const startRss = rssMiB(pid);
  phase = 'warmup';
  for (let i = 0; i < WARMUP; i++) await inference(p, srv.url, hash, 1000 + i);
  await sleep(500);
  const afterWarmup = rssMiB(pid);
  log(`warm-up done: RSS ${startRss.toFixed(1)} -> ${afterWarmup.toFixed(1)} MiB`);

  phase = 'sequential';
  const seq: Run[] = [];
  const seqRss: number[] = [];
  const seqT0 = performance.now();
  for (let i = 0; i < INFERENCES; i++) {
    seq.push(await inference(p, srv.url, hash, i + 1));
    seqRss.push(rssMiB(pid));
  }
  const seqSeconds = (performance.now() - seqT0) / 1000;
  await sleep(500);
  const afterSeq = rssMiB(pid);
  log(`${INFERENCES} inferences: RSS ${afterWarmup.toFixed(1)} -> ${afterSeq.toFixed(1)} MiB, ${seq.filter((r) => r.ok).length} correct`);

  phase = 'connect-and-drop';
  const beforeDrops = rssMiB(pid);
  const drops: string[] = [];
  for (let i = 0; i < DROPS; i++) drops.push(await connectAndDrop(p, srv.url, hash, 5000 + i));
  await sleep(1000);
  const afterDrops = rssMiB(pid);
  log(`${DROPS} connect-and-drop sessions: RSS ${beforeDrops.toFixed(1)} -> ${afterDrops.toFixed(1)} MiB`);

  phase = 'idle';
  const beforeIdle = rssMiB(pid);
  const idle = await Promise.all(Array.from({ length: IDLE }, () => idleSession(srv.url, hash)));
  await sleep(500);
  const afterIdle = rssMiB(pid);
  log(`${IDLE} idle sessions closed after waiting ${median(idle.map((x) => x.waited)).toFixed(2)} s (median; ${median(idle.map((x) => x.closedAfter)).toFixed(2)} s after connecting); RSS ${beforeIdle.toFixed(1)} -> ${afterIdle.toFixed(1)} MiB`);

  phase = 'concurrent';
  const concT0 = performance.now();
  const clients = await Promise.all(
    Array.from({ length: CONCURRENT }, async (_, c) => {
      const runs: Run[] = [];
      for (let i = 0; i < PER_CLIENT; i++) runs.push(await inference(p, srv.url, hash, 100 * (c + 1) + i));
      return { client: c, runs: runs.length, correct: runs.filter((r) => r.ok).length, medianSeconds: median(runs.map((r) => r.seconds)), errors: runs.flatMap((r) => (r.error ? [r.error] : [])) };
    }),
  );
  const concSeconds = (performance.now() - concT0) / 1000;
  log(`${CONCURRENT} concurrent clients: ${clients.map((c) => `${c.correct}/${c.runs}`).join(', ')} correct`);

  phase = 'oversized';
  const beforeBig = rssMiB(pid);
  const probes = [];
  for (let i = 0; i < 5; i++) probes.push(await oversized(srv.url, hash));
  await sleep(300);
  const afterBig = rssMiB(pid);
  const big = { ...probes[0], refusedAfterMs: median(probes.map((b) => b.refusedAfterMs)), allRefusedAfterMs: probes.map((b) => +b.refusedAfterMs.toFixed(1)), closeCodes: probes.map((b) => b.closeCode) };
  log(`oversized message refused after ${big.refusedAfterMs.toFixed(1)} ms (median of 5; close codes ${big.closeCodes.join(', ')}); RSS ${beforeBig.toFixed(1)} -> ${afterBig.toFixed(1)} MiB`);
  sample();

  const growth = (afterSeq - afterWarmup) / afterWarmup;
  const dropDelta = (afterDrops - beforeDrops) / beforeDrops;
  const idleDelta = (afterIdle - beforeIdle) / beforeIdle;
  report('serve', {
    program: PROGRAM,
    // the machine is shared: load average (1, 5, 15 min) when the soak started and ended
    loadavg: { start: loadStart.map((x) => +x.toFixed(2)), end: loadavg().map((x) => +x.toFixed(2)) },
    config: { inferences: INFERENCES, warmup: WARMUP, drops: DROPS, idle: IDLE, concurrent: CONCURRENT, perClient: PER_CLIENT, idleTimeoutSeconds: IDLE_TIMEOUT_S },
    rssMiB: { start: startRss, afterWarmup, afterSequential: afterSeq, beforeDrops, afterDrops, beforeIdle, afterIdle, beforeOversized: beforeBig, afterOversized: afterBig, peak: Math.max(...samples.map((s) => s.rssMiB)) },
    sequential: { runs: seq.length, correct: seq.filter((r) => r.ok).length, errors: [...new Set(seq.flatMap((r) => (r.error ? [r.error] : [])))], medianSeconds: median(seq.map((r) => r.seconds)), sessionsPerHour: Math.round((seq.length / seqSeconds) * 3600), rssMiBAfterEach: seqRss.map((x) => +x.toFixed(1)) },
    drops: { sessions: DROPS, clientErrors: [...new Set(drops)] },
    idle: {
      sessions: IDLE,
      serverWaitedSeconds: { min: Math.min(...idle.map((x) => x.waited)), median: median(idle.map((x) => x.waited)), max: Math.max(...idle.map((x) => x.waited)) },
      closedAfterConnectSeconds: { min: Math.min(...idle.map((x) => x.closedAfter)), median: median(idle.map((x) => x.closedAfter)), max: Math.max(...idle.map((x) => x.closedAfter)) },
      kinds: Object.fromEntries([...new Set(idle.map((x) => x.kind))].map((k) => [k, idle.filter((x) => x.kind === k).length])),
    },
    concurrent: { clients, sessionsPerHour: Math.round(((CONCURRENT * PER_CLIENT) / concSeconds) * 3600) },
    oversized: big,
    targets: {
      rssGrowthAfterWarmup: { value: growth, limit: 0.1, ok: growth < 0.1 },
      allSequentialCorrect: seq.every((r) => r.ok),
      concurrentAllCorrect: clients.every((c) => c.correct === c.runs),
      // closed by the idle rule, within one watchdog tick (timeout / 8) plus scheduling slack
      idleClosedAtTimeout: idle.every((x) => x.kind === 'timeout' && x.waited >= IDLE_TIMEOUT_S && x.waited < IDLE_TIMEOUT_S * 1.25 + 0.25),
      dropsLeaveNoMemory: { value: dropDelta, limit: 0.1, ok: Math.abs(dropDelta) < 0.1 },
      idleSessionsLeaveNoMemory: { value: idleDelta, limit: 0.1, ok: Math.abs(idleDelta) < 0.1 },
      // the client sent one 1 KiB frame of a 1 GiB message and nothing more: any refusal is at the header
      oversizedRefusedAtHeader: big.closeCodes.every((c) => c === 4003),
    },
    rssOverTime: samples.map((s) => ({ ...s, rssMiB: +s.rssMiB.toFixed(1) })),
  });
} finally {
  clearInterval(sampler);
  srv.child.kill('SIGTERM');
}
