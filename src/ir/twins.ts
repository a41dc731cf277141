// Plaintext twins: what each op computes on opened values. In `fixed` mode they follow the
// secure path's fixed-point semantics exactly (ring arithmetic mod 2^l, truncation = floor
// division by 2^s, docs/runtime.md); in `float` mode they compute in float64 (to measure the
// approximation error of the fixed-point program).
import type { Enc } from '../front/types.ts';
import { truncExact } from '../crypto/fixed.ts';
import { divPublicTwin } from '../crypto/nonlinear/arith.ts';
import type { RingArray } from '../crypto/ring.ts';
import {
  alloc, broadcastIndex, gather, join, permuteIndex, ringEnc, rowRangeIndex, size, toFloat,
  type Data, type Mode, type Tensor,
} from './tensor.ts';

export interface TwinCall {
  args: Tensor[];
  /** Result shape, with every size known. */
  shape: number[];
  enc: Enc;
  /** Op attributes with sizes evaluated to numbers. */
  attrs: Record<string, unknown>;
  mode: Mode;
}
export type Twin = (c: TwinCall) => Tensor;

const scaleOf = (enc: Enc): number => (enc.kind === 'fix' ? enc.scale : 0);
const out = (c: TwinCall, data: Data): Tensor => ({ shape: c.shape, enc: c.enc, data });

/** Real value of element data (for functions evaluated in float64). */
export function realValues(t: Tensor, mode: Mode): Float64Array {
  const r = ringEnc(t.enc, mode);
  if (!r) return toFloat(t.data);
  const v = r.toSigned(t.data as RingArray);
  const s = scaleOf(t.enc);
  if (s) for (let i = 0; i < v.length; i++) v[i] /= 2 ** s;
  return v;
}

/** Encode real values into `enc`: fixed point rounds to nearest and saturates at the largest
 * representable magnitude (so 1/0 becomes the maximum, as the secure approximations do). */
export function fromReal(values: ArrayLike<number>, enc: Enc, mode: Mode): Data {
  if (enc.kind === 'bool') return Uint8Array.from(values, (v) => (v ? 1 : 0));
  const r = ringEnc(enc, mode);
  if (!r) return Float64Array.from(values);
  const s = scaleOf(enc);
  const hi = Math.min(2 ** (r.ell - 1) - 1, Number.MAX_SAFE_INTEGER);
  const ints = Float64Array.from(values, (v) => {
    const x = Math.round(v * 2 ** s);
    return Number.isNaN(x) ? 0 : Math.max(-hi - 1, Math.min(hi, x));
  });
  return r.fromSigned(ints);
}

// ---- elementwise arithmetic ----
function arith(op: 'add' | 'sub' | 'mul'): Twin {
  return (c) => {
    const [a, b] = c.args;
    const r = ringEnc(c.enc, c.mode);
    if (r) {
      const x = a.data as RingArray, y = b.data as RingArray;
      if (op === 'add') return out(c, r.add(x, y));
      if (op === 'sub') return out(c, r.sub(x, y));
      const p = r.mul(x, y);
      return out(c, scaleOf(c.enc) ? truncExact(r, p, scaleOf(c.enc)) : p);
    }
    const x = toFloat(a.data), y = toFloat(b.data);
    const o = new Float64Array(x.length);
    for (let i = 0; i < o.length; i++) o[i] = op === 'add' ? x[i] + y[i] : op === 'sub' ? x[i] - y[i] : x[i] * y[i];
    return out(c, o);
  };
}

const neg: Twin = (c) => {
  const r = ringEnc(c.enc, c.mode);
  if (r) return out(c, r.neg(c.args[0].data as RingArray));
  return out(c, Float64Array.from(toFloat(c.args[0].data), (v) => -v));
};

/** x / c for a public c. A constant divisor (attrs.divisor) follows the secure protocol's
 * semantics (divPublicTwin: division in a 64-bit ring, within 1 ULP of exact); otherwise
 * multiply by the fixed-point reciprocal round(2^s / c) and truncate. */
