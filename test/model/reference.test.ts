// The float reference models agree with the CPL programs run by the reference interpreter in
// float mode, on the same checkpoint (written in the Hugging Face layout and read back through
// the programs' input sources): logits, and for CipherPrune the revealed counts per layer.
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interp/interpret.ts';
import { type InputValues } from '../../src/ir/dim-env.ts';
import { realValues } from '../../src/ir/twins.ts';
import { checkpointInputs, openCheckpoint } from '../../src/model/checkpoint.ts';
import { bertCipherPrune, bertDense, bertShapes, type BertConfig } from '../../src/model/bert.ts';
import { gpt2CipherPrune, gpt2Dense, gpt2Shapes, type Gpt2Config } from '../../src/model/gpt2.ts';
import { weightsFromInputs } from '../../src/model/weights.ts';
import { compile } from '../exec/helpers.ts';
import { randomWeights, uniform, writeCheckpoint } from './helpers.ts';

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
const ids = (seed: number, n: number, v: number) => Array.from(uniform(seed, n, 0.5), (x) => Math.floor((x + 0.5) * v));

describe('BERT float reference == protocols/bert.cpl in float mode', () => {
  const dense = compile('protocols/bert.cpl', 'bert_dense');
  const cfg = dense.config as unknown as BertConfig;
  const weights = randomWeights(dense, 7);
  const dir = writeCheckpoint(dense, weights);

  it('checkpoint inputs round-trip exactly through the Hugging Face layout', () => {
    const bound = checkpointInputs(dense, openCheckpoint(dir));
    expect(Object.keys(bound).sort()).toEqual(Object.keys(weights).sort());
    for (const k of Object.keys(weights)) expect(Array.from(bound[k])).toEqual(Array.from(weights[k]));
  });

  it.each([0, 1, 2])('dense logits within 1e-9 (sentence %i)', (s) => {
    const n = cfg.seq_len, len = 6 + 3 * s;
    const tok = ids(s, n, cfg.vocab_size);
    const pad = Array.from({ length: n }, (_, i) => (i < len ? 0 : 1));
    const inputs: InputValues = { ...checkpointInputs(dense, openCheckpoint(dir)), ids: tok, pad };
    const cpl = realValues(interpret(dense, inputs, 'float').outputs[0].tensor, 'float');
    const ref = bertDense(weightsFromInputs(bertShapes(cfg), inputs), cfg, [tok], [pad]).data;
    expect(maxDiff(ref, cpl)).toBeLessThan(1e-9);
  });

  it('CipherPrune: same logits and the same kept / high-degree counts per layer', () => {
    const p = compile('protocols/bert.cpl', 'bert_cipherprune');
    const n = cfg.seq_len;
    const tok = ids(11, n, cfg.vocab_size);
    const pad = Array.from({ length: n }, (_, i) => (i < 12 ? 0 : 1));
    // Uniform-ish attention gives each real token about h · n / 12 ≈ 2.7 of importance; these
    // thresholds prune some tokens in each layer and split the rest into two groups.
    const theta = [2.6, 2.7], thetaHi = [2.75, 2.9];
    const w = weightsFromInputs(bertShapes(cfg), weights);
    const ref = bertCipherPrune(w, cfg, tok, pad, { theta, theta_hi: thetaHi });
    const inputs: InputValues = { ...weights, theta, theta_hi: thetaHi, ids: tok, pad };
    const run = interpret(p, inputs, 'float');
    expect(run.revealed).toEqual(Object.fromEntries(ref.steps.flatMap((s, l) => [[`k@l=${l}`, s.k], [`kh@l=${l}`, s.kh]])));
    for (const s of ref.steps) expect(s.k).toBeLessThan(n); // pruning happened
    expect(ref.steps.some((s) => s.kh < s.k && s.kh > 1)).toBe(true); // two degree groups
    expect(maxDiff(ref.logits.data, realValues(run.outputs[0].tensor, 'float'))).toBeLessThan(1e-9);
  });
});

describe('GPT-2 float reference == protocols/gpt2.cpl in float mode', () => {
  const dense = compile('protocols/gpt2.cpl', 'gpt2_dense');
  const cfg = dense.config as unknown as Gpt2Config;
  const weights = randomWeights(dense, 9);
  const dir = writeCheckpoint(dense, weights);

  it('dense next-token logits within 1e-9; the fused c_attn splits into q, k, v', () => {
    const tok = ids(3, cfg.seq_len, cfg.vocab_size);
    const bound = checkpointInputs(dense, openCheckpoint(dir));
    for (const k of Object.keys(weights)) expect(Array.from(bound[k])).toEqual(Array.from(weights[k]));
    const inputs: InputValues = { ...bound, ids: tok };
    const cpl = realValues(interpret(dense, inputs, 'float').outputs[0].tensor, 'float');
    const ref = gpt2Dense(weightsFromInputs(gpt2Shapes(cfg), inputs), cfg, [tok]).data;
    expect(maxDiff(ref, cpl)).toBeLessThan(1e-9);
  });

  it('CipherPrune: same logits and kept counts', () => {
    const p = compile('protocols/gpt2.cpl', 'gpt2_cipherprune');
    const tok = ids(5, cfg.seq_len, cfg.vocab_size);
    const theta = [2.2, 2.0];
    const ref = gpt2CipherPrune(weightsFromInputs(gpt2Shapes(cfg), weights), cfg, tok, theta);
    // Every kept token above theta_hi: the accurate polynomials everywhere, which the float
    // reference computes (it has no polynomial reduction; docs/cipherprune.md).
    const thetaHi = [-1000, -1000];
    const run = interpret(p, { ...weights, theta, theta_hi: thetaHi, ids: tok }, 'float');
    expect(run.revealed).toEqual(Object.fromEntries(ref.steps.flatMap((s, l) => [[`k@l=${l}`, s.k], [`kh@l=${l}`, s.k]])));
    for (const s of ref.steps) expect(s.k).toBeLessThan(cfg.seq_len);
    expect(maxDiff(ref.logits.data, realValues(run.outputs[0].tensor, 'float'))).toBeLessThan(1e-9);
  });
});
