// Arithmetic twins: sums, products, division, matrix products and reductions, with the checks
// of docs/approximations.md ("Domains and errors"):
// - fixed point never overflows silently: a sum, difference or plaintext product outside
//   fix<ℓ, s> is an error (ring<ℓ> values wrap, as their type says);
// - products of secret fixed-point values are truncated securely, which needs the raw product
//   (scale 2s) in [−2^(ℓ−2), 2^(ℓ−2)): |a·b| < 64 at fix<32, 12>; a dot product's whole sum;
// - plaintext products (mul_pp, matmul_pp, div_pp) are exact: the floor of the real result;
// - integers stay in [−2^31, 2^31) (secret integers are shares in Z_2^32).
import { truncExact } from '../crypto/fixed.ts';
import { checkRange, fmt, realOf, truncSpec, valueSpec } from '../crypto/ranges.ts';
import type { RingArray } from '../crypto/ring.ts';
import { alloc, gather, join, permuteIndex, ringEnc, size, toFloat, type Data } from './tensor.ts';
import { checkInts, scaleOf } from './values.ts';
import type { Twin, TwinCall } from './twins.ts';

/** Who computes: `secret` ops run securely (truncation protocol), `plain` ones in the clear. */
export type Side = 'plain' | 'secret';

const out = (c: TwinCall, data: Data) => ({ shape: c.shape, enc: c.enc, data });
const ellOf = (c: TwinCall): number => (c.enc as { ell: number }).ell;

/** A fix result (signed raw values at scale s) must lie in fix<ℓ, s>. */
function checkFix(c: TwinCall, raw: Float64Array, what: string, detail?: (i: number) => string): void {
  if (c.enc.kind !== 'fix' || c.mode !== 'fixed') return;
  checkRange(realOf(raw, c.enc.scale), valueSpec(c.enc.ell, c.enc.scale, what), c.probe, detail);
}

// ---- elementwise ----

export function addSub(op: 'add' | 'sub'): Twin {
  const what = op === 'add' ? 'the sum' : 'the difference';
  return (c) => {
    const [a, b] = c.args;
    const r = ringEnc(c.enc, c.mode);
    if (r) {
      const x = a.data as RingArray, y = b.data as RingArray;
      if (c.enc.kind === 'fix') {
        const sa = r.toSigned(x), sb = r.toSigned(y), v = new Float64Array(sa.length);
        for (let i = 0; i < v.length; i++) v[i] = op === 'add' ? sa[i] + sb[i] : sa[i] - sb[i];
        const s = scaleOf(c.enc);
        checkFix(c, v, what, (i) => `element ${i}: ${fmt(sa[i] * 2 ** -s)} ${op === 'add' ? '+' : '−'} ${fmt(sb[i] * 2 ** -s)}`);
      }
      return out(c, op === 'add' ? r.add(x, y) : r.sub(x, y));
    }
    const x = toFloat(a.data), y = toFloat(b.data);
    const o = Float64Array.from(x, (v, i) => (op === 'add' ? v + y[i] : v - y[i]));
    if (c.enc.kind === 'int' && c.mode === 'fixed') checkInts(o, what);
    return out(c, o);
  };
}

export const neg: Twin = (c) => {
  const r = ringEnc(c.enc, c.mode);
  if (r) {
    const x = c.args[0].data as RingArray;
    if (c.enc.kind === 'fix') checkFix(c, Float64Array.from(r.toSigned(x), (v) => -v), 'the negation');
    return out(c, r.neg(x));
  }
  return out(c, Float64Array.from(toFloat(c.args[0].data), (v) => -v));
};

/** floor(P / 2^s) of exact integer products P = a·b (BigInt beyond 2^53). */
function exactFloor(sa: Float64Array, sb: Float64Array, s: number): Float64Array {
  const q = new Float64Array(sa.length);
  for (let i = 0; i < q.length; i++) {
    const p = sa[i] * sb[i];
    q[i] = Math.abs(p) < 2 ** 53 ? Math.floor(p / 2 ** s) : Number((BigInt(sa[i]) * BigInt(sb[i])) >> BigInt(s));
  }
  return q;
}

