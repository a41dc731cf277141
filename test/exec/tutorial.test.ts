// The "write your own layer" program of docs/language.md (docs/examples/gated-mlp.cpl) checks,
// and runs securely: outputs equal to the fixed-point twin, the twin's labels equal float64's,
// bytes and rounds as predicted.
import { describe, expect, it } from 'vitest';
import { check, formatDiagnostics } from '../../src/front/index.ts';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/twins.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { randomInputs } from '../../src/cli/inputs.ts';
import { readFileSync } from 'node:fs';
import { lowerModel } from '../../src/ir/lower.ts';
import { compile } from './helpers.ts';

const file = 'docs/examples/gated-mlp.cpl';

describe('tutorial: a gated MLP block', () => {
  it('checks with no diagnostics', () => {
    expect(formatDiagnostics(check([{ path: file }]).diagnostics)).toBe('');
  });

  it('swiglu runs securely as the twin says, with the float64 labels, at the predicted cost', async () => {
    const p = compile(file, 'swiglu');
    const inputs = randomInputs(p, 1, undefined, { x: { lo: -2, hi: 2 } });
    const twin = interpret(p, inputs, 'fixed');
    const float = interpret(p, inputs, 'float');
    const labels = (t: typeof twin) => Array.from(realValues(t.outputs[0].tensor, 'fixed'));
    expect(labels(twin)).toEqual(Array.from(float.outputs[0].tensor.data as ArrayLike<number>));
    const run = await runBoth(p, inputs, MemoryChannel.pair());
    // SiLU is within 2^(s−7) of its twin (TWIN_BOUNDS), so a label may differ from the twin's
    // only where two float64 logits are that close (here: within 0.02).
    const text = readFileSync(file, 'utf8').replace('output argmax(h @ head) to client', 'output h @ head to client');
    const r = check([{ path: file, text }]);
    const logits = Array.from(interpret(lowerModel(r, r.models.find((m) => m.name === 'swiglu')!), inputs, 'float').outputs[0].tensor.data as ArrayLike<number>);
    const secure = Array.from(run.client.outputs[0].tensor.data as ArrayLike<number | bigint>).map(Number);
    const want = labels(twin);
    for (let t = 0; t < want.length; t++) {
      const row = logits.slice(t * 4, t * 4 + 4);
      if (secure[t] !== want[t]) expect(Math.max(...row) - row[secure[t]], `token ${t}`).toBeLessThan(0.02);
    }
    const predicted = predictSchedule(run.client.schedule, twin.dims); // the (merged) schedule that ran
    expect(run.totals.client.bytesSent).toBe(predicted.bytesC2S);
    expect(run.totals.server.bytesSent).toBe(predicted.bytesS2C);
    expect(Math.max(run.totals.client.rounds, run.totals.server.rounds)).toBe(predicted.rounds);
  }, 120_000);
});
