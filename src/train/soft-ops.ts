// Autodiff operations for the threshold search (src/train/soft-prune.ts): attention over keys
// with a weight each (a token's presence: 1 kept, 0 pruned, in between while the masks are
// soft), the attention a token receives from the rows that are present, per-row mixing of the
// accurate and low-degree forms, and log-sigmoid masks (Learned Token Pruning, Kim et al.,
// KDD 2022, §3.2: soft masks sigmoid((score − θ)/T) during the search).
import { result, type Var } from '../autodiff/var.ts';

/**
 * Row-wise softmax of z [B·h, n, m] in which key j of sentence b counts with weight a[b, j] ≥ 0:
 * p_ij = a_j f(z_ij − M_i) / Σ_k a_k f(z_ik − M_i), M_i the largest z_ij over keys with a_j > 0.
 * With a ∈ {0, 1} this is the softmax over the present keys, as after compaction; f is exp or a
 * low-degree form of it (its derivative df). The max's own gradient (zero for exp, where it
 * cancels) goes to the key that attains it.
 */
export function weightedSoftmax(z: Var, a: Var, h: number, f: (x: number) => number, df: (x: number) => number): Var {
  const [Bh, n, m] = z.shape;
  if (a.size !== (Bh / h) * m) throw new Error(`weightedSoftmax: weights [${a.shape.join(', ')}] for scores [${z.shape.join(', ')}] with ${h} heads`);
  const zs = z.data, w = a.data;
  const o = new Float64Array(z.size), e = new Float64Array(z.size), de = new Float64Array(z.size), sums = new Float64Array(Bh * n);
  const arg = new Int32Array(Bh * n);
  for (let r = 0; r < Bh * n; r++) {
    const at = r * m, wb = Math.floor(r / (h * n)) * m;
    let M = -Infinity;
    for (let j = 0; j < m; j++) if (w[wb + j] > 0 && zs[at + j] > M) [M, arg[r]] = [zs[at + j], j];
    let s = 0;
    for (let j = 0; j < m; j++) {
      if (!(w[wb + j] > 0)) continue;
      e[at + j] = f(zs[at + j] - M);
      de[at + j] = df(zs[at + j] - M);
      s += w[wb + j] * e[at + j];
    }
    sums[r] = s;
    for (let j = 0; j < m; j++) o[at + j] = s > 0 ? (w[wb + j] * e[at + j]) / s : 0;
  }
  return result(o, z.shape, [z, a], (out) => {
    const g = out.grad!;
    const gz = z.requiresGrad ? z.g() : null, ga = a.requiresGrad ? a.g() : null;
    for (let r = 0; r < Bh * n; r++) {
      const at = r * m, wb = Math.floor(r / (h * n)) * m, s = sums[r];
      if (!(s > 0)) continue;
      let dot = 0, dM = 0;
      for (let j = 0; j < m; j++) dot += g[at + j] * o[at + j];
      for (let j = 0; j < m; j++) {
        const c = g[at + j] - dot;
        if (gz) gz[at + j] += ((w[wb + j] * de[at + j]) / s) * c;
        if (ga) ga[wb + j] += (e[at + j] / s) * c;
        dM -= ((w[wb + j] * de[at + j]) / s) * c;
      }
      if (gz) gz[at + arg[r]] += dM;
    }
  });
}

/** Attention received by each key from the rows present: p [B·h, n, m], a [B, n] -> [B, m]
 * (prune.importance on the compacted rows: pruned query rows are gone). */
