// The prelude primitives implemented here, as rows the op table (src/ir/ops) can wire in.
// Uniform shape: `protocol(ctx, args, params)` with this party's shares (RingArray over Z_2^ell,
// or Bits for secret booleans; a private operand is null on the party that does not hold it),
// `twin(args, params)` on opened values, and `cost(n, params, ot?)` with n = the number of output
// elements' inputs (the first argument's length). Params per primitive: see `params`.
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import type { Bits, Cost, ProtoCtx } from './context.ts';
import type { RangeProbe } from '../ranges.ts';
import { divPublic, divPublicCost, divPublicTwin, mulSS, mulSSCost, mulSX, mulSXCost, mulTwin, type DivParams, type MulParams, type MulSXParams } from './arith.ts';
import { andCost, andSS, andTwin, countB, countCost, countSegments, countTwin, notB, notTwin, orCost, orSS, orTwin, selectCost, selectSS, selectTwin, type CountParams, type SelectParams } from './boolean.ts';
import { cmpCost, eqCost, eqSS, eqTwin, gtSS, gtTwin, ltSS, ltTwin, type CmpParams } from './compare.ts';
import { convertCost, convertShares, convertTwin, type ConvertParams } from './convert.ts';
import { sumSquares, sumSquaresCost, sumSquaresTwin, type SumSqParams } from './stats.ts';
import { expHi, expHiCost, expHiTwin, expLo, expLoCost, expLoTwin } from './exp.ts';
import { geluHi, geluHiCost, geluHiTwin, geluLo, geluLoCost, geluLoTwin, tanhCost, tanhS, tanhTwin, type FnParams } from './gelu.ts';
import { recip, recipCost, recipTwin, rsqrt, rsqrtCost, rsqrtTwin } from './recip.ts';
import { rowmax, rowmaxCost, rowmaxTwin, type RowmaxParams } from './rowmax.ts';
import { absS, absTwin, maxS, maxTwin, minS, minTwin, relu, reluTwin, sigmoid, sigmoidCost, sigmoidTwin, signCost, silu, siluCost, siluTwin, type SignParams } from './activations.ts';
import { argmax, argmaxCost, argmaxTwin, topk, topkCost, topkTwin, type TournamentParams, type TopkParams } from './tournament.ts';
import { allB, allCost, allTwin, anyB, anyTwin, type RowBitsParams } from './boolean.ts';

export type Share = RingArray | Bits | null;

export interface NonlinearPrim {
  name: string;
  /** What `params` must contain. */
  params: string;
  /** Error of the secure result against the twin (what the conformance suite checks). */
  error: string;
  protocol: (ctx: ProtoCtx, args: Share[], params: never) => Promise<RingArray | Bits>;
  /** Fixed-point twin; checks the op's preconditions (throws, or reports to `probe`). */
  twin: (args: Share[], params: never, probe?: RangeProbe) => RingArray | Bits;
  cost: (n: number, params: never, ot?: OtCostModel) => Cost;
  /** Batching (several calls with equal params in one run): by default the arguments are
   * concatenated and the output split; `rows` prims work on whole rows of `params.cols`;
   * `segments` reduces each call's part separately (same cost as one call on all elements). */
  batch?: { rows?: true; segments?: (ctx: ProtoCtx, args: Share[], params: never, lengths: number[]) => Promise<RingArray | Bits> };
}

const R = (a: Share) => a as RingArray;
const B = (a: Share) => a as Bits;

function row<P>(name: string, params: string, error: string,
  protocol: (ctx: ProtoCtx, args: Share[], p: P) => Promise<RingArray | Bits>,
  twin: (args: Share[], p: P, probe?: RangeProbe) => RingArray | Bits,
  cost: (n: number, p: P, ot?: OtCostModel) => Cost,
  batch?: NonlinearPrim['batch']): NonlinearPrim {
  return { name, params, error, protocol: protocol as never, twin: twin as never, cost: cost as never, batch };
}

const FN = '{ ell, s }';

