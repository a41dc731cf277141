// Plaintext twins: what each op computes on opened values. In `fixed` mode they follow the
// secure path's fixed-point semantics exactly (ring arithmetic mod 2^l, truncation = floor
// division by 2^s, docs/runtime.md); in `float` mode they compute in float64 (to measure the
// approximation error of the fixed-point program).
import type { Enc, Vis } from '../front/types.ts';
import type { RangeProbe } from '../crypto/ranges.ts';
import type { RingArray } from '../crypto/ring.ts';
import { convertTwin } from '../crypto/nonlinear/convert.ts';
import { routeOrder, splitOrder, type RouteMode } from '../crypto/shuffle/route.ts';
import { compactDestTwin, routeToOrder } from '../crypto/shuffle/route-to.ts';
import { selectTwins } from './twins-select.ts';
import { addSub, bmm, colsum, divPlain, matmul, mul, neg, rowsum, sum0 } from './twins-arith.ts';
import { encodeReal, realValues, scaleOf } from './values.ts';
import {
  alloc, broadcastIndex, gather, join, permuteIndex, rowRangeIndex, size, toFloat,
  type Data, type Mode, type Tensor,
} from './tensor.ts';

export { realValues };

export interface TwinCall {
  args: Tensor[];
  /** Result shape, with every size known. */
  shape: number[];
  enc: Enc;
  /** Op attributes with sizes evaluated to numbers. */
  attrs: Record<string, unknown>;
  mode: Mode;
  /** Visibility of the result (secret ops check the secure protocols' preconditions). */
  vis?: Vis;
  /** Receives every range check (calibrate); without it a violated precondition throws. */
  probe?: RangeProbe;
}
export type Twin = (c: TwinCall) => Tensor;

const out = (c: TwinCall, data: Data): Tensor => ({ shape: c.shape, enc: c.enc, data });