export function receivedFrom(p: Var, a: Var, h: number): Var {
  const [Bh, n, m] = p.shape;
  const B = Bh / h;
  if (a.size !== B * n) throw new Error(`receivedFrom: weights [${a.shape.join(', ')}] for [${p.shape.join(', ')}]`);
  const o = new Float64Array(B * m);
  const rowOf = (i: number) => Math.floor(i / (h * n * m)) * n + (Math.floor(i / m) % n);
  const keyOf = (i: number) => Math.floor(i / (h * n * m)) * m + (i % m);
  for (let i = 0; i < p.size; i++) o[keyOf(i)] += a.data[rowOf(i)] * p.data[i];
  return result(o, [B, m], [p, a], (out) => {
    const g = out.grad!;
    const gp = p.requiresGrad ? p.g() : null, ga = a.requiresGrad ? a.g() : null;
    for (let i = 0; i < p.size; i++) {
      const gk = g[keyOf(i)];
      if (gp) gp[i] += gk * a.data[rowOf(i)];
      if (ga) ga[rowOf(i)] += gk * p.data[i];
    }
  });
}

/** Per row (token) mixing of two forms: out = g·x + (1 − g)·y for x, y [R, c] (any leading
 * shape whose product is R, or [Bh, n, m] with h heads per sentence when h > 1) and g [R / h]. */
export function mixRows(x: Var, y: Var, g: Var, h = 1): Var {
  const c = x.shape[x.shape.length - 1];
  const R = x.size / c;
  if (y.size !== x.size || g.size * h !== R) throw new Error(`mixRows: [${x.shape.join(', ')}], [${y.shape.join(', ')}], weights [${g.shape.join(', ')}]`);
  // row r of x belongs to weight: for heads, r = (b·h + head)·n + t -> b·n + t.
  const n = h > 1 ? x.shape[x.shape.length - 2] : R;
  const wOf = (r: number) => (h > 1 ? Math.floor(r / (h * n)) * n + (r % n) : r);
  const o = new Float64Array(x.size);
  for (let r = 0; r < R; r++) {
    const gw = g.data[wOf(r)];
    for (let j = 0; j < c; j++) o[r * c + j] = gw * x.data[r * c + j] + (1 - gw) * y.data[r * c + j];
  }
  return result(o, x.shape, [x, y, g], (out) => {
    const go = out.grad!;
    const gx = x.requiresGrad ? x.g() : null, gy = y.requiresGrad ? y.g() : null, gg = g.requiresGrad ? g.g() : null;
    for (let r = 0; r < R; r++) {
      const gw = g.data[wOf(r)];
      for (let j = 0; j < c; j++) {
        const i = r * c + j;
        if (gx) gx[i] += gw * go[i];
        if (gy) gy[i] += (1 - gw) * go[i];
        if (gg) gg[wOf(r)] += go[i] * (x.data[i] - y.data[i]);
      }
    }
  });
}

/**
 * A token mask from its scores s [B, m] and a threshold θ (a scalar Var): soft,
 * sigmoid((s − θ)/T), or hard, [s > θ] (T = 0; no gradient), times `prev` (the mask it
 * refines; [CLS]-like tokens in `always` get 1 before that). Returns [B, m].
 */
export function thresholdMask(s: Var, theta: Var, T: number, always: ReadonlySet<number>, prev?: Var): Var {
  const [B, m] = s.shape;
  const o = new Float64Array(B * m), d = new Float64Array(B * m), vs = new Float64Array(B * m);
  for (let i = 0; i < o.length; i++) {
    const base = prev ? prev.data[i] : 1;
    let v: number;
    if (always.has(i % m)) v = 1;
    else if (T === 0) v = s.data[i] > theta.data[0] ? 1 : 0;
    else {
      v = 1 / (1 + Math.exp(-(s.data[i] - theta.data[0]) / T));
      d[i] = (base * v * (1 - v)) / T;
    }
    vs[i] = v;
    o[i] = base * v;
  }
  return result(o, [B, m], prev ? [s, theta, prev] : [s, theta], (out) => {
    const g = out.grad!;
    const gs = s.requiresGrad ? s.g() : null, gt = theta.requiresGrad ? theta.g() : null, gp = prev?.requiresGrad ? prev.g() : null;
    for (let i = 0; i < o.length; i++) {
      if (gs) gs[i] += g[i] * d[i];
      if (gt) gt[0] -= g[i] * d[i];
      if (gp) gp[i] += g[i] * vs[i];
    }
  });
}
