// The plaintext float reference of protocols/gpt2.cpl: GPT-2 (pre-LayerNorm, causal, tied
// embeddings), dense and with CipherPrune's token pruning (kept tokens stay in order; the last
// token is always kept). Functions mirror the CPL functions, batched over B prompts.
import { add, bmm, matmul, matmulT, mergeHeads, reshape, rows, scale, splitHeads } from '../autodiff/ops.ts';
import { attentionReceived, gelu, layerNorm, softmax } from '../autodiff/nn.ts';
import { constant, type Var } from '../autodiff/var.ts';
import { LN_EPS, MASK, type PruneStep } from './bert.ts';
import type { WeightShapes, Weights } from './weights.ts';

export interface Gpt2Config {
  vocab_size: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner: number;
  n_positions: number;
  seq_len: number;
}

export function gpt2Shapes(c: Gpt2Config, vocabRows = c.vocab_size): WeightShapes {
  const d = c.n_embd, f = c.n_inner;
  return {
    top: { wte: [vocabRows, d], wpe: [c.n_positions, d], lnf_g: [d], lnf_b: [d] },
    layer: {
      ln1_g: [d], ln1_b: [d], wq: [d, d], bq: [d], wk: [d, d], bk: [d], wv: [d, d], bv: [d], wo: [d, d], bo: [d],
      ln2_g: [d], ln2_b: [d], wi: [d, f], bi: [f], wf: [f, d], bf: [d],
    },
    layers: c.n_layer,
  };
}

const linear = (x: Var, w: Var, b: Var) => add(matmul(x, w), b);

/** causal_mask: 0 on and below the diagonal, -10000 above. */
export function causalMask(n: number): Var {
  return constant(Float64Array.from({ length: n * n }, (_, i) => (i % n > Math.floor(i / n) ? MASK : 0)), [n, n]);
}

/** Token + position embeddings for ids [B][n]: [B, n, d]. */
export function gpt2Embed(w: Weights, ids: readonly (readonly number[])[]): Var {
  const B = ids.length, n = ids[0].length, d = w.top.wte.shape[1];
  return add(reshape(rows(w.top.wte, ids.flat()), [B, n, d]), rows(w.top.wpe, Array.from({ length: n }, (_, i) => i)));
}

/** block: x + attn(ln1(x)), then + mlp(ln2(x)); returns the attention probabilities too. */
export function block(x: Var, lw: Record<string, Var>, h: number): { p: Var; y: Var } {
  const n = x.shape[1], d = x.shape[2];
  const a = layerNorm(x, lw.ln1_g, lw.ln1_b, LN_EPS);
  const q = splitHeads(linear(a, lw.wq, lw.bq), h);
  const k = splitHeads(linear(a, lw.wk, lw.bk), h);
  const p = softmax(add(scale(bmm(q, k, true), 1 / Math.sqrt(d / h)), causalMask(n)));
  const ctx = mergeHeads(bmm(p, splitHeads(linear(a, lw.wv, lw.bv), h)), h);
  const x2 = add(x, linear(ctx, lw.wo, lw.bo));
  const m = linear(gelu(linear(layerNorm(x2, lw.ln2_g, lw.ln2_b, LN_EPS), lw.wi, lw.bi)), lw.wf, lw.bf);
  return { p, y: add(x2, m) };
}

/** The final LayerNorm of every position: [B, n, d] (logits of all positions are this · wteᵀ). */
export function finalNorm(x: Var, w: Weights): Var {
  return layerNorm(x, w.top.lnf_g, w.top.lnf_b, LN_EPS);
}

/** lm_head: logits of the last token of each prompt against the tied table: [B, V]. */
export function lmHead(x: Var, w: Weights): Var {
  const [B, n, d] = x.shape;
  const last = rows(reshape(x, [B * n, d]), Array.from({ length: B }, (_, b) => b * n + n - 1));
  return matmulT(finalNorm(last, w), w.top.wte);
}

/** gpt2_dense: hidden states after the last block, [B, n, d]. */
export function gpt2Hidden(w: Weights, c: Gpt2Config, ids: readonly (readonly number[])[]): Var {
  let x = gpt2Embed(w, ids);
  for (const lw of w.layers) x = block(x, lw, c.n_head).y;
  return x;
}

/** gpt2_dense: next-token logits [B, V]. */
export const gpt2Dense = (w: Weights, c: Gpt2Config, ids: readonly (readonly number[])[]): Var => lmHead(gpt2Hidden(w, c, ids), w);

/** gpt2_cipherprune on one prompt: after each block keep the tokens whose importance exceeds
 * theta, and the last token, in their original order (prune.keep_mask_last, prune_rows). */
export function gpt2CipherPrune(w: Weights, c: Gpt2Config, ids: readonly number[], theta: ArrayLike<number>): { logits: Var; steps: PruneStep[] } {
  let x = gpt2Embed(w, [ids]);
  let positions = ids.map((_, i) => i);
  const steps: PruneStep[] = [];
  w.layers.forEach((lw, l) => {
    const { p, y } = block(x, lw, c.n_head);
    const s = Array.from(attentionReceived(p, c.n_head).data);
    const order = [...s.keys()].filter((i) => s[i] > theta[l] || i === s.length - 1);
    const d = y.shape[2];
    x = reshape(rows(reshape(y, [s.length, d]), order), [1, order.length, d]);
    steps.push({ k: order.length, kh: order.length, kept: order.map((i) => positions[i]), scores: s });
    positions = order.map((i) => positions[i]);
  });
  return { logits: lmHead(x, w), steps };
}
