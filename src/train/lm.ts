// Trains the float reference GPT-2 (src/model/gpt2.ts) as a language model of review
// sentences. Every example is laid out as inference sees a prompt (src/text/tokenizer.ts
// encodeGpt2): a prefix of `<|endoftext|> sentence <|endoftext|>`, cut at a random point each
// epoch and left-padded with <|endoftext|> so that it ends at the last position. (Whole
// sentences would always end there, and the model would learn that the last position is
// followed by <|endoftext|>.) The loss is next-token cross-entropy over the compact vocabulary
// (src/train/vocab.ts) at the real positions whose target has its own row (rare tokens are
// inputs, never targets).
import { Adam } from '../autodiff/adam.ts';
import { crossEntropy } from '../autodiff/nn.ts';
import { matmulT, reshape, rows } from '../autodiff/ops.ts';
import { withGrad, type Var } from '../autodiff/var.ts';
import { finalNorm, gpt2Hidden, gpt2Shapes, type Gpt2Config } from '../model/gpt2.ts';
import { allTensors, type Weights } from '../model/weights.ts';
import { endOfText, type TextTokenizer } from '../text/tokenizer.ts';
import type { Example } from './data.ts';
import { decayed, initWeights } from './init.ts';
import { restore, schedule, snapshot, type EpochRecord, type TrainOptions } from './loop.ts';
import { Rng } from './rng.ts';
import { compactVocab, toCompact, type CompactVocab } from './vocab.ts';

/** One training window: seq_len input ids and the target of each position (−1: no loss). */
export interface Window {
  ids: number[];
  targets: number[];
}

/** `<|endoftext|> text <|endoftext|>` as token ids. */
export function sentenceIds(tok: TextTokenizer, text: string): number[] {
  const eot = endOfText(tok);
  return [eot, ...tok.encode(text), eot];
}

/** The window of `s` whose last input is s[cut − 1] (the next `n` tokens at most), left-padded
 * with <|endoftext|> to n; targets are the following tokens. */
export function prefixWindow(s: readonly number[], cut: number, n: number, eot: number): Window {
  const from = Math.max(0, cut - n);
  const ids = s.slice(from, cut), targets = s.slice(from + 1, cut + 1);
  const pad = n - ids.length;
  return { ids: [...new Array<number>(pad).fill(eot), ...ids], targets: [...new Array<number>(pad).fill(-1), ...targets] };
}

/** One window per sentence, cut at a random point (1 … its length − 1 inputs). */
export function windows(sentences: readonly (readonly number[])[], n: number, eot: number, rng: Rng): Window[] {
  return sentences.map((s) => prefixWindow(s, 1 + Math.floor(rng.next() * (s.length - 1)), n, eot));
}

/** Next-token logits and mean cross-entropy over the real positions; with `skip`, targets
 * equal to `skip` (the shared row of rare tokens) take no loss, so training never makes that
 * row a likely prediction. */
function lossAndLogits(w: Weights, c: Gpt2Config, table: Var, batch: readonly Window[], map: (id: number) => number, skip = -1): { loss: Var; logits: Var; targets: number[] } {
  const n = batch[0].ids.length, d = c.n_embd;
  const h = finalNorm(gpt2Hidden(w, c, batch.map((x) => x.ids.map(map))), w);
  const at: number[] = [], targets: number[] = [];
  batch.forEach((x, b) => x.targets.forEach((t, i) => t >= 0 && map(t) !== skip && (at.push(b * n + i), targets.push(map(t)))));
  const logits = matmulT(rows(reshape(h, [batch.length * n, d]), at), table);
  return { loss: crossEntropy(logits, targets), logits, targets };
}

export function lmScore(w: Weights, c: Gpt2Config, data: readonly Window[], map: (id: number) => number): { loss: number; accuracy: number } {
  let loss = 0, right = 0, count = 0;
  for (let b = 0; b < data.length; b += 64) {
    const r = lossAndLogits(w, c, w.top.wte, data.slice(b, b + 64), map);
    const V = r.logits.shape[1];
    loss += r.loss.data[0] * r.targets.length;
    r.targets.forEach((t, i) => {
      const row = r.logits.data.subarray(i * V, (i + 1) * V);
      let best = 0;
      for (let j = 1; j < V; j++) if (row[j] > row[best]) best = j;
      right += best === t ? 1 : 0;
    });
    count += r.targets.length;
  }
  return { loss: loss / count, accuracy: right / count };
}

export interface TrainedLm {
  weights: Weights;
  vocab: CompactVocab;
  history: (EpochRecord & { validationLoss: number })[];
  bestEpoch: number;
}

export function trainLm(c: Gpt2Config, tok: TextTokenizer, data: { train: Example[]; validation: Example[] }, o: TrainOptions): TrainedLm {
  const rng = new Rng(o.seed);
  const eot = endOfText(tok);
  const sentences = data.train.map((r) => sentenceIds(tok, r.text));
  // Validation: fixed cuts (its own seed), so epochs are compared on the same windows.
  const valid = windows(data.validation.map((r) => sentenceIds(tok, r.text)), c.seq_len, eot, new Rng(o.seed + 1));
  const vocab = compactVocab(sentences, o.minCount, [eot]);
  const map = (id: number) => toCompact(vocab, id);
  const w = initWeights(gpt2Shapes(c, vocab.rows), rng);
  const params = allTensors(w);
  const opt = new Adam(params, { lr: o.lr, weightDecay: o.weightDecay, clip: o.clip }, decayed(w));
  const total = Math.ceil(sentences.length / o.batch) * o.epochs;
  const history: TrainedLm['history'] = [];
  let best = Infinity, bestEpoch = 0, bestWeights = snapshot(params), step = 0;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    let lossSum = 0, count = 0;
    const train = windows(sentences, c.seq_len, eot, rng);
    const order = rng.shuffle(train.map((_, i) => i));
    for (let b = 0; b < order.length; b += o.batch) {
      const batch = order.slice(b, b + o.batch).map((i) => train[i]);
      // Word dropout on real input tokens (not <|endoftext|>): the shared unseen-token row.
      const dropped = batch.map((x) => ({ ids: x.ids.map((id) => (id !== eot && rng.next() < o.wordDropout ? -1 : id)), targets: x.targets }));
      const mapIn = (id: number) => (id < 0 ? vocab.unseen : map(id));
      const loss = withGrad(() => lossAndLogits(w, c, w.top.wte, dropped, mapIn, vocab.unseen).loss);
      opt.step(schedule(o, step++, total));
      const nt = batch.reduce((s, x) => s + x.targets.filter((t) => t >= 0 && map(t) !== vocab.unseen).length, 0);
      lossSum += loss.data[0] * nt;
      count += nt;
    }
    const v = lmScore(w, c, valid, map);
    const rec = { epoch, loss: lossSum / count, validation: v.accuracy, validationLoss: v.loss, seconds: (performance.now() - t0) / 1000 };
    history.push(rec);
    o.log?.(`epoch ${epoch}/${o.epochs}: loss ${rec.loss.toFixed(4)}, validation loss ${v.loss.toFixed(4)} (perplexity ${Math.exp(v.loss).toFixed(1)}), next-token accuracy ${(100 * v.accuracy).toFixed(1)} %, ${rec.seconds.toFixed(1)} s`);
    if (v.loss < best) [best, bestEpoch, bestWeights] = [v.loss, epoch, snapshot(params)];
  }
  restore(params, bestWeights);
  return { weights: w, vocab, history, bestEpoch };
}
