// Fidelity at real widths (BERT-base and GPT-2-small layer shapes, BERT-like random weights):
// the fixed-point reference against float64. The default suite checks one layer of each at 8
// tokens; CIPHERPRUNE_SLOW=1 adds 12 layers through the reference and one layer run securely,
// all against float64 (max |Δ logits| ≤ 0.05 and the same argmax). Full figures: bench/fidelity.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bertLikeInputs, randomInputs } from '../../src/cli/inputs.ts';
import { argmax, maxAbsDiff, referenceFidelity } from '../../src/interp/fidelity.ts';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/values.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { compile } from '../exec/helpers.ts';

const slow = !!process.env.CIPHERPRUNE_SLOW;
const preset = (f: string) => JSON.parse(readFileSync(`protocols/configs/${f}.json`, 'utf8')) as Record<string, number>;
const models = [
  { name: 'BERT-base', file: 'protocols/bert.cpl', model: 'bert_dense', config: preset('bert-base'), layers: 'num_hidden_layers' },
  { name: 'GPT-2-small', file: 'protocols/gpt2.cpl', model: 'gpt2_dense', config: preset('gpt2-small'), layers: 'n_layer' },
];

function setup(m: (typeof models)[number], layers: number, seqLen: number, sample: number) {
  const p = compile(m.file, m.model, { ...m.config, [m.layers]: layers, seq_len: seqLen, vocab_size: 200 });
  // One set of weights (seed 1), token ids per sample.
  return { p, inputs: { ...bertLikeInputs(p, 1), ids: randomInputs(p, 100 + sample, 'client').ids } };
}

describe.each(models)('$name shape, BERT-like random weights', (m) => {
  it('one layer, 8 tokens: the fixed-point reference is within 0.05 of float64, same argmax', { timeout: 120_000 }, () => {
    const { p, inputs } = setup(m, 1, 8, 1);
    const [o] = referenceFidelity(p, inputs);
    expect(o.maxErr).toBeLessThanOrEqual(0.05);
    expect(o.argmaxFixed).toBe(o.argmaxFloat);
  });

  it.runIf(slow)('12 layers through the reference, 3 inputs (slow)', { timeout: 1_800_000 }, () => {
    for (let k = 1; k <= 3; k++) {
      const { p, inputs } = setup(m, 12, 16, k);
      const [o] = referenceFidelity(p, inputs);
      expect(o.maxErr, `input ${k}`).toBeLessThanOrEqual(0.05);
      expect(o.argmaxFixed, `input ${k}`).toBe(o.argmaxFloat);
    }
  });

  it.runIf(slow)('one layer run securely, 3 inputs: within 0.05 of float64, same argmax (slow)', { timeout: 1_800_000 }, async () => {
    for (let k = 1; k <= 3; k++) {
      const { p, inputs } = setup(m, 1, 16, k);
      const float = realValues(interpret(p, inputs, 'float').values[p.outputs[0].id], 'float');
      const run = await runBoth(p, inputs, MemoryChannel.pair());
      const secure = realValues(run.client.outputs[0].tensor, 'fixed');
      expect(maxAbsDiff(secure, float), `input ${k}`).toBeLessThanOrEqual(0.05);
      expect(argmax(secure), `input ${k}`).toBe(argmax(float));
    }
  });
});
