// Transformer functions with fused backward steps: softmax, LayerNorm, GELU, tanh, sigmoid,
// masks, the attention a token receives (CipherPrune's importance score) and the
// cross-entropy loss. The real functions are the ones the reference interpreter's `float` mode
// uses (src/interp/twins.ts, realFunctions), so a model built from these matches a CPL program
// run in float mode.
import { map } from './ops.ts';
import { result, Var } from './var.ts';

const C = Math.sqrt(2 / Math.PI);

/** GELU, tanh form (as the prelude's gelu_hi / gelu_lo in float mode). */
export function gelu(x: Var): Var {
  const n = x.size, xs = x.data;
  const o = new Float64Array(n), th = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = xs[i];
    const t = (th[i] = Math.tanh(C * (v + 0.044715 * v * v * v)));
    o[i] = 0.5 * v * (1 + t);
  }
  return result(o, x.shape, [x], (out) => {
    const g = out.grad!, gx = x.g();
    for (let i = 0; i < n; i++) {
      const v = xs[i], t = th[i];
      gx[i] += g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * C * (1 + 3 * 0.044715 * v * v));
    }
  });
}

export const tanh = (x: Var): Var => map(x, Math.tanh, (_v, y) => 1 - y * y);
export const sigmoid = (x: Var): Var => map(x, (v) => 1 / (1 + Math.exp(-v)), (_v, y) => y * (1 - y));

/** Row-wise softmax of a row-major [rows, m] array (the largest value subtracted first). */
function softmaxRows(x: Float64Array, m: number): Float64Array {
  const o = new Float64Array(x.length);
  for (let at = 0; at < x.length; at += m) {
    let mx = -Infinity;
    for (let j = 0; j < m; j++) mx = Math.max(mx, x[at + j]);
    let s = 0;
    for (let j = 0; j < m; j++) s += o[at + j] = Math.exp(x[at + j] - mx);
    for (let j = 0; j < m; j++) o[at + j] /= s;
  }
  return o;
}

/** Softmax over the last axis. */
export function softmax(x: Var): Var {
  const m = x.shape[x.shape.length - 1];
  const rowsN = x.size / m;
  const o = softmaxRows(x.data, m);
  return result(o, x.shape, [x], (out) => {
    const g = out.grad!, gx = x.g();
    for (let r = 0; r < rowsN; r++) {
      const at = r * m;
      let dot = 0;
      for (let j = 0; j < m; j++) dot += g[at + j] * o[at + j];
      for (let j = 0; j < m; j++) gx[at + j] += o[at + j] * (g[at + j] - dot);
    }
  });
}

/** LayerNorm over the last axis: (x − μ) / √(σ² + eps) · γ + β (biased variance). */
export function layerNorm(x: Var, gamma: Var, beta: Var, eps: number): Var {
  const d = x.shape[x.shape.length - 1];
  if (gamma.size !== d || beta.size !== d) throw new Error(`autodiff layerNorm: width ${d}, gain ${gamma.size}, bias ${beta.size}`);
  const R = x.size / d;
  const xhat = new Float64Array(x.size);
  const inv = new Float64Array(R);
  const o = new Float64Array(x.size);
  const g = gamma.data, b = beta.data;
  for (let r = 0; r < R; r++) {
    const at = r * d;
    let mu = 0;
    for (let j = 0; j < d; j++) mu += x.data[at + j];
    mu /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x.data[at + j] - mu) ** 2;
    inv[r] = 1 / Math.sqrt(v / d + eps);
    for (let j = 0; j < d; j++) {
      xhat[at + j] = (x.data[at + j] - mu) * inv[r];
      o[at + j] = xhat[at + j] * g[j] + b[j];
    }
  }
  return result(o, x.shape, [x, gamma, beta], (out) => {
    const go = out.grad!;
    if (gamma.requiresGrad || beta.requiresGrad) {
      const gg = gamma.g(), gb = beta.g();
      for (let i = 0; i < go.length; i++) {
        gg[i % d] += go[i] * xhat[i];
        gb[i % d] += go[i];
      }
    }
    if (!x.requiresGrad) return;
    const gx = x.g();
    for (let r = 0; r < R; r++) {
      const at = r * d;
      let s1 = 0, s2 = 0;
      for (let j = 0; j < d; j++) {
        const dxh = go[at + j] * g[j];
        s1 += dxh;
        s2 += dxh * xhat[at + j];
      }
      for (let j = 0; j < d; j++) gx[at + j] += (inv[r] / d) * (d * go[at + j] * g[j] - s1 - xhat[at + j] * s2);
    }
  });
}

/** scores[B·h, n, m] + mask[B, m] broadcast over heads and query rows (a per-key additive mask
 * per sentence; the mask is a constant). */
export function addKeyMask(scores: Var, mask: Float64Array, h: number): Var {
  const [Bh, n, m] = scores.shape;
  if (mask.length !== (Bh / h) * m) throw new Error(`autodiff addKeyMask: mask of ${mask.length} for scores [${scores.shape.join(', ')}] with ${h} heads`);
  const o = new Float64Array(scores.size);
  for (let i = 0; i < o.length; i++) {
    const b = Math.floor(i / (h * n * m));
    o[i] = scores.data[i] + mask[b * m + (i % m)];
  }
  return result(o, scores.shape, [scores], (out) => {
    const g = out.grad!, gs = scores.g();
    for (let i = 0; i < g.length; i++) gs[i] += g[i];
  });
}

/** Attention received by each key token, summed over heads and query rows:
 * p[B·h, n, m] -> [B, m] (prune.importance: colsum(sum0(p)) per sentence). */
export function attentionReceived(p: Var, h: number): Var {
  const [Bh, n, m] = p.shape;
  const B = Bh / h;
  const o = new Float64Array(B * m);
  for (let i = 0; i < p.size; i++) o[Math.floor(i / (h * n * m)) * m + (i % m)] += p.data[i];
  return result(o, [B, m], [p], (out) => {
    const g = out.grad!, gp = p.g();
    for (let i = 0; i < gp.length; i++) gp[i] += g[Math.floor(i / (h * n * m)) * m + (i % m)];
  });
}

/** Mean cross-entropy of logits [N, C] against class indices (targets < 0 are ignored). */
export function crossEntropy(logits: Var, targets: ArrayLike<number>): Var {
  const [N, Cn] = logits.shape;
  const probs = softmaxRows(logits.data, Cn);
  let loss = 0, count = 0;
  for (let r = 0; r < N; r++) {
    if (targets[r] >= 0) {
      loss -= Math.log(Math.max(probs[r * Cn + targets[r]], 1e-300));
      count++;
    }
  }
  const scale = count ? 1 / count : 0;
  return result(Float64Array.of(loss * scale), [], [logits], (out) => {
    const g = out.grad![0] * scale, gl = logits.g();
    for (let r = 0; r < N; r++) {
      if (targets[r] < 0) continue;
      const at = r * Cn;
      for (let j = 0; j < Cn; j++) gl[at + j] += g * (probs[at + j] - (j === targets[r] ? 1 : 0));
    }
  });
}
