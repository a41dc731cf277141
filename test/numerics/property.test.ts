// Property test over real OT: ≥ 500 random small programs over the prelude's ops (gen.ts), with
// random inputs of many magnitudes, some far outside the ops' safe ranges. For each program the
// fixed-point twin either reports a precondition error naming the op (and nothing runs), or the
// secure run's outputs equal the twin within the last op's stated error (TWIN_BOUNDS) and its
// bytes equal the prediction of the schedule it ran (merged). One OT session and one set of HE keys serve every program.
import { describe, expect, it } from 'vitest';
import { check } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import { interpret, InterpretError } from '../../src/interp/interpret.ts';
import type { DimEnv } from '../../src/ir/dim-env.ts';
import { ringOf } from '../../src/ir/tensor.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { opCall } from '../../src/ir/ops/call.ts';
import { makeCostParams, opRow } from '../../src/ir/ops/table.ts';
import { nonlinearParams } from '../../src/ir/ops/nonlinear.ts';
import { TWIN_BOUNDS } from '../../src/crypto/nonlinear/index.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { SessionEngines } from '../../src/exec/engines.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import type { IrOp, IrProgram } from '../../src/ir/ir.ts';
import type { Tensor } from '../../src/ir/tensor.ts';
import { generate, moduleText } from './gen.ts';

const COUNT = Number(process.env.CIPHERPRUNE_PROPERTY_PROGRAMS ?? 520);

/** Largest allowed |secure − twin| (raw units) for an output produced by `op`. */
function bound(p: IrProgram, op: IrOp, dims: DimEnv, twinRaw: number): number {
  const row = opRow(op.op);
  if (op.op in TWIN_BOUNDS) return TWIN_BOUNDS[op.op](twinRaw, nonlinearParams(op.op, opCall(p, op, dims)) as never);
  if (row.comm === 'ot' || row.comm === 'he') return op.type.enc.kind === 'fix' ? 1 : 0; // products with the secure truncation
  return 0;
}

function rawValues(t: Tensor): number[] {
  if (t.enc.kind === 'fix' || t.enc.kind === 'ring') return Array.from(ringOf(t.enc.ell).toSigned(t.data as never));
  return Array.from(t.data as ArrayLike<number>);
}

describe('property: random programs over the prelude, real OT', () => {
  it(`${COUNT} programs: the twin refuses with a precondition error naming the op, or secure == twin within the stated error`, { timeout: 600_000 }, async () => {
    const t0 = performance.now();
    const gen = generate(COUNT, 2026);
    const checked = check([{ path: 'generated.cpl', text: moduleText(gen) }]);
    expect(checked.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
    const [c, s] = MemoryChannel.pair();
    const engines = { client: new SessionEngines('client', c), server: new SessionEngines('server', s) };
    const params = makeCostParams(); // one session: setup is charged once, where it first happens
    const tally = { refused: 0, badInput: 0, ran: 0, outputs: 0, byOp: new Map<string, number>() };
    try {
      for (const g of gen) {
        const p = lowerModel(checked, checked.models.find((m) => m.name === g.name)!);
        let twin;
        try {
          twin = interpret(p, g.inputs, 'fixed');
        } catch (e) {
          expect(e, g.name).toBeInstanceOf(InterpretError);
          const err = e as InterpretError;
          if (err.range) {
            // A precondition: the message starts with the op's name; its location names it too.
            expect(err.message.startsWith(`${err.op!.op}: `), `${g.name}: ${err.message}`).toBe(true);
            expect(err.message).toContain(`= ${err.op!.op} (`);
            tally.refused++;
            tally.byOp.set(err.op!.op, (tally.byOp.get(err.op!.op) ?? 0) + 1);
          } else {
            expect(g.beyondEncoding, `${g.name}: ${err.message}`).toBe(true);
            expect(err.message).toMatch(/input 'x' element \d+ \(\[\d, \d\]\) = 600000 is outside the range/);
            tally.badInput++;
          }
          continue;
        }
        const before = { c: c.totals.bytesSent, s: s.totals.bytesSent };
        const run = await runBoth(p, g.inputs, [c, s], { engines });
        const predicted = predictSchedule(run.client.schedule, twin.dims, params);
        expect({ c2s: c.totals.bytesSent - before.c, s2c: s.totals.bytesSent - before.s }, g.name).toEqual({ c2s: predicted.bytesC2S, s2c: predicted.bytesS2C });
        for (const o of p.outputs) {
          const want = twin.outputs.find((x) => x.id === o.id)!.tensor;
          const got = run.client.outputs.find((x) => x.id === o.id)!.tensor;
          const last = p.ops[p.ops[o.id].args[0]];
          const w = rawValues(want), v = rawValues(got);
          for (let i = 0; i < w.length; i++) {
            const b = bound(p, last, twin.dims, w[i]);
            expect(Math.abs(v[i] - w[i]), `${g.name} output %${o.id} (${last.op}) element ${i}: secure ${v[i]} vs twin ${w[i]} (bound ${b})\n${g.text}`).toBeLessThanOrEqual(b);
          }
          tally.outputs++;
        }
        tally.ran++;
      }
    } finally {
      await engines.client.close();
      await engines.server.close();
    }
    const seconds = (performance.now() - t0) / 1000;
    if (process.env.CIPHERPRUNE_VERBOSE) console.log({ ...tally, byOp: Object.fromEntries(tally.byOp), seconds });
    expect(tally.ran + tally.refused + tally.badInput).toBe(COUNT);
    // Both outcomes are exercised in earnest.
    expect(tally.ran).toBeGreaterThan(COUNT / 3);
    expect(tally.refused).toBeGreaterThan(COUNT / 10);
    expect(tally.badInput).toBeGreaterThan(0);
  });
});
