// Conformance cases: for every primitive, an input generator over its domain (random values plus
// edge values), the float64 reference with its stated max error, and the bound against the twin.
import { Fixed } from '../../src/crypto/fixed.ts';
import { Prg } from '../../src/crypto/prg.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import { EXP_CLAMP, GELU_HI, TANH, geluRef, ringOf, sigmoidRef, siluRef } from '../../src/crypto/nonlinear/index.ts';

export const ell = 32, s = 12;
export const fx = new Fixed(ell, s);
export const ring = ringOf(ell);
const ulp = 2 ** -s;

export function uniform(n: number, lo: number, hi: number, seed: number): number[] {
  const v = new Uint32Array(Prg.fromInt(seed).bytes(4 * n).buffer);
  return Array.from(v, (u) => lo + (hi - lo) * (u / 2 ** 32));
}

export function bits(n: number, seed: number): Uint8Array {
  return Prg.fromInt(seed).bytes(n).map((b) => b & 1);
}

/** Random values in [lo, hi], then the edge values (only those inside the domain). */
function values(n: number, lo: number, hi: number, seed: number, edges: number[]): number[] {
  const e = edges.filter((v) => v >= lo && v <= hi);
  return [...e, ...uniform(Math.max(0, n - e.length), lo, hi, seed)];
}

export type Arg = { kind: 'ring'; v: RingArray; owner?: 'server'; ell?: number } | { kind: 'bits'; v: Uint8Array };

export interface Case {
  name: string;
  params: Record<string, unknown>;
  args: Arg[];
  /** Max |secure − twin| in ULPs, or a function of the twin value (raw) for relative bounds. */
  twinTol: number | ((twinRaw: number) => number);
  /** Ring of the result when it differs from the inputs' Z_2^32 (conversions, sumsq). */
  outEll?: number;
  /** Scale of the result for the float64 comparison (default s). */
  outS?: number;
  /** float64 reference per element and its stated max error (absolute, or relative + ULPs). */
  ref?: (i: number) => number;
  refTol?: (expected: number) => number;
}

const ringArg = (xs: number[], owner?: 'server'): Arg => ({ kind: 'ring', v: fx.encode(xs), owner });
const fn = (name: string, xs: number[], f: (x: number) => number, twinTol: number | ((t: number) => number), refTol: (e: number) => number, fl = ell, fs = s): Case => {
  const enc = new Fixed(fl, fs), dec = enc.decode(enc.encode(xs));
  return { name, params: { ell: fl, s: fs }, args: [{ kind: 'ring', v: enc.encode(xs), ell: fl }], twinTol, ref: (i) => f(dec[i]), refTol, outEll: fl, outS: fs };
};

/** Index of the first maximum of row ⌊i⌋ (float64 reference of argmax). */
function argmaxRef(xs: number[], cols: number, i: number): number {
  const row = xs.slice(i * cols, (i + 1) * cols);
  return row.indexOf(Math.max(...row));
}