export function mul(side: Side): Twin {
  return (c) => {
    const [a, b] = c.args;
    const r = ringEnc(c.enc, c.mode);
    if (!r) {
      const x = toFloat(a.data), y = toFloat(b.data);
      const o = Float64Array.from(x, (v, i) => v * y[i]);
      if (c.enc.kind === 'int' && c.mode === 'fixed') checkInts(o, 'the product');
      return out(c, o);
    }
    const x = a.data as RingArray, y = b.data as RingArray;
    if (c.enc.kind !== 'fix') return out(c, r.mul(x, y)); // ring<ℓ>: arithmetic mod 2^ℓ
    const s = c.enc.scale, sa = r.toSigned(x), sb = r.toSigned(y);
    const detail = (i: number) => `element ${i}: ${fmt(sa[i] * 2 ** -s)} × ${fmt(sb[i] * 2 ** -s)}`;
    if (side === 'secret' && s > 0) {
      const p = Float64Array.from(sa, (v, i) => v * sb[i]);
      checkRange(realOf(p, 2 * s), truncSpec(r.ell, s, 2 * s, 'the product before the secure truncation'), c.probe, detail);
      return out(c, truncExact(r, r.mul(x, y), s));
    }
    const q = exactFloor(sa, sb, s);
    checkFix(c, q, 'the product', detail);
    return out(c, r.fromSigned(q));
  };
}

/** Plaintext x / c: exact (the floor of the real quotient at the result's scale; integers divide
 * with floor, e.g. 5 / 2 = 2); c ≠ 0. */
export const divPlain: Twin = (c) => {
  const [a, b] = c.args;
  const r = ringEnc(c.enc, c.mode);
  const x = r ? r.toSigned(a.data as RingArray) : toFloat(a.data), d = r ? r.toSigned(b.data as RingArray) : toFloat(b.data);
  for (let i = 0; i < d.length; i++) if (d[i] === 0) throw new RangeError(`division by zero (element ${i})`);
  if (!r) {
    const int = c.enc.kind === 'int' || (c.enc.kind === 'lit' && !c.enc.float);
    const o = Float64Array.from(x, (v, i) => (int ? Math.floor(v / d[i]) : v / d[i]));
    if (c.enc.kind === 'int' && c.mode === 'fixed') checkInts(o, 'the quotient');
    return out(c, o);
  }
  const s = scaleOf(c.enc);
  const q = Float64Array.from(x, (v, i) => Math.floor((v * 2 ** s) / d[i]));
  checkFix(c, q, 'the quotient');
  return out(c, r.fromSigned(q));
};

// ---- matrix products ----

/** Float64 sums of signed raw products (exact while every partial sum stays below 2^53). */
function rawDot(sa: Float64Array, sb: Float64Array, m: number, k: number, n: number): Float64Array {
  const o = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let t = 0; t < k; t++) {
    const v = sa[i * k + t];
    if (v === 0) continue;
    for (let j = 0; j < n; j++) o[i * n + j] += v * sb[t * n + j];
  }
  return o;
}

function matmulData(a: Data, b: Data, m: number, k: number, n: number, c: TwinCall, side: Side): Data {
  const r = ringEnc(c.enc, c.mode);
  if (!r) {
    const o = rawDot(toFloat(a), toFloat(b), m, k, n);
    if (c.enc.kind === 'int' && c.mode === 'fixed') checkInts(o, 'the dot product');
    return o;
  }
  if (c.enc.kind !== 'fix') return r.matmul(a as RingArray, b as RingArray, m, k, n);
  const s = c.enc.scale, sa = r.toSigned(a as RingArray), sb = r.toSigned(b as RingArray), sums = rawDot(sa, sb, m, k, n);
  const detail = (i: number) => `row ${Math.floor(i / n)}, column ${i % n} of the ${m}×${n} result`;
  if (side === 'secret' && s > 0) {
    checkRange(realOf(sums, 2 * s), truncSpec(r.ell, s, 2 * s, 'a dot product before the secure truncation'), c.probe, detail);
    return truncExact(r, r.matmul(a as RingArray, b as RingArray, m, k, n), s);
  }
  const q = exactMatmulFloor(sa, sb, m, k, n, sums, s);
  checkFix(c, q, 'a dot product', detail);
  return r.fromSigned(q);
}

