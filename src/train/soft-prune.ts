// bert_cipherprune with masks instead of compaction, for the threshold search (CipherPrune
// §4.4, crypto-aware network optimization; soft masks as in Learned Token Pruning, Kim et al.,
// KDD 2022). Every sentence keeps all seq_len rows; a token's presence a_l ∈ [0, 1] weights it as
// a key and as a query row of the importance score, and its degree weight g_l ∈ [0, 1] mixes the
// accurate and low-degree softmax rows (next layer) and GELU (this layer). With T = 0 the masks
// are 0/1 and this is exactly the compacted program (test/train/soft-prune.test.ts checks it
// against bertCipherPrune); with T > 0 it is differentiable in θ and θ_hi.
import { add, bmm, map, matmul, mergeHeads, reshape, scale, splitHeads } from '../autodiff/ops.ts';
import { gelu, layerNorm } from '../autodiff/nn.ts';
import { constant, type Var } from '../autodiff/var.ts';
import { classify, embeddings, LN_EPS, MASK, type BertConfig } from '../model/bert.ts';
import type { Weights } from '../model/weights.ts';
import { expLo, expLoSlope, geluLo, geluLoSlope } from './low-degree.ts';
import { mixRows, receivedFrom, thresholdMask, weightedSoftmax } from './soft-ops.ts';

export interface SoftThresholds {
  /** Per layer scalars (Vars so that the search can take their gradients). */
  theta: Var[];
  thetaHi: Var[];
}

export interface SoftOptions {
  /** Mask temperature; 0 = hard masks (the secure program's behaviour). */
  T: number;
  /** Use the low-degree forms for tokens outside the accurate group (false: both exact, as the
   * float reference bertCipherPrune). */
  lowDegree: boolean;
}

export interface SoftResult {
  logits: Var;
  /** Per layer: presence after pruning (k = its row sum) and accurate weight (kh = Σ a·g), [B, n]. */
  kept: Var[];
  high: Var[];
  /** Per layer: the importance score of every position, [B, n]. */
  scores: Var[];
}

const linear = (x: Var, w: Var, b: Var) => add(matmul(x, w), b);
const exp = Math.exp;
const CLS = new Set([0]);

/** The soft (or, with T = 0, hard) CipherPrune BERT on a batch padded to seq_len. */
export function softCipherPrune(w: Weights, c: BertConfig, ids: readonly (readonly number[])[], padding: readonly (readonly number[])[], th: SoftThresholds, o: SoftOptions): SoftResult {
  const h = c.num_attention_heads, B = ids.length, n = ids[0].length, d = c.hidden_size;
  const padMask = Float64Array.from(padding.flat(), (p) => p * MASK);
  let x = embeddings(w, ids);
  let a: Var = constant(new Float64Array(B * n).fill(1), [B, n]);
  let g: Var = a; // layer 0: every query row gets the accurate exp (kh_in = seq_len)
  const kept: Var[] = [], high: Var[] = [], scores: Var[] = [];
  w.layers.forEach((lw, l) => {
    const q = splitHeads(linear(x, lw.wq, lw.bq), h);
    const k = splitHeads(linear(x, lw.wk, lw.bk), h);
    const z = addPad(scale(bmm(q, k, true), 1 / Math.sqrt(d / h)), padMask, h);
    const pHi = weightedSoftmax(z, a, h, exp, exp);
    const p = o.lowDegree && l > 0 ? mixRows(pHi, weightedSoftmax(z, a, h, expLo, expLoSlope), g, h) : pHi;
    const ctx = mergeHeads(bmm(p, splitHeads(linear(x, lw.wv, lw.bv), h)), h);
    const score = receivedFrom(p, a, h);
    const a2 = thresholdMask(score, th.theta[l], o.T, CLS, a);
    const g2 = thresholdMask(score, th.thetaHi[l], o.T, CLS);
    const y = layerNorm(add(x, linear(ctx, lw.wo, lw.bo)), lw.ln1_g, lw.ln1_b, LN_EPS);
    const u = linear(y, lw.wi, lw.bi);
    const act = o.lowDegree ? mixRows(gelu(u), map(u, geluLo, geluLoSlope), reshape(g2, [B * n])) : gelu(u);
    x = layerNorm(add(y, linear(act, lw.wf, lw.bf)), lw.ln2_g, lw.ln2_b, LN_EPS);
    scores.push(score);
    kept.push(a2);
    high.push(g2);
    a = a2;
    g = g2;
  });
  return { logits: classify(x, w), kept, high, scores };
}

/** scores [B·h, n, m] + the constant padding mask of each sentence's keys. */
function addPad(z: Var, padMask: Float64Array, h: number): Var {
  const [Bh, n, m] = z.shape;
  const bias = new Float64Array(z.size);
  for (let i = 0; i < bias.length; i++) bias[i] = padMask[Math.floor(i / (h * n * m)) * m + (i % m)];
  return add(z, constant(bias, [Bh, n, m]));
}
