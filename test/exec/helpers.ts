// Helpers for end-to-end execution tests: compile a CPL model, make deterministic inputs, and
// build channel pairs of each kind.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { check } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import type { InputValues } from '../../src/ir/dim-env.ts';
import { randomInputs } from '../../src/cli/inputs.ts';
import { calibrateThresholds, cut, widestCount, type Calibration, type Pinned } from '../../src/interp/thresholds.ts';
import { MemoryChannel, type Channel } from '../../src/transport/channel.ts';
import { SimChannel, NETWORKS } from '../../src/transport/sim-channel.ts';
import { wsPair } from '../runtime/helpers.ts';
import { ringOf, type RingArray } from '../../src/crypto/ring.ts';
import type { ExecValue } from '../../src/ir/ops/types.ts';
import type { Data } from '../../src/ir/tensor.ts';

export function compile(path: string, model?: string, config?: Record<string, number>, text?: string): IrProgram {
  const r = check([{ path, text }]);
  if (!r.ok) throw new Error(`${path} does not check`);
  const m = model ? r.models.find((x) => x.name === model)! : r.models[0];
  return lowerModel(r, m, { config });
}

/** Deterministic inputs (the same generator as `--random-inputs`). */
export const makeInputs = (p: IrProgram, seed = 1): InputValues => randomInputs(p, seed);

export type ChannelKind = 'memory' | 'sim' | 'ws';

export async function channelPair(kind: ChannelKind): Promise<{ pair: [Channel, Channel]; close: () => Promise<void> }> {
  if (kind === 'memory') return { pair: MemoryChannel.pair(), close: async () => {} };
  if (kind === 'sim') return { pair: SimChannel.pair(NETWORKS.wan), close: async () => {} };
  const ws = await wsPair();
  return { pair: [ws.client, ws.server], close: ws.close };
}

const BIN = resolve('bin/cipherprune.mjs');

/** The cipherprune command in a child process (in `cwd`), with its output collected. */
export function cli(args: string[], cwd?: string): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number> } {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  let out = '', err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? 128 : 1))));
  return { child, out: () => out, err: () => err, exit };
}

/** `cipherprune serve PROG --listen 127.0.0.1:0 ...` (in `cwd`), once it listens (ws or wss);
 * `addr` is its host:port. */
export async function startServerFor(prog: string, extra: string[], cwd?: string) {
  // --no-prepare: these tests are about the sessions; test/cli/serve-prepare.test.ts covers it.
  const s = cli(['serve', prog, '--listen', '127.0.0.1:0', '--no-prepare', ...extra], cwd);
  const deadline = Date.now() + 20_000;
  while (!/on wss?:\/\/127\.0\.0\.1:(\d+)/.test(s.out())) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${s.out()} ${s.err()}`);
    if (s.child.exitCode !== null) throw new Error(`server exited: ${s.err()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = /on wss?:\/\/127\.0\.0\.1:(\d+)/.exec(s.out())![1];
  return { ...s, addr: `127.0.0.1:${port}` };
}

/** Parse the `output to client ... = [..]` line. */
export const outputValues = (text: string) => JSON.parse(/output to client[^=]*= (\[[^\]]*\])/.exec(text)![1]) as number[];

/**
 * CipherPrune thresholds chosen from the reference for a test: about a third to two thirds of
 * the tokens kept, and a real split of the kept ones (neither only the pinned token nor all),
 * each at the widest gap between sorted scores (src/interp/thresholds.ts).
 */
export function calibrateForTest(p: IrProgram, inputs: InputValues, pinned: Pinned): Calibration {
  return calibrateThresholds(p, inputs, pinned, (_l, s) => {
    const pin = (n: number) => (pinned === 'first' ? 0 : n - 1);
    const keep = widestCount(s, pin(s.length), Math.max(1, Math.ceil(s.length / 3)), Math.max(1, Math.floor((2 * s.length) / 3)));
    const t = cut(s, pin(s.length), keep).theta;
    const kept = s.filter((v, i) => v > t || i === pin(s.length));
    return { keep, hi: keep < 3 ? keep : widestCount(kept, pin(kept.length), 2, keep - 1) };
  });
}

/** Random inputs for trying a CipherPrune model: LayerNorm gains 1 and no padding. */
export function pruneInputs(p: IrProgram, seed: number): InputValues {
  const inputs = randomInputs(p, seed);
  for (const k of Object.keys(inputs)) if (/_g$/.test(k)) inputs[k] = Array.from(inputs[k], () => 1);
  if (inputs.pad) inputs.pad = Array.from(inputs.pad, () => 0);
  return inputs;
}

/** |secure − reference| of an importance score, in ULP (2^-12): a sum over heads and query rows
 * of h·n attention probabilities, each within a few ULP of its twin (rows with the low-degree
 * exp: up to 32). Measured ≤ 79 over 20 inputs per model and channel before issue 10's encodings,
 * ≤ 41 (BERT) and ≤ 28.5 (GPT-2) after. */
export const SCORE_ERR = 128;

/** The value both parties' trace entries make: XOR or ring sum of shares (secret integers: Z_2^32), or the public value. */
export function openTrace(c: ExecValue, s: ExecValue): Data {
  if (c.vis !== 'secret') return (c.data ?? s.data)!;
  if (c.enc.kind === 'bool') return (c.data as Uint8Array).map((v, i) => v ^ (s.data as Uint8Array)[i]);
  const sum = ringOf(c.enc.kind === 'int' ? 32 : (c.enc as { ell: number }).ell).add(c.data as RingArray, s.data as RingArray);
  return c.enc.kind === 'int' ? Float64Array.from(sum as Uint32Array, (v) => v | 0) : sum;
}

/** Record the largest message each end receives. */
export function recording(ch: Channel): { ch: Channel; largest: () => number } {
  let largest = 0;
  const recv = ch.recv.bind(ch);
  ch.recv = async () => {
    const m = await recv();
    largest = Math.max(largest, m.byteLength);
    return m;
  };
  return { ch, largest: () => largest };
}