export function cases(n: number, seed: number): Case[] {
  const big = 2 ** (ell - s - 2) - 1; // largest |x| the truncations accept
  const a = values(n, -7, 7, seed, [0, 7, -7, ulp, -ulp]), b = values(n, -7, 7, seed + 1, [0, -7, 7, -ulp, ulp]);
  const da = fx.decode(fx.encode(a)), db = fx.decode(fx.encode(b));
  const cols = 8, rows = Math.max(1, Math.floor(n / cols)), m = rows * cols;
  const gamma = uniform(cols, -3, 3, seed + 2), dg = fx.decode(fx.encode(gamma));
  const cmpA = values(n, -big, big, seed + 3, [0, big, -big]), cmpB = [...cmpA.slice(0, 3), ...values(n - 3, -big, big, seed + 4, [])];
  const rel = (r: number) => (t: number) => 2 + Math.abs(t) * r;
  const expIn = values(n, -20, 0, seed + 5, [0, -ulp, -EXP_CLAMP, -EXP_CLAMP - ulp, -EXP_CLAMP + ulp, -Math.LN2, -big]);
  const gIn = (T: number) => values(n, -8, 8, seed + 6, [0, T, -T, T - ulp, -T + ulp, T + ulp, -T - ulp, big, -big, ulp, -ulp]);
  // Low forms: the coarse clamp windows ([3.75, 4) and [−3.75, −3.5) for GELU, [−7.5, −7) for exp),
  // the ends of the line tables and a segment boundary, each ± 1 ULP.
  const pm = (xs: number[]) => xs.flatMap((v) => [v, v - ulp, v + ulp]);
  const gLoIn = values(n, -8, 8, seed + 15, [...pm([0, 3.75, 4, -3.75, -3.5, -4, 0.125, -0.125]), 3.999, big, -big]);
  const expLoIn = values(n, -20, 0, seed + 16, [0, -ulp, ...pm([-7.5, -7, -8, -0.125, -1]), -7.875, -big]);
  const pos = values(n, ulp, 2000, seed + 7, [ulp, 1, 2, 0.5, 2 ** 17, 0.75]);
  // LayerNorm variances at fix<44, 24> (+ ε): from 1e-5 to the range's top 2^18.
  const wideVar = values(n, 1e-5, 300, seed + 18, [2 ** -24, 1e-5, 1e-3, 1, 2 ** 18 - 1]);
  // sigmoid and SiLU: the clamp windows (−7.875, −7.75, 7.875, 8), a segment boundary, the tails.
  const tailsIn = values(n, -12, 12, seed + 24, [...pm([0, 7.875, 8, -7.875, -7.75, -8, 0.25, -0.25]), big, -big]);
  const dA = fx.decode(fx.encode(cmpA)), dB = fx.decode(fx.encode(cmpB));
  // Rows of 7 with repeated values (ties go to the lower index), within topk's |x| < 2^(ℓ−3−s).
  const rowsWithTies = values(7 * Math.max(1, Math.floor(n / 7)), -3, 3, seed + 22, []).map((v, i) => (i % 3 === 0 ? Math.round(v) : v));
  const small = values(5 * Math.max(1, Math.floor(n / 5)), -20, 20, seed + 23, []).map((v) => Math.round(v * 4) / 4);
  /** Rows of mostly-true bits, some all true. */
  const mostlyOnes = (cols: number, sd: number) => {
    const rowsN = Math.max(2, Math.floor(n / cols)), r = bits(rowsN * cols, sd), u = uniform(rowsN * cols, 0, 1, sd + 1);
    return Uint8Array.from({ length: rowsN * cols }, (_, i) => (Math.floor(i / cols) % 2 === 0 ? 1 : u[i] < 0.95 ? 1 : r[i]));
  };
  return [
    { name: 'mul_ss', params: { ell, s }, args: [ringArg(a), ringArg(b)], twinTol: 1, ref: (i) => da[i] * db[i], refTol: () => 2 * ulp },
    { name: 'mul_ss', params: { ell, s, bcast: { kind: 'row', cols } }, args: [ringArg(a.slice(0, m)), ringArg(b.slice(0, rows))], twinTol: 1,
      ref: (i) => da[i] * db[Math.floor(i / cols)], refTol: () => 2 * ulp },
    { name: 'mul_sx', params: { ell, s, owner: 'server', bcast: { kind: 'col', cols } }, args: [ringArg(a.slice(0, m)), ringArg(gamma, 'server')], twinTol: 1,
      ref: (i) => da[i] * dg[i % cols], refTol: () => 2 * ulp },
    { name: 'mul_sx', params: { ell, s, owner: 'server', privBits: 16 }, args: [ringArg(a), ringArg(b.map((v) => v / 2), 'server')], twinTol: 1 },
    { name: 'div_sp', params: { ell, s, c: 768 * 2 ** s }, args: [ringArg(values(n, -5000, 5000, seed + 8, [0, 5000, -5000]))], twinTol: 1 },
    { name: 'gt_ss', params: { ell }, args: [ringArg(cmpA), ringArg(cmpB)], twinTol: 0 },
    { name: 'lt_ss', params: { ell }, args: [ringArg(cmpA), ringArg(cmpB)], twinTol: 0 },
    { name: 'and_ss', params: {}, args: [{ kind: 'bits', v: bits(n, seed + 9) }, { kind: 'bits', v: bits(n, seed + 10) }], twinTol: 0 },
    { name: 'or_ss', params: {}, args: [{ kind: 'bits', v: bits(n, seed + 9) }, { kind: 'bits', v: bits(n, seed + 10) }], twinTol: 0 },
    { name: 'not', params: {}, args: [{ kind: 'bits', v: bits(n, seed + 11) }], twinTol: 0 },
    { name: 'select_ss', params: { ell }, args: [{ kind: 'bits', v: bits(n, seed + 12) }, ringArg(a), ringArg(b)], twinTol: 0 },
    { name: 'count', params: { ell }, args: [{ kind: 'bits', v: bits(n, seed + 13) }], twinTol: 0 },
    fn('exp_hi', expIn, Math.exp, 3, () => 1e-3),
    fn('exp_lo', expLoIn, Math.exp, 32, () => 4.5e-3),
    fn('gelu_hi', gIn(GELU_HI.ymax), geluRef, 8, () => 2.5e-3),
    fn('gelu_lo', gLoIn, geluRef, 32, () => 4e-3),
    fn('tanh', gIn(TANH.ymax), Math.tanh, 8, () => 8e-3),
    fn('recip', pos, (x) => 1 / Math.max(x, ulp), rel(2 ** -(s - 1)), (e) => 3 * ulp + 1e-3 * Math.abs(e)),
    fn('rsqrt', pos, (x) => 1 / Math.sqrt(Math.max(x, ulp)), rel(2 ** -(s - 1)), (e) => 3 * ulp + 1e-3 * Math.abs(e)),
    { name: 'eq_ss', params: { ell }, args: [ringArg(cmpA), ringArg([...cmpA.slice(0, n >> 1), ...cmpB.slice(n >> 1)])], twinTol: 0 },
    { name: 'convert', params: { from: { ell, s }, to: { ell: 37, s } }, args: [ringArg(cmpA)], twinTol: 0, outEll: 37, ref: (i) => fx.decode(fx.encode(cmpA))[i], refTol: () => 0 },
    { name: 'convert', params: { from: { ell, s }, to: { ell: 44, s: 24 } }, args: [ringArg(cmpA)], twinTol: 0, outEll: 44, outS: 24, ref: (i) => fx.decode(fx.encode(cmpA))[i], refTol: () => 0 },
    { name: 'convert', params: { from: { ell, s }, to: { ell: 24, s: 8 } }, args: [ringArg(a)], twinTol: 1, outEll: 24, outS: 8, ref: (i) => da[i], refTol: () => 2 ** -7 },
    { name: 'convert', params: { from: { ell, s }, to: { ell: 40, s: 4 } }, args: [ringArg(a)], twinTol: 1, outEll: 40, outS: 4, ref: (i) => da[i], refTol: () => 2 ** -3 },
    { name: 'convert', params: { from: { ell: 1, s: 0, bool: true }, to: { ell: 37, s: 12 } }, args: [{ kind: 'bits', v: bits(n, seed + 17) }], twinTol: 0, outEll: 37 },
    { name: 'sumsq', params: { ell, s, cols, to: { ell: 44, s: 24 } }, args: [ringArg(a.slice(0, m).map((v) => v * 1.6))], twinTol: 0, outEll: 44, outS: 24,
      ref: (i) => fx.decode(fx.encode(a.slice(0, m).map((v) => v * 1.6))).slice(i * cols, (i + 1) * cols).reduce((t, v) => t + v * v, 0), refTol: () => 0 },
    { name: 'sumsq', params: { ell, s, cols, to: { ell: 44, s: 20 } }, args: [ringArg(a.slice(0, m))], twinTol: 1, outEll: 44, outS: 20,
      ref: (i) => fx.decode(fx.encode(a.slice(0, m))).slice(i * cols, (i + 1) * cols).reduce((t, v) => t + v * v, 0), refTol: () => 2 ** -19 },
    fn('rsqrt', wideVar, (x) => 1 / Math.sqrt(x), rel(3 * 2 ** -19), (e) => 2 ** -20 + 2e-5 * Math.abs(e), 44, 24),
    { name: 'rowmax', params: { ell, cols: 7 }, args: [ringArg(values(7 * Math.max(1, Math.floor(n / 7)), -100, 100, seed + 14, [100, -100, 0]))], twinTol: 0 },
    // researchers' primitives
    { name: 'relu', params: { ell, s }, args: [ringArg(cmpA)], twinTol: 0, ref: (i) => Math.max(0, dA[i]), refTol: () => 0 },
    { name: 'abs', params: { ell, s }, args: [ringArg(cmpA)], twinTol: 0, ref: (i) => Math.abs(dA[i]), refTol: () => 0 },
    { name: 'max', params: { ell, s }, args: [ringArg(cmpA), ringArg(cmpB)], twinTol: 0, ref: (i) => Math.max(dA[i], dB[i]), refTol: () => 0 },
    { name: 'min', params: { ell, s }, args: [ringArg(cmpA), ringArg(cmpB)], twinTol: 0, ref: (i) => Math.min(dA[i], dB[i]), refTol: () => 0 },
    fn('sigmoid', tailsIn, sigmoidRef, 2 ** (s - 7), () => 2.5e-3),
    fn('silu', tailsIn, siluRef, 2 ** (s - 7), () => 4e-3),
    { name: 'argmax', params: { ell, cols: 7, s }, args: [ringArg(rowsWithTies)], twinTol: 0, outEll: 32, outS: 0, ref: (i) => argmaxRef(Array.from(fx.decode(fx.encode(rowsWithTies))), 7, i), refTol: () => 0 },
    { name: 'argmax', params: { ell: 16, cols: 5, s: 8 }, args: [{ kind: 'ring', v: new Fixed(16, 8).encode(small), ell: 16 }], twinTol: 0, outEll: 32, outS: 0, ref: (i) => argmaxRef(small, 5, i), refTol: () => 0 },
    { name: 'topk', params: { ell, cols: 7, k: 3, s }, args: [ringArg(rowsWithTies)], twinTol: 0 },
    { name: 'topk', params: { ell, cols: 5, k: 1, s }, args: [ringArg(rowsWithTies.slice(0, 5 * Math.floor(rowsWithTies.length / 5)))], twinTol: 0 },
    { name: 'all', params: { cols: 5 }, args: [{ kind: 'bits', v: mostlyOnes(5, seed + 19) }], twinTol: 0 },
    { name: 'any', params: { cols: 40 }, args: [{ kind: 'bits', v: mostlyOnes(40, seed + 20).map((b) => b ^ 1) }], twinTol: 0 },
    { name: 'all', params: { cols: 40 }, args: [{ kind: 'bits', v: mostlyOnes(40, seed + 21) }], twinTol: 0 },
    { name: 'ne_ss', params: { ell }, args: [ringArg(cmpA), ringArg([...cmpA.slice(0, n >> 1), ...cmpB.slice(n >> 1)])], twinTol: 0 },
    { name: 'le_ss', params: { ell }, args: [ringArg(cmpA), ringArg(cmpB)], twinTol: 0 },
    { name: 'ge_ss', params: { ell }, args: [ringArg(cmpA), ringArg(cmpB)], twinTol: 0 },
  ];
}
