// Tensor operations with their backward steps: broadcasting arithmetic, matrix products,
// head reshapes and row gathers. Broadcasting is by suffix: `b`'s shape must equal a trailing
// part of `a`'s shape (a bias [d] over [n, d], a mask [n, n] over [h, n, n]).
import { mmAdd, mmAddTA, mmAddTB } from './kernels.ts';
import { result, Var } from './var.ts';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const show = (s: readonly number[]) => `[${s.join(', ')}]`;

function suffixOf(a: readonly number[], b: readonly number[], op: string): void {
  const ok = b.length <= a.length && b.every((d, i) => d === a[a.length - b.length + i]);
  if (!ok) throw new Error(`autodiff ${op}: cannot broadcast ${show(b)} over ${show(a)}`);
}

function binary(a: Var, b: Var, op: 'add' | 'sub' | 'mul'): Var {
  suffixOf(a.shape, b.shape, op);
  const n = a.size, m = b.size;
  const x = a.data, y = b.data;
  const o = new Float64Array(n);
  if (op === 'add') for (let i = 0; i < n; i++) o[i] = x[i] + y[i % m];
  else if (op === 'sub') for (let i = 0; i < n; i++) o[i] = x[i] - y[i % m];
  else for (let i = 0; i < n; i++) o[i] = x[i] * y[i % m];
  return result(o, a.shape, [a, b], (out) => {
    const g = out.grad!;
    if (a.requiresGrad) {
      const ga = a.g();
      if (op === 'mul') for (let i = 0; i < n; i++) ga[i] += g[i] * y[i % m];
      else for (let i = 0; i < n; i++) ga[i] += g[i];
    }
    if (b.requiresGrad) {
      const gb = b.g();
      if (op === 'mul') for (let i = 0; i < n; i++) gb[i % m] += g[i] * x[i];
      else if (op === 'add') for (let i = 0; i < n; i++) gb[i % m] += g[i];
      else for (let i = 0; i < n; i++) gb[i % m] -= g[i];
    }
  });
}

export const add = (a: Var, b: Var): Var => binary(a, b, 'add');
export const sub = (a: Var, b: Var): Var => binary(a, b, 'sub');
export const mul = (a: Var, b: Var): Var => binary(a, b, 'mul');

export function scale(a: Var, c: number): Var {
  const o = Float64Array.from(a.data, (v) => v * c);
  return result(o, a.shape, [a], (out) => {
    const g = out.grad!, ga = a.g();
    for (let i = 0; i < g.length; i++) ga[i] += c * g[i];
  });
}

/** Elementwise f with derivative df (given x and f(x)). */
export function map(a: Var, f: (x: number) => number, df: (x: number, y: number) => number): Var {
  const x = a.data;
  const o = Float64Array.from(x, f);
  return result(o, a.shape, [a], (out) => {
    const g = out.grad!, ga = a.g();
    for (let i = 0; i < g.length; i++) ga[i] += g[i] * df(x[i], o[i]);
  });
}

/** Same values, another shape (row-major order unchanged). */
export function reshape(a: Var, shape: readonly number[]): Var {
  if (prod(shape) !== a.size) throw new Error(`autodiff reshape: ${show(a.shape)} to ${show(shape)}`);
  return result(a.data, shape, [a], (out) => {
    const g = out.grad!, ga = a.g();
    for (let i = 0; i < g.length; i++) ga[i] += g[i];
  });
}

/** x[..., k] · w[k, m] -> [..., m] */
export function matmul(x: Var, w: Var): Var {
  const k = x.shape[x.shape.length - 1];
  if (w.shape.length !== 2 || w.shape[0] !== k) throw new Error(`autodiff matmul: ${show(x.shape)} · ${show(w.shape)}`);
  const m = w.shape[1];
  const n = x.size / k;
  const o = new Float64Array(n * m);
  mmAdd(x.data, w.data, o, n, k, m);
  return result(o, [...x.shape.slice(0, -1), m], [x, w], (out) => {
    const g = out.grad!;
    if (x.requiresGrad) mmAddTB(g, w.data, x.g(), n, m, k);
    if (w.requiresGrad) mmAddTA(x.data, g, w.g(), n, k, m);
  });
}

