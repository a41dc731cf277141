// The bundled dense models run securely end to end (tiny default config, random weights), with
// rounds merged and unmerged: the client's logits match the fixed-point twin and float64
// closely, and the measured bytes and rounds equal the prediction of the schedule that ran.
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/twins.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { compile, makeInputs } from './helpers.ts';

const maxDiff = (a: Float64Array, b: Float64Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

describe.each([
  ['protocols/bert.cpl', 'bert_dense'],
  ['protocols/gpt2.cpl', 'gpt2_dense'],
])('%s %s', (file, model) => {
  it.each([true, false])('runs securely (merged: %s); logits within 0.005 of the fixed-point twin and 0.02 of float64; cost as predicted', async (merge) => {
    const p = compile(file, model);
    const inputs = makeInputs(p, 3);
    const schedule = buildSchedule(p, { merge });
    const run = await runBoth(p, inputs, MemoryChannel.pair(), { schedule });
    const fixed = interpret(p, inputs, 'fixed');
    const float = interpret(p, inputs, 'float');
    const secure = realValues(run.client.outputs[0].tensor, 'fixed');
    expect(run.server.outputs).toEqual([]);
    expect(maxDiff(secure, realValues(fixed.outputs[0].tensor, 'fixed'))).toBeLessThan(0.005);
    expect(maxDiff(secure, realValues(float.outputs[0].tensor, 'float'))).toBeLessThan(0.02);
    const predicted = predictSchedule(schedule, fixed.dims);
    expect([run.totals.client.bytesSent, run.totals.server.bytesSent, Math.max(run.totals.client.rounds, run.totals.server.rounds)]).toEqual([
      predicted.bytesC2S, predicted.bytesS2C, predicted.rounds,
    ]);
  }, 120_000);
});