export const NONLINEAR_PRIMS: NonlinearPrim[] = [
  row<MulParams>('mul_ss', '{ ell, s, bcast?: { kind: "row" | "col", cols }, exact? }', '≤ 1 ULP (one-bit truncation); exact with exact: true',
    (c, a, p) => mulSS(c, R(a[0]), R(a[1]), p), (a, p, q) => mulTwin(R(a[0]), R(a[1]), p, q), mulSSCost),
  row<MulSXParams>('mul_sx', '{ ell, s, owner, bcast?, privBits?, exact? } — b is null on the non-owner', '≤ 1 ULP',
    (c, a, p) => mulSX(c, R(a[0]), R(a[1]), p), (a, p, q) => mulTwin(R(a[0]), R(a[1]), p, q), mulSXCost),
  row<DivParams & { c: number }>('div_sp', '{ ell, s, c } — c = the public divisor as a raw fixed-point integer (≥ 1)', '≤ 1 ULP vs floor(x·round(2^(s+P)/c)/2^P)',
    (c, a, p) => divPublic(c, R(a[0]), p.c, p), (a, p, q) => divPublicTwin(R(a[0]), p.c, p, q), (n, p, ot) => divPublicCost(n, p.c, p, ot)),
  row<CmpParams>('gt_ss', '{ ell }', 'exact', (c, a, p) => gtSS(c, R(a[0]), R(a[1]), p), (a, p, q) => gtTwin(R(a[0]), R(a[1]), p, q), cmpCost),
  row<CmpParams>('lt_ss', '{ ell }', 'exact', (c, a, p) => ltSS(c, R(a[0]), R(a[1]), p), (a, p, q) => ltTwin(R(a[0]), R(a[1]), p, q), cmpCost),
  row<CmpParams>('eq_ss', '{ ell }', 'exact', (c, a, p) => eqSS(c, R(a[0]), R(a[1]), p), (a) => eqTwin(R(a[0]), R(a[1])), eqCost),
  row<ConvertParams>('convert', '{ from: { ell, s, bool? }, to: { ell, s } }', 'exact, or floor − 1 ULP when fractional bits are dropped',
    (c, a, p) => convertShares(c, a[0] as RingArray | Bits, p), (a, p, q) => convertTwin(a[0] as RingArray | Bits, p, true, q), convertCost),
  row<unknown>('and_ss', '{}', 'exact', (c, a) => andSS(c, B(a[0]), B(a[1])), (a) => andTwin(B(a[0]), B(a[1])), andCost),
  row<unknown>('or_ss', '{}', 'exact', (c, a) => orSS(c, B(a[0]), B(a[1])), (a) => orTwin(B(a[0]), B(a[1])), orCost),
  row<unknown>('not', '{}', 'exact (local)', async (c, a) => notB(c, B(a[0])), (a) => notTwin(B(a[0])), () => ({ bytesClientToServer: 0, bytesServerToClient: 0, rounds: 0 })),
  row<SelectParams>('select_ss', '{ ell }', 'exact', (c, a, p) => selectSS(c, B(a[0]), R(a[1]), R(a[2]), p), (a, p) => selectTwin(B(a[0]), R(a[1]), R(a[2]), p), selectCost),
  row<CountParams>('count', '{ ell }', 'exact', (c, a, p) => countB(c, B(a[0]), p), (a, p) => countTwin(B(a[0]), p), countCost,
    { segments: (c, a, p, lengths) => countSegments(c, B(a[0]), p as CountParams, lengths) }),
  row<FnParams>('exp_hi', FN, 'twin ± 3 ULP; input x ≤ 0', (c, a, p) => expHi(c, R(a[0]), p), (a, p, q) => expHiTwin(R(a[0]), p, q), expHiCost),
  row<FnParams>('exp_lo', FN, 'twin ± 2^(s−7) ULP (32 at s = 12; 64 lines by lookup, the secure segment index may be one less); input x ≤ 0; |secure − e^x| ≤ 4.2e-3 + 2 ULP', (c, a, p) => expLo(c, R(a[0]), p), (a, p, q) => expLoTwin(R(a[0]), p, q), expLoCost),
  row<FnParams>('gelu_hi', FN, 'twin ± 8 ULP', (c, a, p) => geluHi(c, R(a[0]), p), (a, p, q) => geluHiTwin(R(a[0]), p, q), geluHiCost),
  row<FnParams>('gelu_lo', FN, 'twin ± 2^(s−7) ULP (32 at s = 12; 64 lines by lookup on [−4, 4), ReLU beyond, the secure segment index may be one less); |secure − GELU| ≤ 3.7e-3 + 2 ULP', (c, a, p) => geluLo(c, R(a[0]), p), (a, p, q) => geluLoTwin(R(a[0]), p, q), geluLoCost),
  row<FnParams>('tanh', FN, 'twin ± 8 ULP', (c, a, p) => tanhS(c, R(a[0]), p), (a, p, q) => tanhTwin(R(a[0]), p, q), tanhCost),
  row<FnParams>('recip', FN, 'twin ± (2 ULP + 3·2^-F·|twin|), F = min(s + 1, ⌊(ℓ−6)/2⌋); input > 0 (clamped to ≥ 2^-s)', (c, a, p) => recip(c, R(a[0]), p), (a, p, q) => recipTwin(R(a[0]), p, q), recipCost),
  row<FnParams>('rsqrt', FN, 'twin ± (2 ULP + 3·2^-F·|twin|), F = min(s + 1, ⌊(ℓ−6)/2⌋); input > 0 (clamped to ≥ 2^-s)', (c, a, p) => rsqrt(c, R(a[0]), p), (a, p, q) => rsqrtTwin(R(a[0]), p, q), rsqrtCost),
  row<SumSqParams>('sumsq', '{ ell, s, cols, to: { ell, s } }', 'exact, or floor − 1 ULP when the row sum is truncated to W',
    (c, a, p) => sumSquares(c, R(a[0]), p), (a, p, q) => sumSquaresTwin(R(a[0]), p, q), sumSquaresCost, { rows: true }),
  row<RowmaxParams>('rowmax', '{ ell, cols }', 'exact', (c, a, p) => rowmax(c, R(a[0]), p), (a, p, q) => rowmaxTwin(R(a[0]), p, q), rowmaxCost, { rows: true }),
  // researchers' primitives (activations.ts, tournament.ts, boolean.ts)
  row<SignParams>('relu', '{ ell, s }', 'exact', (c, a, p) => relu(c, R(a[0]), p), (a, p) => reluTwin(R(a[0]), p), signCost),
  row<SignParams>('abs', '{ ell, s }', 'exact', (c, a, p) => absS(c, R(a[0]), p), (a, p, q) => absTwin(R(a[0]), p, q), signCost),
  row<SignParams>('max', '{ ell, s }', 'exact', (c, a, p) => maxS(c, R(a[0]), R(a[1]), p), (a, p, q) => maxTwin(R(a[0]), R(a[1]), p, q), signCost),
  row<SignParams>('min', '{ ell, s }', 'exact', (c, a, p) => minS(c, R(a[0]), R(a[1]), p), (a, p, q) => minTwin(R(a[0]), R(a[1]), p, q), signCost),
  row<FnParams>('sigmoid', FN, 'twin ± 2^(s−7) ULP (64 lines by lookup on [−7.875, 8), 0 and 1 beyond); |secure − σ| ≤ 2.5e-3', (c, a, p) => sigmoid(c, R(a[0]), p), (a, p, q) => sigmoidTwin(R(a[0]), p, q), sigmoidCost),
  row<FnParams>('silu', FN, 'twin ± 2^(s−7) ULP (128 lines by lookup on [−7.875, 8), ReLU beyond); |secure − SiLU| ≤ 4e-3', (c, a, p) => silu(c, R(a[0]), p), (a, p, q) => siluTwin(R(a[0]), p, q), siluCost),
  row<TournamentParams>('argmax', '{ ell, cols, s? }', 'exact (the first maximum)', (c, a, p) => argmax(c, R(a[0]), p), (a, p, q) => argmaxTwin(R(a[0]), p, q), argmaxCost, { rows: true }),
  row<TopkParams>('topk', '{ ell, cols, k, s? }', 'exact (ties to the lower index)', (c, a, p) => topk(c, R(a[0]), p), (a, p, q) => topkTwin(R(a[0]), p, q), topkCost, { rows: true }),
  row<RowBitsParams>('all', '{ cols }', 'exact', (c, a, p) => allB(c, B(a[0]), p), (a, p) => allTwin(B(a[0]), p), allCost, { rows: true }),
  row<RowBitsParams>('any', '{ cols }', 'exact', (c, a, p) => anyB(c, B(a[0]), p), (a, p) => anyTwin(B(a[0]), p), allCost, { rows: true }),
  row<CmpParams>('ne_ss', '{ ell }', 'exact', async (c, a, p) => notB(c, await eqSS(c, R(a[0]), R(a[1]), p)), (a) => notTwin(eqTwin(R(a[0]), R(a[1]))), eqCost),
  row<CmpParams>('le_ss', '{ ell }', 'exact', async (c, a, p) => notB(c, await gtSS(c, R(a[0]), R(a[1]), p)), (a, p, q) => notTwin(gtTwin(R(a[0]), R(a[1]), p, q)), cmpCost),
  row<CmpParams>('ge_ss', '{ ell }', 'exact', async (c, a, p) => notB(c, await ltSS(c, R(a[0]), R(a[1]), p)), (a, p, q) => notTwin(ltTwin(R(a[0]), R(a[1]), p, q)), cmpCost),
];

