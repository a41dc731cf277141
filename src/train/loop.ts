// What the two training loops share: options, batches of similar length, the learning-rate
// schedule (linear warm-up, cosine decay), snapshots of the best weights, and a progress log.
import type { Var } from '../autodiff/var.ts';
import type { Rng } from './rng.ts';

export interface TrainOptions {
  epochs: number;
  batch: number;
  lr: number;
  /** Fraction of the steps spent warming up linearly. */
  warmup: number;
  weightDecay: number;
  /** Global gradient-norm clip. */
  clip: number;
  seed: number;
  /** Probability of replacing an input token by the shared unseen-token row (word dropout). */
  wordDropout: number;
  /** Tokens seen fewer times in the training split share one row (src/train/vocab.ts). */
  minCount: number;
  log?: (line: string) => void;
}

/** Batches of indices: shuffled, then sorted by length within windows of 8 batches (less
 * padding per batch), then the batches shuffled. */
export function lengthBatches(lengths: readonly number[], batch: number, rng: Rng): number[][] {
  const order = rng.shuffle(lengths.map((_, i) => i));
  const out: number[][] = [];
  const window = batch * 8;
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => lengths[a] - lengths[b]);
    for (let b = 0; b < chunk.length; b += batch) out.push(chunk.slice(b, b + batch));
  }
  return rng.shuffle(out);
}

/** Learning rate at `step` of `total`: linear warm-up, then cosine decay to 10 %. */
export function schedule(o: TrainOptions, step: number, total: number): number {
  const warm = Math.max(1, Math.round(o.warmup * total));
  if (step < warm) return (o.lr * (step + 1)) / warm;
  const t = (step - warm) / Math.max(1, total - warm);
  return o.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * t)));
}

export const snapshot = (params: readonly Var[]): Float64Array[] => params.map((p) => Float64Array.from(p.data));
export const restore = (params: readonly Var[], s: readonly Float64Array[]): void => params.forEach((p, i) => p.data.set(s[i]));

export interface EpochRecord {
  epoch: number;
  loss: number;
  /** Validation metric (accuracy for the classifier, next-token accuracy for the LM). */
  validation: number;
  seconds: number;
}
