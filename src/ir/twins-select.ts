// Twins of the selection, reduction and layout ops added for researchers' layers (prelude:
// "activations, selection, reductions and layout"). On values a party can see (and in float
// mode) they compute exactly; secret calls use the protocols' twins (src/crypto/nonlinear), which
// also check the protocols' preconditions.
import type { Enc } from '../front/types.ts';
import { sigmoidRef, siluRef } from '../crypto/nonlinear/activations.ts';
import { encodeReal, realValues } from './values.ts';
import { gather, size, type Data, type Mode } from './tensor.ts';
import type { Twin, TwinCall } from './twins.ts';

const out = (c: TwinCall, data: Data) => ({ shape: c.shape, enc: c.enc, data });

/** Real results in the result's encoding (float mode: as they are). */
const fromReal = (v: ArrayLike<number>, enc: Enc, mode: Mode): Data => (mode === 'float' && enc.kind !== 'bool' ? Float64Array.from(v) : encodeReal(v, enc, mode));

const unary = (f: (x: number) => number): Twin => (c) => out(c, fromReal(Array.from(realValues(c.args[0], c.mode), f), c.enc, c.mode));
const binary = (f: (a: number, b: number) => number): Twin => (c) => {
  const a = realValues(c.args[0], c.mode), b = realValues(c.args[1], c.mode);
  return out(c, fromReal(Array.from(a, (x, i) => f(x, b[i])), c.enc, c.mode));
};

/** Per row of the last axis: f(row values) -> one value. */
const perRow = (f: (row: Float64Array) => number): Twin => (c) => {
  const a = c.args[0], n = a.shape[a.shape.length - 1], v = realValues(a, c.mode), o: number[] = [];
  for (let r = 0; r < v.length / n; r++) o.push(f(v.subarray(r * n, (r + 1) * n)));
  return out(c, fromReal(o, c.enc, c.mode));
};

const firstMax = (row: Float64Array): number => row.indexOf(Math.max(...row));

const topk: Twin = (c) => {
  const a = c.args[0], n = a.shape[a.shape.length - 1], k = c.attrs.k as number, v = realValues(a, c.mode);
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new RangeError(`topk: k = ${k} must be in 1..${n} (the row length)`);
  const mask = new Uint8Array(v.length);
  for (let r = 0; r < v.length / n; r++) {
    const order = [...Array(n).keys()].sort((x, y) => v[r * n + y] - v[r * n + x] || x - y);
    for (const j of order.slice(0, k)) mask[r * n + j] = 1;
  }
  return out(c, mask);
};

const identity: Twin = (c) => out(c, c.args[0].data);

const gatherRows: Twin = (c) => {
  const [a, idx] = c.args, row = size(a.shape.slice(1)), ids = realValues(idx, c.mode);
  ids.forEach((id, i) => {
    if (!(Number.isInteger(id) && id >= 0 && id < a.shape[0])) throw new RangeError(`gather: index ${id} (element ${i}) is outside 0..${a.shape[0] - 1}`);
  });
  return out(c, gather(a.data, Uint32Array.from({ length: ids.length * row }, (_, j) => ids[Math.floor(j / row)] * row + (j % row))));
};

export const selectTwins: Record<string, Twin> = {
  relu: unary((x) => Math.max(x, 0)),
  abs: unary(Math.abs),
  max: binary(Math.max),
  min: binary(Math.min),
  sigmoid: unary(sigmoidRef),
  silu: unary(siluRef),
  ne_pp: binary((a, b) => (a !== b ? 1 : 0)), ne_ss: binary((a, b) => (a !== b ? 1 : 0)),
  le_pp: binary((a, b) => (a <= b ? 1 : 0)), le_ss: binary((a, b) => (a <= b ? 1 : 0)),
  ge_pp: binary((a, b) => (a >= b ? 1 : 0)), ge_ss: binary((a, b) => (a >= b ? 1 : 0)),
  argmax: perRow(firstMax),
  topk,
  all: perRow((row) => (row.every((b) => b === 1) ? 1 : 0)),
  any: perRow((row) => (row.some((b) => b === 1) ? 1 : 0)),
  iota: (c) => out(c, Float64Array.from({ length: c.shape[0] }, (_, i) => i)),
  squeeze: identity, unsqueeze: identity, flatten: identity, reshape: identity,
  gather: gatherRows,
};