const div: Twin = (c) => {
  const [a, b] = c.args;
  const r = ringEnc(c.enc, c.mode);
  const cv = realValues(b, c.mode);
  if (r && typeof c.attrs.divisor === 'number' && c.enc.kind === 'fix') {
    const s = c.enc.scale;
    return out(c, divPublicTwin(a.data as RingArray, Math.round(c.attrs.divisor * 2 ** s), { ell: c.enc.ell, s }));
  }
  if (r) {
    const s = scaleOf(c.enc);
    const recip = r.fromSigned(Float64Array.from(cv, (v) => Math.round(2 ** s / v)));
    const p = r.mul(a.data as RingArray, recip);
    return out(c, s ? truncExact(r, p, s) : p);
  }
  const x = toFloat(a.data);
  return out(c, Float64Array.from(x, (v, i) => v / cv[i]));
};

// ---- matrix products ----
function matmulData(a: Data, b: Data, m: number, k: number, n: number, c: TwinCall): Data {
  const r = ringEnc(c.enc, c.mode);
  if (r) {
    const p = r.matmul(a as RingArray, b as RingArray, m, k, n);
    return scaleOf(c.enc) ? truncExact(r, p, scaleOf(c.enc)) : p;
  }
  const x = toFloat(a), y = toFloat(b);
  const o = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let t = 0; t < k; t++) {
    const v = x[i * k + t];
    for (let j = 0; j < n; j++) o[i * n + j] += v * y[t * n + j];
  }
  return o;
}

const matmul: Twin = (c) => {
  const [a, b] = c.args;
  return out(c, matmulData(a.data, b.data, a.shape[0], a.shape[1], b.shape[1], c));
};

function bmm(transposeB: boolean): Twin {
  return (c) => {
    const [a, b] = c.args;
    const [h, n, k] = a.shape;
    const bt = transposeB ? { ...b, data: gather(b.data, permuteIndex(b.shape, [0, 2, 1])), shape: [b.shape[0], b.shape[2], b.shape[1]] } : b;
    const m = bt.shape[2];
    let acc: Data | null = null;
    for (let i = 0; i < h; i++) {
      const ai = gather(a.data, Uint32Array.from({ length: n * k }, (_, j) => i * n * k + j));
      const bi = gather(bt.data, Uint32Array.from({ length: k * m }, (_, j) => i * k * m + j));
      const p = matmulData(ai, bi, n, k, m, c);
      acc = acc ? join(acc, p) : p;
    }
    return out(c, acc ?? alloc(c.enc, 0, c.mode));
  };
}

// ---- layout ----
const transpose: Twin = (c) => out(c, gather(c.args[0].data, permuteIndex(c.args[0].shape, [1, 0])));

const splitHeads: Twin = (c) => {
  const [n, d] = c.args[0].shape;
  const h = c.shape[0];
  return out(c, gather(c.args[0].data, permuteIndex([n, h, d / h], [1, 0, 2])));
};
const mergeHeads: Twin = (c) => out(c, gather(c.args[0].data, permuteIndex(c.args[0].shape, [1, 0, 2])));
const take: Twin = (c) => out(c, gather(c.args[0].data, rowRangeIndex(c.args[0].shape, 0, c.attrs.n as number)));
const drop: Twin = (c) => {
  const s = c.args[0].shape;
  return out(c, gather(c.args[0].data, rowRangeIndex(s, c.attrs.n as number, s[s.length - 2])));
};
const concat: Twin = (c) => {
  const [a, b] = c.args;
  const d = a.shape[a.shape.length - 1];
  const lead = size(a.shape.slice(0, -2));
  const ra = a.shape[a.shape.length - 2] * d, rb = b.shape[b.shape.length - 2] * d;
  let acc: Data = alloc(c.enc, 0, c.mode);
  for (let i = 0; i < lead; i++) {
    acc = join(acc, gather(a.data, Uint32Array.from({ length: ra }, (_, j) => i * ra + j)));
    acc = join(acc, gather(b.data, Uint32Array.from({ length: rb }, (_, j) => i * rb + j)));
  }
  return out(c, acc);
};
const broadcastTwin: Twin = (c) => out(c, gather(c.args[0].data, broadcastIndex(c.args[0].shape, c.shape)));
const index: Twin = (c) => {
  const a = c.args[0];
  const idx = c.attrs.indices as number[];
  let off = 0;
  const st = a.shape.map((_, i) => size(a.shape.slice(i + 1)));
  idx.forEach((v, i) => {
    if (v < 0 || v >= a.shape[i]) throw new RangeError(`index ${v} out of range for size ${a.shape[i]}`);
    off += v * st[i];
  });
  const n = size(c.shape);
  return out(c, gather(a.data, Uint32Array.from({ length: n }, (_, j) => off + j)));
};

