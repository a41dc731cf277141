// End to end through the executor: programs of local ops, reveals, outputs and HE products
// give exactly the fixed-point twin's result over the in-memory, simulated and ws channels,
// merged and unmerged, and the bytes and rounds measured at the channel equal the op table's
// prediction, per step and in total.
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/twins.ts';
import { predictSchedule, type ProgramCost } from '../../src/opt/cost.ts';
import { makeCostParams } from '../../src/ir/ops/table.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { verifyIr } from '../../src/ir/verify.ts';
import { runBoth, type BothResult } from '../../src/exec/run-both.ts';
import type { OtChoice } from '../../src/crypto/ot/backends.ts';
import { TOY_SCHEDULE } from '../ot/helpers.ts';
import { channelPair, compile, makeInputs, type ChannelKind } from './helpers.ts';

// `tolerance`: largest allowed |secure - twin| in real units. 0: bit-exact. The layer uses
// protocols with stated errors against their twins (truncation: 1 ULP; exp/GELU/tanh: a few
// ULPs; recip/rsqrt: relative 2^-(s-1)), which the layer's later ops propagate.
const programs = [
  { file: 'test/exec/programs/local.cpl', name: 'local ops, reveals, outputs', tolerance: 0 },
  { file: 'test/exec/programs/he.cpl', name: 'HE product', tolerance: 0 },
  { file: 'test/exec/programs/layer.cpl', name: 'a fixed-point layer (HE, OT, nonlinear functions)', tolerance: 0.02 },
  // sigmoid and SiLU: ±2^(s−7) ULP from their twins (TWIN_BOUNDS); the rest is exact.
  { file: 'test/exec/programs/primitives.cpl', name: "researchers' primitives", tolerance: 32 * 2 ** -12 * 6 },
  // Products by row and trailing vectors left unexpanded: each product ≤ 1 ULP from its twin's,
  // on operands (div_sp, mul_sp: ≤ 1 ULP each) below 4 in magnitude: 4 + 4 + 1 ULP.
  { file: 'test/exec/programs/broadcast.cpl', name: 'products by a broadcast vector', tolerance: 9 * 2 ** -12 },
  // The secure embedding lookup is exact (docs/lookup.md).
  { file: 'test/exec/programs/lookup.cpl', name: 'embedding lookups', tolerance: 0 },
];

/** Measured == predicted, per step (per concurrent group: its members' bytes summed) and in total. */
function expectPredicted(run: BothResult, predicted: ProgramCost): void {
  const byLabel = new Map<string, { c2s: number; s2c: number; rc: number; rs: number }>();
  for (const oc of predicted.ops) {
    const e = byLabel.get(oc.label) ?? { c2s: 0, s2c: 0, rc: oc.rounds.client, rs: oc.rounds.server };
    byLabel.set(oc.label, { ...e, c2s: e.c2s + oc.bytesC2S, s2c: e.s2c + oc.bytesS2C });
  }
  for (const [label, want] of byLabel) {
    const c = run.client.byScope.get(label);
    const s = run.server.byScope.get(label);
    expect({ op: label, c2s: c?.bytesSent ?? 0, s2c: s?.bytesSent ?? 0, rc: c?.rounds ?? 0, rs: s?.rounds ?? 0 }).toEqual({ op: label, ...want });
  }
  expect(run.totals.client.bytesSent).toBe(predicted.bytesC2S);
  expect(run.totals.server.bytesSent).toBe(predicted.bytesS2C);
  expect(Math.max(run.totals.client.rounds, run.totals.server.rounds)).toBe(predicted.rounds);
}

