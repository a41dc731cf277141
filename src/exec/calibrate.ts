// Compute calibration for time predictions (src/opt/time.ts): a short benchmark on the running
// machine. Three small programs run securely with both parties in this process (as `run` does):
// one dominated by OT protocols, one by HE products, and one of many tiny steps. Their wall time
// over their predicted bytes gives seconds per byte for the OT and HE classes, and the tiny one
// the fixed cost of a step.
import { check } from '../front/index.ts';
import { lowerModel } from '../ir/lower.ts';
import type { IrProgram } from '../ir/ir.ts';
import { DimEnv } from '../ir/dim-env.ts';
import { predictSchedule, type ProgramCost } from '../opt/cost.ts';
import type { CommClass } from '../ir/ops/types.ts';
import type { Party } from '../transport/channel.ts';
import { buildSchedule, type Schedule } from '../opt/schedule.ts';
import type { ComputeModel } from '../opt/time.ts';
import { MemoryChannel } from '../transport/channel.ts';
import { SETUP_HE_SCOPE } from './engines.ts';
import { SessionEngines } from './engines.ts';
import { runBoth } from './run-both.ts';

const HEADER = `type F = fix<32, 12>\n`;

const PROGRAMS = {
  ot: `${HEADER}config { n = 16 d = 64 }
model ot_bulk {
  input x: client F[n, d]
  input t: server F
  let e = exp_hi(x - rowmax(x))
  let g = gelu_hi(x) * recip(rowsum(e))
  output count(colsum(g) > t) to client
}`,
  he: `${HEADER}config { n = 16 d = 64 f = 128 }
model he_bulk {
  input x: client ring<32>[n, d]
  input w: server ring<32>[d, f]
  input v: server ring<32>[f, d]
  output (x @ w) @ v to client
}`,
  steps: `${HEADER}config { n = 1 }
model tiny_steps {
  input x: client F[n]
  input t: server F
  let a = x * x
  let b = a * a
  let c = b * b
  let d = c * c
  let e = d * d
  let f = e * e
  output count(f > t) to client
}`,
};

function compileText(name: string, text: string): IrProgram {
  const r = check([{ path: `<calibration:${name}>`, text }]);
  if (!r.ok) throw new Error(`internal: calibration program ${name} does not check`);
  return lowerModel(r, r.models[0], {});
}

/** Deterministic small inputs (values in [-1, 1]). */
function inputsFor(p: IrProgram): Record<string, number[]> {
  const dims = new DimEnv();
  const out: Record<string, number[]> = {};
  let seed = 7;
  for (const inp of p.inputs) {
    const n = dims.shape(inp.type.shape).reduce((a, b) => a * b, 1);
    out[inp.name] = Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 30 - 1) * (inp.type.enc.kind === 'ring' ? 100 : 1));
  }
  return out;
}

interface Timing {
  seconds: number;
  bytes: number;
  steps: number;
  /** Setups the run included. */
  ot: boolean;
  he: boolean;
}

async function timed(p: IrProgram): Promise<Timing> {
  const s = buildSchedule(p);
  const run = await runBoth(p, inputsFor(p), MemoryChannel.pair(), { schedule: s });
  const c = predictSchedule(s, run.client.dims);
  const own = c.ops.flatMap((o) => o.flights).filter((f) => !f.setup);
  const setups = new Set(c.ops.flatMap((o) => o.flights).map((f) => f.setup));
  return { seconds: run.seconds, bytes: own.reduce((a, f) => a + f.c2s + f.s2c, 0), steps: c.ops.length, ot: setups.has('ot'), he: setups.has('he') };
}

