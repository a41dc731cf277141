// The tuned thresholds checked with the program's fixed-point semantics: bert_cipherprune run by
// the plaintext reference interpreter (src/interp, the twins the secure ops are tested equal to)
// beside the float reference model bertCipherPrune, sentence by sentence. The search keeps a
// candidate only if the fixed-point labels and the kept / accurate counts per layer (what the
// secure run reveals) are those of the float model on the held-out sentences, and the accuracy
// budget holds in fixed point too. A score within the fixed-point error of θ is what breaks
// agreement (margins.ts keeps θ away from the scores).
import type { IrProgram } from '../ir/ir.ts';
import { realValues } from '../ir/twins.ts';
import { interpret } from '../interp/interpret.ts';
import { importanceOps } from '../interp/thresholds.ts';
import { bertCipherPrune } from '../model/bert.ts';
import type { LoadedBert } from '../model/load.ts';
import { argmax } from './evaluate.ts';
import type { Encoded, Thresholds2 } from './tune.ts';

export interface FixedCheck {
  sentences: number;
  /** Accuracy of the fixed-point run. */
  accuracy: number;
  /** Sentences whose fixed-point label / per-layer (k, kh) equal the float model's. */
  sameLabel: number;
  sameCounts: number;
  /** Indices of the sentences that differ in label or counts. */
  differ: number[];
  /** Largest |fixed − float| importance score per layer (where the layer's inputs agree). */
  maxScoreError: number[];
  seconds: number;
}

const clientInput = (p: IrProgram, source: string): string => {
  const i = p.inputs.find((x) => x.owner === 'client' && x.source === source);
  if (!i) throw new Error(`${p.model} has no client input "${source}"`);
  return i.name;
};

/** Run `pruned` (bert_cipherprune of the same checkpoint as `m`) in fixed point on the first
 * `limit` sentences of `data` with thresholds `th`, beside the float model. */
export function fixedPointCheck(m: LoadedBert, pruned: IrProgram, data: Encoded, th: Thresholds2, limit = data.ids.length, tick?: () => void): FixedCheck {
  const t0 = performance.now();
  const L = m.config.num_hidden_layers, N = Math.min(limit, data.ids.length);
  const scoreOps = importanceOps(pruned);
  const server = { ...m.serverInputs, theta: Float64Array.from(th.theta), theta_hi: Float64Array.from(th.theta_hi) };
  const idsName = clientInput(pruned, 'input_ids'), padName = clientInput(pruned, 'padding');
  const maxScoreError = new Array<number>(L).fill(0);
  let right = 0, sameLabel = 0, sameCounts = 0;
  const differ: number[] = [];
  for (let i = 0; i < N; i++) {
    const fx = interpret(pruned, { ...server, [idsName]: data.ids[i], [padName]: data.padding[i] }, 'fixed');
    const fl = bertCipherPrune(m.weights, m.config, data.ids[i], data.padding[i], th);
    const label = argmax(realValues(fx.outputs[0].tensor, 'fixed'));
    const counts = fl.steps.map((s, l) => s.k === fx.revealed[`k@l=${l}`] && s.kh === fx.revealed[`kh@l=${l}`]);
    for (let l = 0; l < L; l++) {
      if (l > 0 && !counts[l - 1]) break;
      const f = realValues(fx.values[scoreOps[l]], 'fixed');
      for (let j = 0; j < f.length; j++) maxScoreError[l] = Math.max(maxScoreError[l], Math.abs(f[j] - fl.steps[l].scores[j]));
    }
    const same = label === argmax(fl.logits.data), all = counts.every(Boolean);
    right += label === data.labels[i] ? 1 : 0;
    sameLabel += same ? 1 : 0;
    sameCounts += all ? 1 : 0;
    if (!same || !all) differ.push(i);
    tick?.();
  }
  return { sentences: N, accuracy: right / N, sameLabel, sameCounts, differ, maxScoreError, seconds: (performance.now() - t0) / 1000 };
}