/** Run on both parties, check outputs against the twin and measured == predicted. */
async function checkRun(p: ReturnType<typeof compile>, inputs: ReturnType<typeof makeInputs>, tolerance: number, kind: ChannelKind, merge: boolean, ot?: OtChoice): Promise<BothResult> {
  const twin = interpret(p, inputs, 'fixed');
  const schedule = buildSchedule(p, { merge });
  const { pair, close } = await channelPair(kind);
  try {
    const run = await runBoth(p, inputs, pair, { schedule, ot });
    // Outputs reach only their recipient, and equal the twin exactly.
    for (const o of p.outputs) {
      const want = twin.outputs.find((x) => x.id === o.id)!.tensor;
      const mine = run[o.to].outputs.find((x) => x.id === o.id);
      const other = run[o.to === 'client' ? 'server' : 'client'].outputs.find((x) => x.id === o.id);
      expect(mine, `output %${o.id} reaches the ${o.to}`).toBeDefined();
      expect(other, `output %${o.id} does not reach the other party`).toBeUndefined();
      expect(mine!.tensor.shape).toEqual(want.shape);
      if (tolerance === 0) expect(Array.from(mine!.tensor.data as ArrayLike<number | bigint>)).toEqual(Array.from(want.data as ArrayLike<number | bigint>));
      else {
        const got = realValues(mine!.tensor, 'fixed');
        const exp = realValues(want, 'fixed');
        const worst = Math.max(...got.map((v, i) => Math.abs(v - exp[i])));
        expect(worst, `output %${o.id}: max |secure - twin|`).toBeLessThanOrEqual(tolerance);
      }
    }
    // Measured == predicted, per step (per concurrent group) and in total.
    const predicted = predictSchedule(schedule, twin.dims, makeCostParams({ ot }));
    expectPredicted(run, predicted);
    expect(predicted.rounds).toBeGreaterThan(0);
    return run;
  } finally {
    await close();
  }
}

describe.each(programs)('$name', ({ file, tolerance }) => {
  const p = compile(file);
  const inputs = makeInputs(p, 3);

  it('verifies', () => {
    expect(verifyIr(p)).toEqual([]);
  });

  it.each([
    ['memory', true], ['sim', true], ['ws', true], ['memory', false],
  ] as [ChannelKind, boolean][])('matches the fixed-point twin and the cost prediction over %s (merged: %s)', async (kind, merge) => {
    await checkRun(p, inputs, tolerance, kind, merge);
  });

  // Ferret refills between schedule steps, sized from each step's cost functions (docs/ot.md,
  // "Refills between steps"); toy LPN parameters (tests only) refill many times in one program.
  it.each([
    ['ferret', true], ['toy', false],
  ] as const)('with the Ferret backend (%s, merged: %s): the twin and the cost prediction', async (which, merge) => {
    const ot: OtChoice = which === 'toy' ? { backend: 'ferret', schedule: TOY_SCHEDULE } : 'ferret';
    await checkRun(p, inputs, tolerance, 'memory', merge, ot);
  });
});

describe('failures during a run', () => {
  it('a program error on one party stops both quickly, with the op and source location', async () => {
    const p = compile('test/exec/programs/he.cpl');
    const inputs = makeInputs(p, 3);
    inputs.x = Array.from(inputs.x).slice(1); // wrong size: the client fails on its input
    for (const kind of ['memory', 'ws'] as ChannelKind[]) {
      const { pair, close } = await channelPair(kind);
      const t0 = Date.now();
      try {
        await expect(runBoth(p, inputs, pair)).rejects.toThrow(/input 'x' has 14 values.*\n  at %0 = input \(test\/exec\/programs\/he.cpl:9:3\)/s);
        expect(Date.now() - t0).toBeLessThan(5000);
      } finally {
        await close();
      }
    }
  });

  it('an op the secure path cannot run is reported by name before anything runs', async () => {
    // partition with a count that is not a size: its cost would be unknown, so it is refused.
    const p = compile('test/exec/programs/prune-count.cpl', 'not_a_size');
    const { pair } = await channelPair('memory');
    await expect(runBoth(p, makeInputs(p), pair)).rejects.toThrow(/cannot run securely yet: 1 op \(partition\)[\s\S]*prune-count\.cpl:35/);
    expect(pair[0].totals.bytesSent + pair[1].totals.bytesSent).toBe(0);
  });
});