/** floor(Σ a·b / 2^s) exactly: from the float sums when they are exact, else with BigInt. */
function exactMatmulFloor(sa: Float64Array, sb: Float64Array, m: number, k: number, n: number, sums: Float64Array, s: number): Float64Array {
  let bound = 0;
  for (let i = 0; i < m; i++) {
    let rowMax = 0;
    for (let t = 0; t < k; t++) rowMax += Math.abs(sa[i * k + t]);
    bound = Math.max(bound, rowMax);
  }
  let bMax = 0;
  for (let i = 0; i < sb.length; i++) bMax = Math.max(bMax, Math.abs(sb[i]));
  if (bound * bMax < 2 ** 53) return Float64Array.from(sums, (v) => Math.floor(v / 2 ** s));
  const q = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0n;
    for (let t = 0; t < k; t++) acc += BigInt(sa[i * k + t]) * BigInt(sb[t * n + j]);
    q[i * n + j] = Number(acc >> BigInt(s));
  }
  return q;
}

export function matmul(side: Side): Twin {
  return (c) => {
    const [a, b] = c.args;
    return out(c, matmulData(a.data, b.data, a.shape[0], a.shape[1], b.shape[1], c, side));
  };
}

export function bmm(transposeB: boolean): Twin {
  return (c) => {
    const [a, b] = c.args;
    const [h, n, k] = a.shape;
    const bt = transposeB ? { ...b, data: gather(b.data, permuteIndex(b.shape, [0, 2, 1])), shape: [b.shape[0], b.shape[2], b.shape[1]] } : b;
    const m = bt.shape[2];
    let acc: Data | null = null;
    for (let i = 0; i < h; i++) {
      const ai = gather(a.data, Uint32Array.from({ length: n * k }, (_, j) => i * n * k + j));
      const bi = gather(bt.data, Uint32Array.from({ length: k * m }, (_, j) => i * k * m + j));
      const p = matmulData(ai, bi, n, k, m, c, 'secret');
      acc = acc ? join(acc, p) : p;
    }
    return out(c, acc ?? alloc(c.enc, 0, c.mode));
  };
}

// ---- reductions ----

function reduce(c: TwinCall, groups: number, len: number, stride: number, inner: number): Data {
  const a = c.args[0];
  const r = ringEnc(c.enc, c.mode);
  if (r && c.enc.kind === 'fix') checkFix(c, sums(r.toSigned(a.data as RingArray), groups, len, stride, inner), 'the sum');
  if (!r) {
    const o = sums(toFloat(a.data), groups, len, stride, inner);
    if (c.enc.kind === 'int' && c.mode === 'fixed') checkInts(o, 'the sum');
    return o;
  }
  const o = r.alloc(groups * inner);
  for (let g = 0; g < groups; g++) for (let j = 0; j < inner; j++) {
    const base = g * len * inner + j;
    if (o instanceof BigUint64Array) {
      let acc = 0n;
      for (let t = 0; t < len; t++) acc += (a.data as BigUint64Array)[base + t * stride];
      o[g * inner + j] = BigInt.asUintN(r.ell, acc);
    } else {
      let acc = 0;
      for (let t = 0; t < len; t++) acc = (acc + (a.data as Uint32Array)[base + t * stride]) >>> 0;
      o[g * inner + j] = r.ell === 32 ? acc : acc & (2 ** r.ell - 1);
    }
  }
  return o;
}

function sums(src: Float64Array, groups: number, len: number, stride: number, inner: number): Float64Array {
  const o = new Float64Array(groups * inner);
  for (let g = 0; g < groups; g++) for (let j = 0; j < inner; j++) {
    const base = g * len * inner + j;
    let s = 0;
    for (let t = 0; t < len; t++) s += src[base + t * stride];
    o[g * inner + j] = s;
  }
  return o;
}

export const rowsum: Twin = (c) => {
  const s = c.args[0].shape;
  const n = s[s.length - 1];
  return out(c, reduce(c, size(s) / n, n, 1, 1));
};
export const colsum: Twin = (c) => {
  const [n, m] = c.args[0].shape;
  return out(c, reduce(c, 1, n, m, m));
};
export const sum0: Twin = (c) => {
  const s = c.args[0].shape;
  const inner = size(s.slice(1));
  return out(c, reduce(c, 1, s[0], inner, inner));
};

