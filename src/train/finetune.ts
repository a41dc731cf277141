// Short fine-tuning of a classifier's weights under fixed hard thresholds (CipherPrune §4.4:
// after the threshold search, the weights adapt to the pruned, reduced network). The forward
// pass is the hard-mask model (soft-prune.ts with T = 0, low-degree forms in place), which equals
// the compacted program; AdamW on cross-entropy, the word-embedding table frozen (its unseen-
// token rows stay one shared row, src/train/vocab.ts).
import { Adam } from '../autodiff/adam.ts';
import { crossEntropy } from '../autodiff/nn.ts';
import { constant, withGrad } from '../autodiff/var.ts';
import { bertShapes } from '../model/bert.ts';
import type { LoadedBert } from '../model/load.ts';
import { allTensors, weightsFromInputs, type Weights } from '../model/weights.ts';
import { decayed } from './init.ts';
import { Rng } from './rng.ts';
import { softCipherPrune } from './soft-prune.ts';
import type { Encoded, Thresholds2 } from './tune.ts';

export interface FinetuneOptions {
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  progress?: (done: number, total: number, what: string) => void;
  /** Called after each epoch with the weights so far. */
  onEpoch?: (epoch: number, w: Weights) => void;
}

export const defaultFinetune: Omit<FinetuneOptions, 'epochs' | 'seed'> = { batch: 32, lr: 3e-4 };

export function finetune(m: LoadedBert, train: Encoded, th: Thresholds2, o: FinetuneOptions): Weights {
  const w = weightsFromInputs(bertShapes(m.config), m.serverInputs, true);
  w.top.wte = constant(w.top.wte.data, w.top.wte.shape);
  const params = allTensors(w).filter((p) => p.requiresGrad);
  const opt = new Adam(params, { lr: o.lr, weightDecay: 0.01, clip: 1 }, decayed(w).filter((p) => p.requiresGrad));
  const rng = new Rng(o.seed ^ 0xf1e7);
  const fixed = (v: number) => constant(Float64Array.of(v), []);
  const hard = { theta: th.theta.map(fixed), thetaHi: th.theta_hi.map(fixed) };
  const perEpoch = Math.ceil(train.ids.length / o.batch), total = perEpoch * o.epochs;
  let order: number[] = [];
  for (let step = 0; step < total; step++) {
    if (step % perEpoch === 0) order = rng.shuffle(train.ids.map((_, i) => i));
    const idx = order.slice((step % perEpoch) * o.batch, ((step % perEpoch) + 1) * o.batch);
    withGrad(() => crossEntropy(softCipherPrune(w, m.config, idx.map((i) => train.ids[i]), idx.map((i) => train.padding[i]), hard, { T: 0, lowDegree: true }).logits, idx.map((i) => train.labels[i])));
    opt.step(o.lr * (1 - step / total));
    o.progress?.(step + 1, total, 'fine-tune');
    if ((step + 1) % perEpoch === 0) o.onEpoch?.((step + 1) / perEpoch, w);
  }
  return w;
}
