// Thresholds fitted during a secure run to its own scores (src/exec/fit-thresholds.ts, what
// bench/e2e's pruned run uses): the run keeps exactly the wanted counts, kept and accurate, on the
// merged schedule, which hoists the server's local work on θ_l, θ_hi_l (reads, max, share,
// broadcast) to the program's start. Before the fitting followed the data flow it patched only
// the shares of θ_l and θ_hi_l, so the hoisted max(θ_l, θ_hi_l) kept KEEP_NONE and every layer
// revealed kh = 1. Real OT and HE on the tiny BERT (a few seconds).
import { describe, expect, it } from 'vitest';
import { fitThresholdsInRun } from '../../src/exec/fit-thresholds.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { dependsOn, thresholdDeps } from '../../src/interp/thresholds.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { DimEnv } from '../../src/ir/dim-env.ts';
import { opCall } from '../../src/ir/ops/call.ts';
import { opRow } from '../../src/ir/ops/table.ts';
import { ringOf } from '../../src/crypto/ring.ts';
import { fromReal } from '../../src/ir/twins.ts';
import { compile, pruneInputs } from './helpers.ts';

describe('thresholds fitted in a secure run (bench/e2e)', () => {
  const p = compile('protocols/bert.cpl', 'bert_cipherprune');
  const schedule = buildSchedule(p);
  const sp = schedule.program;

  it("the server's max(θ_l, θ_hi_l) depends on layer l's thresholds and is hoisted before the layer's scores", () => {
    const deps = thresholdDeps(sp);
    const order = schedule.steps.flatMap((st) => st.ops);
    const scores = sp.ops.filter((o) => o.op === 'colsum' && o.where.stack.includes('prune.importance') && o.where.loops[0] === 'l=1')[0];
    const max = sp.ops.find((o) => o.op === 'max' && o.type.vis === 'server' && o.where.loops[0] === 'l=1')!;
    expect(dependsOn(deps[max.id], 1)).toBe(true);
    expect(dependsOn(deps[max.id], 0)).toBe(false);
    // Hoisted: what made the fitting's old patching miss it.
    expect(order.indexOf(max.id)).toBeLessThan(order.indexOf(scores.id));
  });

  it('keeps exactly the wanted counts (kh = ceil(k / 2), not 1) and costs what is predicted', async () => {
    const want = [{ keep: 9, hi: 5 }, { keep: 5, hi: 3 }];
    const lines: string[] = [];
    const fit = fitThresholdsInRun(sp, 'first', (l) => want[l], (line) => lines.push(line));
    const inputs = { ...pruneInputs(p, 3), ...fit.inputs };
    const pair = MemoryChannel.pair();
    const run = await runBoth(p, inputs, pair, { schedule, trace: fit.trace });
    expect(run.client.revealed).toEqual({ 'k@l=0': 9, 'kh@l=0': 5, 'k@l=1': 5, 'kh@l=1': 3 });
    expect(run.server.revealed).toEqual(run.client.revealed);
    expect(lines).toHaveLength(2);
    const r = fit.result();
    expect(r.theta.every((t, l) => t < r.thetaHi[l] && t < 1000)).toBe(true);
    const predicted = predictSchedule(schedule, run.client.dims);
    expect([run.totals.client.bytesSent, run.totals.server.bytesSent, Math.max(run.totals.client.rounds, run.totals.server.rounds)]).toEqual([predicted.bytesC2S, predicted.bytesS2C, predicted.rounds]);
  }, 120_000);

  it('fails, naming the op, when an op that communicates used the thresholds before the scores were in', async () => {
    const fit = fitThresholdsInRun(sp, 'first', () => ({ keep: 3, hi: 2 }));
    const deps = thresholdDeps(sp);
    const dims = new DimEnv();
    // Layer 0's comparison of the scores with θ_0 (a protocol), traced before layer 0's scores.
    const cmp = sp.ops.find((o) => opRow(o.op).comm !== 'local' && o.type.vis === 'secret' && dependsOn(deps[o.id], 0))!;
    const call = opCall(sp, cmp, dims);
    await fit.trace.server(cmp, { ...call.type, data: null }, call);
    const score = sp.ops.find((o) => o.op === 'colsum' && o.where.stack.includes('prune.importance') && o.where.loops[0] === 'l=0')!;
    const sc = opCall(sp, score, dims).type;
    // Distinct scores 0, 1, ..., 15: the server's share holds them, the client's is zero.
    const server = { ...sc, data: fromReal(Array.from({ length: sc.shape[0] }, (_, i) => i), sc.enc, 'fixed') };
    const held = fit.trace.server(score, server, opCall(sp, score, dims));
    expect(held).toBeInstanceOf(Promise); // the server waits for the client's share
    fit.trace.client(score, { ...sc, data: ringOf((sc.enc as { ell: number }).ell).alloc(sc.shape[0]) }, opCall(sp, score, dims));
    await expect(held).rejects.toThrow(new RegExp(`layer 0's thresholds: %${cmp.id} ${cmp.op} \\(.*\\) already used them`));
  });
});