/** Encode real values computed by a twin; in float mode only finite values are required. */
export function fromReal(values: ArrayLike<number>, enc: Enc, mode: Mode, what?: (i: number) => string): Data {
  if (mode === 'float' && enc.kind !== 'bool') return Float64Array.from(values);
  return encodeReal(values, enc, mode, what);
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
  return out(c, a.data.slice(off, off + size(c.shape)) as Data); // leading indices: a contiguous block
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
/** Row sums of squares (float mode; fixed mode uses the protocol's twin, stats.ts). */
const sumsq: Twin = (c) => {
  const s = c.args[0].shape, n = s[s.length - 1], v = realValues(c.args[0], c.mode);
  const o = new Float64Array(v.length / n);
  for (let i = 0; i < v.length; i++) o[Math.floor(i / n)] += v[i] * v[i];
  return out(c, o);
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
const realFn = (name: string, f: (x: number) => number): Twin => (c) => {
  const x = realValues(c.args[0], c.mode);
  return out(c, fromReal(Array.from(x, f), c.enc, c.mode, (i) => `${name}(${x[i]})`));
};

// ---- CipherPrune ----
/** Rows of `a` in the order of the mask, after the op's precondition checks (routeOrder). */
function maskOrder(c: TwinCall, op: RouteMode): { order: number[]; row: number } {
  const [a, mask, count] = c.args;
  return { order: routeOrder(op, toFloat(count.data)[0], mask.data as Uint8Array, c.probe), row: size(a.shape.slice(1)) };
}
const rowsIndex = (order: number[], rows: number, row: number): Uint32Array => Uint32Array.from({ length: rows * row }, (_, j) => order[Math.floor(j / row)] * row + (j % row));
const compact: Twin = (c) => {
  const { order, row } = maskOrder(c, 'compact');
  return out(c, gather(c.args[0].data, rowsIndex(order, c.shape[0], row)));
};
const partition: Twin = (c) => {
  const { order, row } = maskOrder(c, 'partition');
  return out(c, gather(c.args[0].data, rowsIndex(order, order.length, row)));
};
/** compact then partition in one: the kept `first` rows, then the other kept rows (splitOrder). */
const compactSplit: Twin = (c) => {
  const [a, keep, first, k, k1] = c.args;
  const order = splitOrder(toFloat(k.data)[0], toFloat(k1.data)[0], keep.data as Uint8Array, first.data as Uint8Array, c.probe);
  return out(c, gather(a.data, rowsIndex(order, c.shape[0], size(a.shape.slice(1)))));
};
/** compact's destinations as integers, after compact's precondition (k is the mask's count). */
const compactDest: Twin = (c) => {
  const [keep, k] = c.args, t = toFloat(k.data)[0], mask = keep.data as Uint8Array;
  routeOrder('compact', t, mask, c.probe);
  return out(c, Float64Array.from(compactDestTwin(t, mask)));
};
/** Rows to their destinations (a permutation), the first k kept. */
const routeTo: Twin = (c) => {
  const [a, dest, k] = c.args;
  const order = routeToOrder(toFloat(k.data)[0], toFloat(dest.data), c.probe);
  return out(c, gather(a.data, rowsIndex(order, c.shape[0], size(a.shape.slice(1)))));
};
/** Inverse of partition: row t of `a` goes back to row order[t]. */
const unpartition: Twin = (c) => {
  const { order, row } = maskOrder(c, 'unpartition');
  const back = new Array<number>(order.length);
  order.forEach((j, t) => (back[j] = t));
  return out(c, gather(c.args[0].data, rowsIndex(back, order.length, row)));
};

/** `convert` on values one party can see (and in float mode): the exact value, floored to the
 * target's scale; the secure twin (src/crypto/nonlinear/convert.ts) adds the protocols' checks. */
const convertPlain: Twin = (c) => {
  const a = c.args[0];
  if (c.mode === 'fixed' && (a.enc.kind === 'fix' || a.enc.kind === 'ring') && (c.enc.kind === 'fix' || c.enc.kind === 'ring')) {
    const w = (e: Enc) => ({ ell: (e as { ell: number }).ell, s: scaleOf(e) });
    return out(c, convertTwin(a.data as RingArray, { from: w(a.enc), to: w(c.enc) }, false, c.probe));
  }
  const v = realValues(a, c.mode), s = scaleOf(c.enc);
  if (c.mode === 'float') return out(c, c.enc.kind === 'int' ? Float64Array.from(v, Math.floor) : v);
  return out(c, fromReal(Array.from(v, (x) => Math.floor(x * 2 ** s) / 2 ** s), c.enc, c.mode, (i) => `the converted value ${v[i]} (element ${i})`));
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
  add: addSub('add'), sub: addSub('sub'), neg,
  mul_pp: mul('plain'), mul_sp: mul('secret'), mul_ps: mul('secret'), mul_sx: mul('secret'), mul_ss: mul('secret'),
  div_pp: divPlain, div_sp: divPlain,
  matmul_pp: matmul('plain'), matmul_sp: matmul('secret'), matmul_sx: matmul('secret'), matmul_ss: matmul('secret'),
  bmm_ss: bmm(false), bmm_t_ss: bmm(true),
  transpose, split_heads: splitHeads, merge_heads: mergeHeads, take, drop, concat,
  onehot, causal_mask: causalMask, first_mask: posMask(false), last_mask: posMask(true), fill,
  rowsum, colsum, sum0, rowmax, sumsq,
  gt_pp: compare((a, b) => a > b), gt_ss: compare((a, b) => a > b), lt_pp: compare((a, b) => a < b), lt_ss: compare((a, b) => a < b),
  eq_pp: compare((a, b) => a === b), eq_ss: compare((a, b) => a === b),
  and_pp: logic((a, b) => a & b), and_ss: logic((a, b) => a & b), or_pp: logic((a, b) => a | b), or_ss: logic((a, b) => a | b), and_sp: logic((a, b) => a & b), or_sp: logic((a, b) => a | b), not,
  select_ss: select, count,
  ...Object.fromEntries(Object.entries(realFunctions).map(([k, f]) => [k, realFn(k, f)])),
  compact, partition, unpartition, compact_split: compactSplit, compact_dest: compactDest, route_to: routeTo, convert: convertPlain,
  ...selectTwins,
  input: identity, share: identity, reveal: identity, output: identity, broadcast: broadcastTwin, index, encode, const: constTwin,
};
