// Trains the bundled language model (models/gpt2-reviews) from scratch on the training split of
// the UCI Sentiment Labelled Sentences (models/data), with GPT-2's real byte-level BPE
// vocabulary, and writes the checkpoint in the Hugging Face layout with hand-set CipherPrune
// thresholds and its held-out figures (accuracy.json). Deterministic (fixed seed, float64).
// Usage: nice npm run models:train-gpt2 [-- --epochs N --out DIR --evaluate-only]
import { join } from 'node:path';
import type { Gpt2Config } from '../src/model/gpt2.ts';
import { bundledProgram, compileModel, loadGpt2 } from '../src/model/load.ts';
import { loadTokenizer } from '../src/text/tokenizer.ts';
import { evaluateLm } from '../src/train/evaluate.ts';
import { trainLm } from '../src/train/lm.ts';
import type { TrainOptions } from '../src/train/loop.ts';
import { setup, trainingRecord, writeJson, writeThresholds, writeTrained } from './train-common.ts';

export const GPT2_CONFIG: Gpt2Config = { vocab_size: 50257, n_embd: 64, n_layer: 2, n_head: 2, n_inner: 256, n_positions: 32, seq_len: 32 };

export const GPT2_TRAINING: Omit<TrainOptions, 'log'> = { epochs: 5, batch: 32, lr: 3e-3, warmup: 0.05, weightDecay: 0.01, clip: 1, seed: 2, wordDropout: 0.05, minCount: 2 };

/** Hand-set pruning thresholds per layer (importance summed over heads and query rows;
 * docs/models.md). */
export const GPT2_THRESHOLDS = { theta: [0.5, 0.5] };

const s = setup('gpt2-reviews', GPT2_TRAINING);
if (!s.evaluateOnly) {
  const t0 = performance.now();
  const trained = trainLm(GPT2_CONFIG, loadTokenizer(s.out), s.data, s.options);
  const seconds = (performance.now() - t0) / 1000;
  writeTrained(
    s.out,
    compileModel(bundledProgram('gpt2'), 'gpt2_dense', { ...GPT2_CONFIG }),
    trained,
    {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      ...GPT2_CONFIG,
      n_ctx: GPT2_CONFIG.n_positions,
      activation_function: 'gelu_new',
      layer_norm_epsilon: 1e-5,
      bos_token_id: 50256,
      eos_token_id: 50256,
      tie_word_embeddings: true,
    },
    'wte.weight',
    { config: GPT2_CONFIG, options: GPT2_TRAINING, seconds, history: trained.history },
  );
}
writeThresholds(s.out, GPT2_THRESHOLDS);

const m = loadGpt2(s.out);
const evals = { validation: evaluateLm(m, s.data.validation), test: evaluateLm(m, s.data.test) };
const summary = (e: (typeof evals)['test']) => ({
  prompts: e.prompts,
  dense: { nextTokenAccuracy: e.dense.nextTokenAccuracy },
  cipherprune: e.cipherprune && { nextTokenAccuracy: e.cipherprune.nextTokenAccuracy, agreementWithDense: e.cipherprune.agreement, meanKept: e.cipherprune.meanKept },
});
writeJson(join(s.out, 'accuracy.json'), { data: 'models/data (UCI Sentiment Labelled Sentences, fixed split); prompts: <|endoftext|> + first half of each sentence', seqLen: GPT2_CONFIG.seq_len, thresholds: GPT2_THRESHOLDS, validation: summary(evals.validation), test: summary(evals.test) });
const tr = trainingRecord(s.out) as { seconds: number };
process.stdout.write(`${s.out}: next-token accuracy on the test prompts: dense ${(100 * evals.test.dense.nextTokenAccuracy).toFixed(1)} %, CipherPrune ${(100 * evals.test.cipherprune!.nextTokenAccuracy).toFixed(1)} %; trained in ${tr.seconds.toFixed(0)} s\n`);
