// Trains the float reference BERT (src/model/bert.ts, the same code the tests tie to
// protocols/bert.cpl) as a sentence classifier: AdamW on cross-entropy of the [CLS] logits,
// word dropout, and the weights of the best validation epoch.
import { Adam } from '../autodiff/adam.ts';
import { crossEntropy } from '../autodiff/nn.ts';
import { withGrad } from '../autodiff/var.ts';
import { bertDense, bertShapes, type BertConfig } from '../model/bert.ts';
import { allTensors, type Weights } from '../model/weights.ts';
import { encodeBert, type TextTokenizer } from '../text/tokenizer.ts';
import type { Example } from './data.ts';
import { decayed, initWeights } from './init.ts';
import { lengthBatches, restore, schedule, snapshot, type EpochRecord, type TrainOptions } from './loop.ts';
import { Rng } from './rng.ts';
import { compactVocab, toCompact, type CompactVocab } from './vocab.ts';

export interface EncodedSentence {
  /** Real token ids ([CLS] ... [SEP], no padding). */
  ids: number[];
  label: number;
}

export const encodeSentences = (tok: TextTokenizer, rows: readonly Example[], seqLen: number): EncodedSentence[] =>
  rows.map((r) => {
    const e = encodeBert(tok, r.text, seqLen);
    return { ids: e.ids.slice(0, e.length), label: r.label };
  });

/** Ids and padding flags of a batch, right-padded to its longest sentence (exact for the [CLS]
 * logits: padded keys get −10000 and so weight exp(−10000) = 0). */
export function padBatch(batch: readonly EncodedSentence[], map: (id: number) => number, padId: number) {
  const n = Math.max(...batch.map((s) => s.ids.length));
  return {
    ids: batch.map((s) => [...s.ids.map(map), ...new Array<number>(n - s.ids.length).fill(map(padId))]),
    padding: batch.map((s) => Array.from({ length: n }, (_, i) => (i < s.ids.length ? 0 : 1))),
  };
}

/** Predicted classes of dense BERT (no tape), in batches. */
export function predictClasses(w: Weights, c: BertConfig, data: readonly EncodedSentence[], map: (id: number) => number = (i) => i, padId = 0): number[] {
  const out: number[] = [];
  for (let b = 0; b < data.length; b += 64) {
    const { ids, padding } = padBatch(data.slice(b, b + 64), map, padId);
    const logits = bertDense(w, c, ids, padding);
    const k = c.num_labels;
    for (let i = 0; i < ids.length; i++) {
      const row = Array.from(logits.data.subarray(i * k, (i + 1) * k));
      out.push(row.indexOf(Math.max(...row)));
    }
  }
  return out;
}

export const accuracy = (pred: readonly number[], data: readonly EncodedSentence[]): number => pred.filter((p, i) => p === data[i].label).length / data.length;

export interface TrainedClassifier {
  /** Weights with a compact word-embedding table (rows of `vocab`). */
  weights: Weights;
  vocab: CompactVocab;
  history: EpochRecord[];
  bestEpoch: number;
}

export function trainClassifier(c: BertConfig, tok: TextTokenizer, data: { train: Example[]; validation: Example[] }, o: TrainOptions): TrainedClassifier {
  const rng = new Rng(o.seed);
  const train = encodeSentences(tok, data.train, c.seq_len);
  const valid = encodeSentences(tok, data.validation, c.seq_len);
  const specials = ['[CLS]', '[SEP]', '[PAD]'].map((t) => tok.idOf(t)!);
  const vocab = compactVocab(train.map((s) => s.ids), o.minCount, specials);
  const map = (id: number) => toCompact(vocab, id);
  const padId = tok.idOf('[PAD]') ?? 0;
  const w = initWeights(bertShapes(c, vocab.rows), rng);
  const params = allTensors(w);
  const opt = new Adam(params, { lr: o.lr, weightDecay: o.weightDecay, clip: o.clip }, decayed(w));
  const perEpoch = Math.ceil(train.length / o.batch);
  const total = perEpoch * o.epochs;
  const history: EpochRecord[] = [];
  let best = -1, bestEpoch = 0, bestWeights = snapshot(params), step = 0;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    let lossSum = 0;
    for (const idx of lengthBatches(train.map((s) => s.ids.length), o.batch, rng)) {
      const batch = idx.map((i) => train[i]);
      const { ids, padding } = padBatch(batch, map, padId);
      // Word dropout: real tokens (not [CLS]/[SEP]) become the shared unseen-token row.
      for (let b = 0; b < ids.length; b++) for (let t = 1; t < batch[b].ids.length - 1; t++) if (rng.next() < o.wordDropout) ids[b][t] = vocab.unseen;
      const loss = withGrad(() => crossEntropy(bertDense(w, c, ids, padding), batch.map((s) => s.label)));
      opt.step(schedule(o, step++, total));
      lossSum += loss.data[0] * batch.length;
    }
    const acc = accuracy(predictClasses(w, c, valid, map, padId), valid);
    const rec = { epoch, loss: lossSum / train.length, validation: acc, seconds: (performance.now() - t0) / 1000 };
    history.push(rec);
    o.log?.(`epoch ${epoch}/${o.epochs}: loss ${rec.loss.toFixed(4)}, validation accuracy ${(100 * acc).toFixed(1)} %, ${rec.seconds.toFixed(1)} s`);
    if (acc > best) [best, bestEpoch, bestWeights] = [acc, epoch, snapshot(params)];
  }
  restore(params, bestWeights);
  return { weights: w, vocab, history, bestEpoch };
}
