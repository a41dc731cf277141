// Trains the bundled language model (models/gpt2-reviews) from scratch on the training split of
// the UCI Sentiment Labelled Sentences (models/data), with GPT-2's real byte-level BPE
// vocabulary, and writes the checkpoint in the Hugging Face layout with hand-set CipherPrune
// thresholds and its held-out figures (accuracy.json). Deterministic (fixed seed, float64).
// Usage: nice npm run models:train-gpt2 [-- --epochs N --out DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Gpt2Config } from '../src/model/gpt2.ts';
import { bundledProgram, compileModel, loadGpt2 } from '../src/model/load.ts';
import { inputsFromWeights } from '../src/model/weights.ts';
import { loadTokenizer } from '../src/text/tokenizer.ts';
import { readLabelled } from '../src/train/data.ts';
import { evaluateLm } from '../src/train/evaluate.ts';
import { writeCheckpointFolder } from '../src/train/export.ts';
import { trainLm } from '../src/train/lm.ts';
import type { TrainOptions } from '../src/train/loop.ts';
import { expandTable } from '../src/train/vocab.ts';
import { ROOT } from './build-tokenizers.ts';

export const GPT2_CONFIG: Gpt2Config = { vocab_size: 50257, n_embd: 64, n_layer: 2, n_head: 2, n_inner: 256, n_positions: 32, seq_len: 32 };

export const GPT2_TRAINING: Omit<TrainOptions, 'log'> = { epochs: 8, batch: 32, lr: 2e-3, warmup: 0.05, weightDecay: 0.01, clip: 1, seed: 2, wordDropout: 0.05, minCount: 1 };

/** Hand-set pruning thresholds per layer (importance summed over heads and query rows;
 * docs/models.md). */
export const GPT2_THRESHOLDS = { theta: [0.5, 0.5] };

const { values } = parseArgs({ options: { epochs: { type: 'string' }, out: { type: 'string' } } });
const out = values.out ?? join(ROOT, 'models/gpt2-reviews');
const opts: TrainOptions = { ...GPT2_TRAINING, epochs: values.epochs ? Number(values.epochs) : GPT2_TRAINING.epochs, log: (s) => process.stdout.write(s + '\n') };
const data = { train: readLabelled(join(ROOT, 'models/data/train.tsv')), validation: readLabelled(join(ROOT, 'models/data/validation.tsv')), test: readLabelled(join(ROOT, 'models/data/test.tsv')) };
mkdirSync(out, { recursive: true });
const tok = loadTokenizer(join(ROOT, 'models/gpt2-reviews'));

const t0 = performance.now();
const trained = trainLm(GPT2_CONFIG, tok, data, opts);
const seconds = (performance.now() - t0) / 1000;

const inputs = inputsFromWeights(trained.weights);
inputs.wte = expandTable(trained.vocab, inputs.wte, GPT2_CONFIG.vocab_size);
writeCheckpointFolder(
  out,
  compileModel(bundledProgram('gpt2'), 'gpt2_cipherprune', { ...GPT2_CONFIG }),
  { ...inputs, theta: GPT2_THRESHOLDS.theta },
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
  new Set(['wte.weight']),
);

const m = loadGpt2(out);
const evals = Object.fromEntries((['validation', 'test'] as const).map((s) => [s, evaluateLm(m, data[s])]));
const summary = (e: (typeof evals)['test']) => ({
  prompts: e.prompts,
  dense: { nextTokenAccuracy: e.dense.nextTokenAccuracy },
  cipherprune: e.cipherprune && { nextTokenAccuracy: e.cipherprune.nextTokenAccuracy, agreementWithDense: e.cipherprune.agreement, meanKept: e.cipherprune.meanKept },
});
writeFileSync(
  join(out, 'accuracy.json'),
  JSON.stringify({ data: 'models/data (UCI Sentiment Labelled Sentences, fixed split); prompts: <|endoftext|> + first half of each sentence', thresholds: GPT2_THRESHOLDS, validation: summary(evals.validation), test: summary(evals.test) }, null, 2) + '\n',
);
writeFileSync(
  join(out, 'training.json'),
  JSON.stringify({ config: GPT2_CONFIG, options: GPT2_TRAINING, trainedRows: trained.vocab.ids.length, bestEpoch: trained.bestEpoch, seconds, history: trained.history }, null, 2) + '\n',
);
process.stdout.write(`${out}: next-token accuracy on test prompts dense ${(100 * evals.test.dense.nextTokenAccuracy).toFixed(1)} %; ${seconds.toFixed(0)} s\n`);