export const nonlinearPrim = (name: string): NonlinearPrim | undefined => NONLINEAR_PRIMS.find((r) => r.name === name);

/** Mantissa scale of recip / rsqrt (recip.ts): their relative error against the twin is below 3·2^-F
 * (one-bit truncation errors of the mantissa, v = u² and the polynomial's last level, poly.ts). */
const mantissa = (p: FnParams): number => Math.min(p.s + 1, Math.floor((p.ell - 6) / 2));

/**
 * The stated error of each primitive against its twin, as the largest |secure − twin| in raw
 * units (ULPs of the result) for a twin value `t` (raw, signed): what `error` says, as numbers.
 * The conformance and property tests check these bounds.
 */
export const TWIN_BOUNDS: Record<string, (t: number, p: never) => number> = {
  mul_ss: (_t, p: MulParams) => (p.s > 0 ? 1 : 0),
  mul_sx: (_t, p: MulParams) => (p.s > 0 ? 1 : 0),
  div_sp: () => 1,
  gt_ss: () => 0, lt_ss: () => 0, eq_ss: () => 0, ne_ss: () => 0, le_ss: () => 0, ge_ss: () => 0,
  relu: () => 0, abs: () => 0, max: () => 0, min: () => 0, argmax: () => 0, topk: () => 0, all: () => 0, any: () => 0,
  sigmoid: (_t, p: FnParams) => 2 ** (p.s - 7), silu: (_t, p: FnParams) => 2 ** (p.s - 7), and_ss: () => 0, or_ss: () => 0, not: () => 0, select_ss: () => 0, count: () => 0, rowmax: () => 0,
  convert: (_t, p: ConvertParams) => (!p.from.bool && p.to.s < p.from.s ? 1 : 0),
  sumsq: (_t, p: SumSqParams) => (2 * p.s > p.to.s ? 1 : 0),
  exp_hi: () => 3,
  exp_lo: (_t, p: FnParams) => 2 ** (p.s - 7),
  gelu_hi: () => 8,
  gelu_lo: (_t, p: FnParams) => 2 ** (p.s - 7),
  tanh: () => 8,
  recip: (t, p: FnParams) => 2 + Math.abs(t) * 3 * 2 ** -mantissa(p),
  rsqrt: (t, p: FnParams) => 2 + Math.abs(t) * 3 * 2 ** -mantissa(p),
};