// ---- constructors ----
const onehot: Twin = (c) => {
  const ids = toFloat(c.args[0].data);
  const m = c.shape[1];
  const one = fromReal([1], c.enc, c.mode);
  const o = alloc(c.enc, ids.length * m, c.mode);
  ids.forEach((id, i) => {
    if (!(Number.isInteger(id) && id >= 0 && id < m)) throw new RangeError(`token id ${id} at position ${i} is outside the vocabulary 0..${m - 1}`);
    (o as Float64Array)[i * m + id] = (one as Float64Array)[0];
  });
  return out(c, o);
};
/** Additive causal mask: 0 on and below the diagonal, -10000 above it. */
const causalMask: Twin = (c) => {
  const n = c.shape[0];
  return out(c, fromReal(Float64Array.from({ length: n * n }, (_, i) => (i % n > Math.floor(i / n) ? -10000 : 0)), c.enc, c.mode));
};
const posMask = (last: boolean): Twin => (c) => {
  const n = c.shape[0];
  return out(c, Uint8Array.from({ length: n }, (_, i) => (i === (last ? n - 1 : 0) ? 1 : 0)));
};
const fill: Twin = (c) => out(c, gather(c.args[0].data, new Uint32Array(size(c.shape))));

// ---- reductions ----
function reduce(c: TwinCall, groups: number, len: number, stride: number, inner: number): Data {
  const a = c.args[0];
  const r = ringEnc(c.enc, c.mode);
  const o = alloc(c.enc, groups * inner, c.mode);
  for (let g = 0; g < groups; g++) for (let j = 0; j < inner; j++) {
    const base = g * len * inner + j;
    if (r && o instanceof BigUint64Array) {
      let s = 0n;
      for (let t = 0; t < len; t++) s += (a.data as BigUint64Array)[base + t * stride];
      o[g * inner + j] = BigInt.asUintN(r.ell, s);
    } else if (r) {
      let s = 0;
      for (let t = 0; t < len; t++) s = (s + (a.data as Uint32Array)[base + t * stride]) >>> 0;
      (o as Uint32Array)[g * inner + j] = r.ell === 32 ? s : s & (2 ** r.ell - 1);
    } else {
      let s = 0;
      for (let t = 0; t < len; t++) s += (a.data as Float64Array)[base + t * stride];
      (o as Float64Array)[g * inner + j] = s;
    }
  }
  return o;
}
const rowsum: Twin = (c) => {
  const s = c.args[0].shape;
  const n = s[s.length - 1];
  return out(c, reduce(c, size(s) / n, n, 1, 1));
};
const colsum: Twin = (c) => {
  const [n, m] = c.args[0].shape;
  return out(c, reduce(c, 1, n, m, m));
};
const sum0: Twin = (c) => {
  const s = c.args[0].shape;
  const inner = size(s.slice(1));
  return out(c, reduce(c, 1, s[0], inner, inner));
};
const rowmax: Twin = (c) => {
  const s = c.args[0].shape;
  const n = s[s.length - 1];
  const v = realValues(c.args[0], c.mode);
  const rows = v.length / n;
  const idx = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = i * n;
    for (let j = 1; j < n; j++) if (v[i * n + j] > v[best]) best = i * n + j;
    idx[i] = best;
  }
  return out(c, gather(c.args[0].data, idx));
};

// ---- comparisons and booleans ----
const compare = (f: (a: number, b: number) => boolean): Twin => (c) => {
  const x = realValues(c.args[0], c.mode), y = realValues(c.args[1], c.mode);
  return out(c, Uint8Array.from(x, (v, i) => (f(v, y[i]) ? 1 : 0)));
};
const logic = (f: (a: number, b: number) => number): Twin => (c) => {
  const x = c.args[0].data as Uint8Array, y = c.args[1].data as Uint8Array;
  return out(c, Uint8Array.from(x, (v, i) => f(v, y[i])));
};
const not: Twin = (c) => out(c, Uint8Array.from(c.args[0].data as Uint8Array, (v) => 1 - v));
const select: Twin = (c) => {
  const [k, a, b] = c.args;
  const idx = Uint32Array.from({ length: k.data.length }, (_, i) => ((k.data as Uint8Array)[i] ? i : i + k.data.length));
  return out(c, gather(join(a.data, b.data), idx));
};
const count: Twin = (c) => out(c, Float64Array.of((c.args[0].data as Uint8Array).reduce((s, v) => s + v, 0)));