/** Wall time of the session setups (both parties in this process). */
async function setupSeconds(): Promise<{ ot: number; he: number }> {
  const [c, s] = MemoryChannel.pair();
  const e = [new SessionEngines('client', c), new SessionEngines('server', s)];
  try {
    let t = performance.now();
    await Promise.all(e.map((x) => x.ot()));
    const ot = (performance.now() - t) / 1000;
    t = performance.now();
    await Promise.all(e.map((x) => x.he(32)));
    return { ot, he: (performance.now() - t) / 1000 };
  } finally {
    await Promise.all(e.map((x) => x.close()));
  }
}

/** Measure the compute model of this machine (a few seconds). */
export async function calibrateCompute(): Promise<ComputeModel> {
  const t0 = performance.now();
  const setup = await setupSeconds();
  const runs = [await timed(compileText('ot', PROGRAMS.ot)), await timed(compileText('he', PROGRAMS.he)), await timed(compileText('steps', PROGRAMS.steps))];
  const [ot, he, steps] = runs.map((r) => ({ ...r, seconds: Math.max(0, r.seconds - (r.ot ? setup.ot : 0) - (r.he ? setup.he : 0)) }));
  const perStep = steps.seconds / steps.steps;
  const perByte = (m: Timing) => Math.max(0, (m.seconds - perStep * m.steps) / m.bytes);
  return {
    perByte: { ot: perByte(ot), he: perByte(he), open: perByte(ot) },
    perStep,
    setup,
    source: `calibrated on this machine in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  };
}

/**
 * The compute model of one program, from a run of it on a simulated link that charged wall time
 * (SimLink.computeByScope): per communication class, the measured compute of its steps (both
 * parties) over their predicted bytes. A concurrent group's compute is shared among its members by
 * bytes; setup work stays in the class of the step that paid it (`setup` is zero). For predicting
 * later runs of the same program on other links (test/exec/time.test.ts).
 */
export function computeFromRun(s: Schedule, cost: ProgramCost, byScope: ReadonlyMap<string, Readonly<Record<Party, number>>>): ComputeModel {
  const seconds: Partial<Record<CommClass, number>> = {}, bytes: Partial<Record<CommClass, number>> = {}, client: Partial<Record<CommClass, number>> = {};
  const groupBytes = new Map<string, number>();
  for (const oc of cost.ops) groupBytes.set(oc.label, (groupBytes.get(oc.label) ?? 0) + oc.bytesC2S + oc.bytesS2C);
  for (const oc of cost.ops) {
    const cls = s.steps[oc.step].comm, b = oc.bytesC2S + oc.bytesS2C, c = byScope.get(oc.label);
    const all = groupBytes.get(oc.label)!;
    const part = all > 0 ? b / all : 1;
    seconds[cls] = (seconds[cls] ?? 0) + (c ? (c.client + c.server) * part : 0);
    client[cls] = (client[cls] ?? 0) + (c ? c.client * part : 0);
    bytes[cls] = (bytes[cls] ?? 0) + b;
  }
  const perByte: Partial<Record<CommClass, number>> = {};
  for (const k of Object.keys(seconds) as CommClass[]) perByte[k] = bytes[k]! > 0 ? seconds[k]! / bytes[k]! : 0;
  const clientShare: Partial<Record<CommClass, number>> = {};
  for (const k of Object.keys(seconds) as CommClass[]) clientShare[k] = seconds[k]! > 0 ? client[k]! / seconds[k]! : 0.5;
  // The HE key setup is booked under its own compute scope (engines.ts): per ring width, in the
  // setup flights the cost model lists, with its measured client share.
  const he = byScope.get(SETUP_HE_SCOPE), heSetups = cost.ops.reduce((a, oc) => a + (oc.flights.some((f) => f.setup === 'he') ? 1 : 0), 0);
  const heSeconds = he && heSetups > 0 ? (he.client + he.server) / heSetups : 0;
  const setupClientShare = he && he.client + he.server > 0 ? { he: he.client / (he.client + he.server) } : undefined;
  return { perByte, clientShare, perStep: 0, setup: { ot: 0, he: heSeconds }, setupClientShare, source: 'measured on a run of the same program' };
}