/** Batched product a[B, n, k] · b[B, k, m] (or b[B, m, k]ᵀ with transB) -> [B, n, m]. */
export function bmm(a: Var, b: Var, transB = false): Var {
  const [B, n, k] = a.shape;
  const m = transB ? b.shape[1] : b.shape[2];
  const kb = transB ? b.shape[2] : b.shape[1];
  if (a.shape.length !== 3 || b.shape.length !== 3 || b.shape[0] !== B || kb !== k) throw new Error(`autodiff bmm: ${show(a.shape)} · ${show(b.shape)}${transB ? 'ᵀ' : ''}`);
  const o = new Float64Array(B * n * m);
  for (let i = 0; i < B; i++) (transB ? mmAddTB : mmAdd)(a.data, b.data, o, n, k, m, i * n * k, i * k * m, i * n * m);
  return result(o, [B, n, m], [a, b], (out) => {
    const g = out.grad!;
    for (let i = 0; i < B; i++) {
      const ao = i * n * k, bo = i * k * m, go = i * n * m;
      if (a.requiresGrad) (transB ? mmAdd : mmAddTB)(g, b.data, a.g(), n, m, k, go, bo, ao);
      if (b.requiresGrad) {
        if (transB) mmAddTA(g, a.data, b.g(), n, m, k, go, ao, bo); // gbᵀ[m, k] = gᵀ · a
        else mmAddTA(a.data, g, b.g(), n, k, m, ao, go, bo);
      }
    }
  });
}

/** A fixed permutation of elements: out[i] = a[index[i]] (each source used at most once or
 * more; the backward step scatters and adds). */
export function gatherElements(a: Var, index: Uint32Array, shape: readonly number[]): Var {
  const x = a.data;
  const o = new Float64Array(index.length);
  for (let i = 0; i < index.length; i++) o[i] = x[index[i]];
  return result(o, shape, [a], (out) => {
    const g = out.grad!, ga = a.g();
    for (let i = 0; i < index.length; i++) ga[index[i]] += g[i];
  });
}

/** Rows of a [R, ...] tensor (e.g. an embedding lookup, or the kept tokens). */
export function rows(a: Var, idx: ArrayLike<number>): Var {
  const w = a.size / a.shape[0];
  const index = new Uint32Array(idx.length * w);
  for (let r = 0; r < idx.length; r++) {
    if (!(idx[r] >= 0 && idx[r] < a.shape[0])) throw new Error(`autodiff rows: row ${idx[r]} of ${a.shape[0]}`);
    for (let j = 0; j < w; j++) index[r * w + j] = idx[r] * w + j;
  }
  return gatherElements(a, index, [idx.length, ...a.shape.slice(1)]);
}

/** [B, n, d] -> [B·h, n, d/h]: heads as a batch (the prelude's split_heads, per sentence). */
export function splitHeads(x: Var, h: number): Var {
  const [B, n, d] = x.shape;
  const dh = d / h;
  const index = new Uint32Array(x.size);
  let i = 0;
  for (let b = 0; b < B; b++) for (let hh = 0; hh < h; hh++) for (let t = 0; t < n; t++) for (let j = 0; j < dh; j++) index[i++] = (b * n + t) * d + hh * dh + j;
  return gatherElements(x, index, [B * h, n, dh]);
}

/** [B·h, n, dh] -> [B, n, h·dh]: the inverse of splitHeads. */
export function mergeHeads(x: Var, h: number): Var {
  const [Bh, n, dh] = x.shape;
  const B = Bh / h, d = h * dh;
  const index = new Uint32Array(x.size);
  let i = 0;
  for (let b = 0; b < B; b++) for (let t = 0; t < n; t++) for (let hh = 0; hh < h; hh++) for (let j = 0; j < dh; j++) index[i++] = ((b * h + hh) * n + t) * dh + j;
  return gatherElements(x, index, [B, n, d]);
}

/** Sum of all elements (a scalar). */
export function sum(a: Var): Var {
  let s = 0;
  for (const v of a.data) s += v;
  return result(Float64Array.of(s), [], [a], (out) => {
    const g = out.grad![0], ga = a.g();
    for (let i = 0; i < ga.length; i++) ga[i] += g;
  });
}

/** x[..., k] · w[m, k]ᵀ -> [..., m] (e.g. logits against a tied embedding table). */
export function matmulT(x: Var, w: Var): Var {
  const k = x.shape[x.shape.length - 1];
  if (w.shape.length !== 2 || w.shape[1] !== k) throw new Error(`autodiff matmulT: ${show(x.shape)} · ${show(w.shape)}ᵀ`);
  const m = w.shape[0];
  const n = x.size / k;
  const o = new Float64Array(n * m);
  mmAddTB(x.data, w.data, o, n, k, m);
  return result(o, [...x.shape.slice(0, -1), m], [x, w], (out) => {
    const g = out.grad!;
    if (x.requiresGrad) mmAdd(g, w.data, x.g(), n, m, k);
    if (w.requiresGrad) mmAddTA(g, x.data, w.g(), n, m, k);
  });
}
