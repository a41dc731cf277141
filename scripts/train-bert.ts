// Trains the bundled sentence classifier (models/bert-sentiment) from scratch on the fixed
// split of the UCI Sentiment Labelled Sentences (models/data, from scripts/split-data.ts), with
// the real bert-base-uncased vocabulary, and writes the checkpoint in the Hugging Face layout
// with its hand-set CipherPrune thresholds and its accuracy (accuracy.json); the word table is
// then compacted to its distinct rows (token_rows.json). Deterministic:
// fixed seed, float64 arithmetic in a fixed order. CI never runs this; it loads the result.
// Usage: nice npm run models:train-bert [-- --epochs N --out DIR --evaluate-only]
import { join } from 'node:path';
import type { BertConfig } from '../src/model/bert.ts';
import { compactCheckpoint } from '../src/model/compact.ts';
import { bundledProgram, compileModel, loadBert } from '../src/model/load.ts';
import { loadTokenizer } from '../src/text/tokenizer.ts';
import { trainClassifier } from '../src/train/classifier.ts';
import { evaluateClassifier } from '../src/train/evaluate.ts';
import type { TrainOptions } from '../src/train/loop.ts';
import { setup, trainingRecord, writeJson, writeThresholds, writeTrained } from './train-common.ts';

export const BERT_CONFIG: BertConfig = {
  vocab_size: 30522,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 256,
  max_position_embeddings: 32,
  num_labels: 2,
  seq_len: 32,
};

export const BERT_TRAINING: Omit<TrainOptions, 'log'> = { epochs: 6, batch: 32, lr: 1e-3, warmup: 0.1, weightDecay: 0.01, clip: 1, seed: 1, wordDropout: 0.1, minCount: 1 };

/** Hand-set CipherPrune thresholds (importance = attention a token receives, summed over the 2
 * heads and the 32 query rows, so a sentence's tokens share 64 in all): chosen on the
 * validation split, where they keep its accuracy (docs/models.md). A fresh training writes
 * them; the shipped thresholds.json is then tuned by `cipherprune tune` (docs/tuning.md), and
 * --evaluate-only keeps whatever thresholds.json the folder has. */
export const BERT_THRESHOLDS = { theta: [1.5, 3.0], theta_hi: [3.0, 5.0] };

const s = setup('bert-sentiment', BERT_TRAINING);
if (!s.evaluateOnly) {
  const t0 = performance.now();
  const trained = trainClassifier(BERT_CONFIG, loadTokenizer(s.out), s.data, s.options);
  const seconds = (performance.now() - t0) / 1000;
  writeTrained(
    s.out,
    compileModel(bundledProgram('bert'), 'bert_dense', { ...BERT_CONFIG }),
    trained,
    {
      architectures: ['BertForSequenceClassification'],
      model_type: 'bert',
      ...BERT_CONFIG,
      type_vocab_size: 1,
      hidden_act: 'gelu_pytorch_tanh',
      layer_norm_eps: 1e-5,
      pad_token_id: 0,
      id2label: { 0: 'negative', 1: 'positive' },
      label2id: { negative: 0, positive: 1 },
    },
    'bert.embeddings.word_embeddings.weight',
    { config: BERT_CONFIG, options: BERT_TRAINING, seconds, history: trained.history },
  );
  writeThresholds(s.out, BERT_THRESHOLDS);
  // Keep only the distinct rows of the word table (exact; docs/models.md, "Compacted vocabularies").
  compactCheckpoint(s.out, s.out);
}

// Evaluate what was written (F16 table included), as the secure program reads it.
const m = loadBert(s.out);
const thresholds = { theta: Array.from(m.thresholds!.theta), theta_hi: Array.from(m.thresholds!.theta_hi) };
const evals = { validation: evaluateClassifier(m, s.data.validation), test: evaluateClassifier(m, s.data.test) };
const summary = (e: (typeof evals)['test']) => ({
  sentences: e.sentences,
  majority: e.majority,
  dense: e.dense.accuracy,
  cipherprune: e.cipherprune && { accuracy: e.cipherprune.accuracy, agreementWithDense: e.cipherprune.agreement, meanTokens: e.cipherprune.meanTokens, meanKept: e.cipherprune.meanKept, meanHigh: e.cipherprune.meanHigh },
});
writeJson(join(s.out, 'accuracy.json'), { data: 'models/data (UCI Sentiment Labelled Sentences, fixed split)', seqLen: BERT_CONFIG.seq_len, thresholds, validation: summary(evals.validation), test: summary(evals.test) });
const tr = trainingRecord(s.out) as { seconds: number };
process.stdout.write(`${s.out}: test accuracy dense ${(100 * evals.test.dense.accuracy).toFixed(1)} %, CipherPrune ${(100 * evals.test.cipherprune!.accuracy).toFixed(1)} % (majority ${(100 * evals.test.majority).toFixed(1)} %); trained in ${tr.seconds.toFixed(0)} s\n`);
