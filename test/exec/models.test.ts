// The bundled dense models run securely end to end (tiny default config, random weights):
// the client's logits match the fixed-point twin and float64 closely, and the measured bytes
// and rounds equal the op table's prediction.
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/twins.ts';
import { predictCost } from '../../src/opt/cost.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { recvBound } from '../../src/opt/message-bound.ts';
import { compile, makeInputs, recording } from './helpers.ts';

const maxDiff = (a: Float64Array, b: Float64Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

describe.each([
  ['protocols/bert.cpl', 'bert_dense'],
  ['protocols/gpt2.cpl', 'gpt2_dense'],
])('%s %s', (file, model) => {
  it('runs securely; logits within 0.005 of the fixed-point twin and 0.02 of float64; cost as predicted', async () => {
    const p = compile(file, model);
    const inputs = makeInputs(p, 3);
    const [c, s] = MemoryChannel.pair().map(recording);
    const run = await runBoth(p, inputs, [c.ch, s.ch]);
    // serve/connect refuse messages above the cost model's bound: an honest run never exceeds it
    expect(c.largest()).toBeLessThanOrEqual(recvBound(p, 'client')!);
    expect(s.largest()).toBeLessThanOrEqual(recvBound(p, 'server')!);
    const fixed = interpret(p, inputs, 'fixed');
    const float = interpret(p, inputs, 'float');
    const secure = realValues(run.client.outputs[0].tensor, 'fixed');
    expect(run.server.outputs).toEqual([]);
    expect(maxDiff(secure, realValues(fixed.outputs[0].tensor, 'fixed'))).toBeLessThan(0.005);
    expect(maxDiff(secure, realValues(float.outputs[0].tensor, 'float'))).toBeLessThan(0.02);
    const predicted = predictCost(p, fixed.dims);
    expect([run.totals.client.bytesSent, run.totals.server.bytesSent, Math.max(run.totals.client.rounds, run.totals.server.rounds)]).toEqual([
      predicted.bytesC2S, predicted.bytesS2C, predicted.rounds,
    ]);
  }, 120_000);
});
