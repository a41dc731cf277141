// The plaintext float reference of protocols/bert.cpl: BERT for sequence classification
// (post-LayerNorm), dense and with CipherPrune's token pruning and degree groups, on the autodiff
// (so the same code trains the model and, with a tape, can learn thresholds). Each function is
// the CPL function of the same name, batched over B sentences; tests check that it agrees with
// the reference interpreter's float mode on the program.
import { add, bmm, matmul, mergeHeads, reshape, rows, scale, splitHeads } from '../autodiff/ops.ts';
import { addKeyMask, attentionReceived, gelu, layerNorm, softmax, tanh } from '../autodiff/nn.ts';
import type { Var } from '../autodiff/var.ts';
import type { WeightShapes, Weights } from './weights.ts';

export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  num_labels: number;
  seq_len: number;
}

/** nn.layernorm's epsilon and the additive padding mask of protocols/bert.cpl. */
export const LN_EPS = 1e-5;
export const MASK = -10000;

/** Shapes of the program's server inputs (per layer: the stacked inputs' trailing shape). */
export function bertShapes(c: BertConfig, vocabRows = c.vocab_size): WeightShapes {
  const d = c.hidden_size, f = c.intermediate_size;
  return {
    top: { wte: [vocabRows, d], wpe: [c.max_position_embeddings, d], tte: [d], lne_g: [d], lne_b: [d], wp: [d, d], bp: [d], wc: [d, c.num_labels], bc: [c.num_labels] },
    layer: {
      wq: [d, d], bq: [d], wk: [d, d], bk: [d], wv: [d, d], bv: [d], wo: [d, d], bo: [d], ln1_g: [d], ln1_b: [d],
      wi: [d, f], bi: [f], wf: [f, d], bf: [d], ln2_g: [d], ln2_b: [d],
    },
    layers: c.num_hidden_layers,
  };
}

const linear = (x: Var, w: Var, b: Var) => add(matmul(x, w), b);

/** embeddings: LayerNorm(word + position + token type) for ids [B][n] -> [B, n, d]. */
export function embeddings(w: Weights, ids: readonly (readonly number[])[]): Var {
  const B = ids.length, n = ids[0].length;
  const d = w.top.wte.shape[1];
  const words = reshape(rows(w.top.wte, ids.flat()), [B, n, d]);
  const pos = rows(w.top.wpe, Array.from({ length: n }, (_, i) => i));
  return layerNorm(add(add(words, pos), w.top.tte), w.top.lne_g, w.top.lne_b, LN_EPS);
}

/** nn.attention_probs then nn.softmax: [B·h, n, n]; `mask` is additive per key, [B·n]. */
export function attentionProbs(x: Var, mask: Float64Array, lw: Record<string, Var>, h: number): Var {
  const d = x.shape[2];
  const q = splitHeads(linear(x, lw.wq, lw.bq), h);
  const k = splitHeads(linear(x, lw.wk, lw.bk), h);
  return softmax(addKeyMask(scale(bmm(q, k, true), 1 / Math.sqrt(d / h)), mask, h));
}

/** nn.attention_context: P · V per head, merged: [B, n, d]. */
export function attentionContext(p: Var, x: Var, lw: Record<string, Var>, h: number): Var {
  return mergeHeads(bmm(p, splitHeads(linear(x, lw.wv, lw.bv), h)), h);
}

/** The rest of a layer after attention: output projection, LayerNorm, FFN, LayerNorm. */
export function layerRest(x: Var, ctx: Var, lw: Record<string, Var>): Var {
  const y = layerNorm(add(x, linear(ctx, lw.wo, lw.bo)), lw.ln1_g, lw.ln1_b, LN_EPS);
  return layerNorm(add(y, linear(gelu(linear(y, lw.wi, lw.bi)), lw.wf, lw.bf)), lw.ln2_g, lw.ln2_b, LN_EPS);
}

/** classify: pooler (tanh) and classifier on row 0 of each sentence: [B, n, d] -> [B, c]. */
export function classify(x: Var, w: Weights): Var {
  const [B, n, d] = x.shape;
  const first = rows(reshape(x, [B * n, d]), Array.from({ length: B }, (_, b) => b * n));
  return linear(tanh(linear(first, w.top.wp, w.top.bp)), w.top.wc, w.top.bc);
}

/** The additive mask of `pad * -10000` (padding flags [B][n], 1 = padding). */
export const paddingMask = (padding: readonly (readonly number[])[]): Float64Array => Float64Array.from(padding.flat(), (p) => p * MASK);

/** bert_dense: logits [B, num_labels]. */
export function bertDense(w: Weights, c: BertConfig, ids: readonly (readonly number[])[], padding: readonly (readonly number[])[]): Var {
  const mask = paddingMask(padding);
  let x = embeddings(w, ids);
  for (const lw of w.layers) x = layerRest(x, attentionContext(attentionProbs(x, mask, lw, c.num_attention_heads), x, lw, c.num_attention_heads), lw);
  return classify(x, w);
}

/** What CipherPrune did in one layer: counts (revealed to both parties) and, for illustration
 * only, which original token positions (computed in the clear by this reference). */
export interface PruneStep {
  /** Tokens kept (k) and, of them, in the accurate-polynomial group (kh). */
  k: number;
  kh: number;
  /** Original positions of the kept tokens in their new order ([high group | low group]). */
  kept: number[];
  /** Importance score of every token entering the layer (attention received). */
  scores: number[];
}

export interface Thresholds {
  /** Per layer: prune below theta; accurate polynomials above theta_hi. */
  theta: ArrayLike<number>;
  theta_hi: ArrayLike<number>;
}

/**
 * bert_cipherprune on one sentence: after each layer's attention, keep the tokens whose
 * importance exceeds theta (and [CLS]), put those above theta_hi first (stable), and run the
 * rest of the layer on the kept tokens only (prune.prune_split). In float the high- and
 * low-degree polynomials are both the exact functions, so the degree groups change only the
 * order of rows.
 */
export function bertCipherPrune(w: Weights, c: BertConfig, ids: readonly number[], padding: readonly number[], th: Thresholds): { logits: Var; steps: PruneStep[] } {
  const h = c.num_attention_heads;
  let mask = paddingMask([padding]);
  let x = embeddings(w, [ids]);
  let positions = ids.map((_, i) => i);
  const steps: PruneStep[] = [];
  w.layers.forEach((lw, l) => {
    const p = attentionProbs(x, mask, lw, h);
    const ctx = attentionContext(p, x, lw, h);
    const score = attentionReceived(p, h);
    const s = Array.from(score.data);
    const keep = s.map((v, i) => v > th.theta[l] || i === 0);
    const hi = s.map((v, i) => keep[i] && (v > th.theta_hi[l] || i === 0));
    const order = [...s.keys()].filter((i) => hi[i]).concat([...s.keys()].filter((i) => keep[i] && !hi[i]));
    const n = s.length, d = x.shape[2];
    const pick = (v: Var) => reshape(rows(reshape(v, [n, d]), order), [1, order.length, d]);
    x = layerRest(pick(x), pick(ctx), lw);
    mask = Float64Array.from(order, (i) => mask[i]);
    steps.push({ k: order.length, kh: hi.filter(Boolean).length, kept: order.map((i) => positions[i]), scores: s });
    positions = order.map((i) => positions[i]);
  });
  return { logits: classify(x, w), steps };
}