// ---- functions evaluated on real values (the nonlinear protocols' twins replace these) ----
export const realFunctions: Record<string, (x: number) => number> = {
  exp_hi: Math.exp,
  exp_lo: Math.exp,
  gelu_hi: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  gelu_lo: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  tanh: Math.tanh,
  recip: (x) => 1 / x,
  rsqrt: (x) => 1 / Math.sqrt(x),
  rsqrt_pp: (x) => 1 / Math.sqrt(x),
};
const realFn = (f: (x: number) => number): Twin => (c) => out(c, fromReal(Array.from(realValues(c.args[0], c.mode), f), c.enc, c.mode));

// ---- CipherPrune ----
const compact: Twin = (c) => {
  const [a, keep] = c.args;
  const row = size(a.shape.slice(1));
  const rows: number[] = [];
  (keep.data as Uint8Array).forEach((k, i) => k && rows.push(i));
  if (rows.length !== c.shape[0]) throw new Error(`compact: ${rows.length} rows are kept but k = ${c.shape[0]}`);
  return out(c, gather(a.data, Uint32Array.from({ length: rows.length * row }, (_, j) => rows[Math.floor(j / row)] * row + (j % row))));
};
const partition: Twin = (c) => {
  const [a, first] = c.args;
  const row = size(a.shape.slice(1));
  const f = first.data as Uint8Array;
  const order = [...f.keys()].filter((i) => f[i]).concat([...f.keys()].filter((i) => !f[i]));
  return out(c, gather(a.data, Uint32Array.from({ length: order.length * row }, (_, j) => order[Math.floor(j / row)] * row + (j % row))));
};

// ---- builtins ----
const identity: Twin = (c) => out(c, c.args[0].data);
/** Integer or literal -> fixed point / ring. */
const encode: Twin = (c) => {
  const a = c.args[0];
  if (a.enc.kind === c.enc.kind && c.enc.kind !== 'fix' && c.enc.kind !== 'ring') return out(c, a.data);
  return out(c, fromReal(Array.from(realValues(a, c.mode)), c.enc, c.mode));
};
const constTwin: Twin = (c) => {
  const v = c.attrs.value as number | boolean;
  return out(c, typeof v === 'boolean' ? Uint8Array.of(v ? 1 : 0) : fromReal([v], c.enc, c.mode));
};

export const twins: Record<string, Twin> = {
  add: arith('add'), sub: arith('sub'), neg,
  mul_pp: arith('mul'), mul_sp: arith('mul'), mul_ps: arith('mul'), mul_sx: arith('mul'), mul_ss: arith('mul'),
  div_pp: div, div_sp: div,
  matmul_pp: matmul, matmul_sp: matmul, matmul_sx: matmul, matmul_ss: matmul,
  bmm_ss: bmm(false), bmm_t_ss: bmm(true),
  transpose, split_heads: splitHeads, merge_heads: mergeHeads, take, drop, concat,
  onehot, causal_mask: causalMask, first_mask: posMask(false), last_mask: posMask(true), fill,
  rowsum, colsum, sum0, rowmax,
  gt_pp: compare((a, b) => a > b), gt_ss: compare((a, b) => a > b), lt_pp: compare((a, b) => a < b), lt_ss: compare((a, b) => a < b),
  eq_pp: compare((a, b) => a === b),
  and_pp: logic((a, b) => a & b), and_ss: logic((a, b) => a & b), or_pp: logic((a, b) => a | b), or_ss: logic((a, b) => a | b), not,
  select_ss: select, count,
  ...Object.fromEntries(Object.entries(realFunctions).map(([k, f]) => [k, realFn(f)])),
  compact, partition,
  input: identity, share: identity, reveal: identity, output: identity, broadcast: broadcastTwin, index, encode, const: constTwin,
};
