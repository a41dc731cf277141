// Softmax and LayerNorm as in stdlib/nn.cpl, composed from the primitives (the executor composes
// the CPL functions itself; these TypeScript mirrors serve the benchmarks and tests).
//
//   softmax(z) = e · recip(rowsum(e)),  e = exp(z − rowmax(z))            (z already masked)
//   layernorm  = (x − μ)·rsqrt(var + ε)·γ + β,  μ = rowsum(x)/d,  var = sumsq::<W>(x − μ)/d in the
//                wider encoding W (rsqrt there too, then back to fix<ℓ, s>); `stat: null` gives the
//                former composition (squares truncated to s, var and rsqrt in fix<ℓ, s>)
import type { OtCostModel } from '../ot/cost.ts';
import type { RingArray } from '../ring.ts';
import { costOf, isServer, ringOf, type Cost, type ProtoCtx } from './context.ts';
import { divPublic, divPublicCostSteps, divPublicTwin, expand, mulSS, mulSSCostSteps, mulSX, mulSXCostSteps, mulTwin, squareCostSteps, squareSS, squareTwin } from './arith.ts';
import { expHi, expHiCost, expHiTwin, expLo, expLoCost, expLoTwin } from './exp.ts';
import { recip, recipCost, recipTwin, rsqrt, rsqrtCost, rsqrtTwin } from './recip.ts';
import { rowmax, rowmaxCostSteps, rowmaxTwin } from './rowmax.ts';
import { sumSquares, sumSquaresCostSteps, sumSquaresTwin } from './stats.ts';
import { convertCostSteps, convertShares, convertTwin } from './convert.ts';

export interface SoftmaxParams {
  ell: number;
  s: number;
  cols: number;
  /** 'lo' uses the low-degree exponential. */
  degree?: 'hi' | 'lo';
}

function broadcastRows(ring: ReturnType<typeof ringOf>, m: RingArray, cols: number): RingArray {
  return expand(ring, m.length * cols, m, { kind: 'row', cols });
}

export async function softmax(ctx: ProtoCtx, z: RingArray, p: SoftmaxParams): Promise<RingArray> {
  const ring = ringOf(p.ell), f = { ell: p.ell, s: p.s };
  const mx = await rowmax(ctx, z, { ell: p.ell, cols: p.cols });
  const d = ring.sub(z, broadcastRows(ring, mx, p.cols));
  const e = await (p.degree === 'lo' ? expLo : expHi)(ctx, d, f);
  const r = await recip(ctx, ring.sumLast(e, p.cols), f);
  return mulSS(ctx, e, r, { ell: p.ell, s: p.s, bcast: { kind: 'row', cols: p.cols } });
}

/** Cost of softmax: bytes exact; rounds = the sum of the parts' rounds (an upper bound). */
export function softmaxCost(n: number, p: SoftmaxParams, ot?: OtCostModel): Cost {
  const f = { ell: p.ell, s: p.s }, rows = n / p.cols;
  const parts = [
    costOf((b) => rowmaxCostSteps(b, n, { ell: p.ell, cols: p.cols }), ot),
    (p.degree === 'lo' ? expLoCost : expHiCost)(n, f, ot),
    recipCost(rows, f, ot),
    costOf((b) => mulSSCostSteps(b, n, { ell: p.ell, s: p.s, bcast: { kind: 'row', cols: p.cols } }), ot),
  ];
  return sumCosts(parts);
}

export function sumCosts(parts: Cost[]): Cost {
  return parts.reduce((a, c) => ({
    bytesClientToServer: a.bytesClientToServer + c.bytesClientToServer,
    bytesServerToClient: a.bytesServerToClient + c.bytesServerToClient,
    rounds: a.rounds + c.rounds,
  }), { bytesClientToServer: 0, bytesServerToClient: 0, rounds: 0 });
}

export function softmaxTwin(z: RingArray, p: SoftmaxParams): RingArray {
  const ring = ringOf(p.ell), f = { ell: p.ell, s: p.s };
  const mx = rowmaxTwin(z, { ell: p.ell, cols: p.cols });
  const e = (p.degree === 'lo' ? expLoTwin : expHiTwin)(ring.sub(z, broadcastRows(ring, mx, p.cols)), f);
  const r = recipTwin(ring.sumLast(e, p.cols), f);
  return mulTwin(e, r, { ell: p.ell, s: p.s, bcast: { kind: 'row', cols: p.cols } });
}

export interface LayerNormParams {
  ell: number;
  s: number;
  cols: number;
  /** ε as a real (added to the variance; rounds to 0 at small scales). */
  eps?: number;
  /** Encoding of the variance and rsqrt (default fix<44, 24>, as the bundled programs); null:
   * the former composition in fix<ℓ, s>. */
  stat?: { ell: number; s: number } | null;
}

const statOf = (p: LayerNormParams) => (p.stat === undefined ? { ell: 44, s: 24 } : p.stat);

/** LayerNorm over rows; gamma and beta (cols values each) are the server's (client passes null). */
export async function layerNorm(ctx: ProtoCtx, x: RingArray, gamma: RingArray | null, beta: RingArray | null, p: LayerNormParams): Promise<RingArray> {
  const ring = ringOf(p.ell), f = { ell: p.ell, s: p.s }, d = p.cols, W = statOf(p);
  const mu = await divPublic(ctx, ring.sumLast(x, d), d * 2 ** p.s, f);
  const xc = ring.sub(x, broadcastRows(ring, mu, d));
  let rs: RingArray;
  if (W) {
    let v = await divPublic(ctx, await sumSquares(ctx, xc, { ...f, cols: d, to: W }), d * 2 ** W.s, W);
    if (isServer(ctx)) v = ringOf(W.ell).addScalar(v, Math.round((p.eps ?? 1e-5) * 2 ** W.s));
    rs = await convertShares(ctx, await rsqrt(ctx, v, W), { from: W, to: f });
  } else {
    const sq = await squareSS(ctx, xc, f);
    let v = await divPublic(ctx, ring.sumLast(sq, d), d * 2 ** p.s, f);
    const epsRaw = Math.round((p.eps ?? 1e-5) * 2 ** p.s);
    if (isServer(ctx) && epsRaw) v = ring.addScalar(v, epsRaw);
    rs = await rsqrt(ctx, v, f);
  }
  const y = await mulSS(ctx, xc, rs, { ell: p.ell, s: p.s, bcast: { kind: 'row', cols: d } });
  const g = await mulSX(ctx, y, gamma, { ell: p.ell, s: p.s, owner: 'server', bcast: { kind: 'col', cols: d } });
  return isServer(ctx) && beta ? ring.add(g, expand(ring, g.length, beta, { kind: 'col', cols: d })) : g;
}

export function layerNormCost(n: number, p: LayerNormParams, ot?: OtCostModel): Cost {
  const f = { ell: p.ell, s: p.s }, d = p.cols, rows = n / d, W = statOf(p);
  const stats = W
    ? [costOf((b) => sumSquaresCostSteps(b, n, { ...f, cols: d, to: W }), ot), costOf((b) => divPublicCostSteps(b, rows, d * 2 ** W.s, W), ot), rsqrtCost(rows, W, ot), costOf((b) => convertCostSteps(b, rows, { from: W, to: f }), ot)]
    : [costOf((b) => squareCostSteps(b, n, f), ot), costOf((b) => divPublicCostSteps(b, rows, d * 2 ** p.s, f), ot), rsqrtCost(rows, f, ot)];
  return sumCosts([
    costOf((b) => divPublicCostSteps(b, rows, d * 2 ** p.s, f), ot),
    ...stats,
    costOf((b) => mulSSCostSteps(b, n, { ell: p.ell, s: p.s, bcast: { kind: 'row', cols: d } }), ot),
    costOf((b) => mulSXCostSteps(b, n, { ell: p.ell, s: p.s, owner: 'server', bcast: { kind: 'col', cols: d } }), ot),
  ]);
}

export function layerNormTwin(x: RingArray, gamma: RingArray, beta: RingArray, p: LayerNormParams): RingArray {
  const ring = ringOf(p.ell), f = { ell: p.ell, s: p.s }, d = p.cols, W = statOf(p);
  const mu = divPublicTwin(ring.sumLast(x, d), d * 2 ** p.s, f);
  const xc = ring.sub(x, broadcastRows(ring, mu, d));
  let rs: RingArray;
  if (W) {
    const v = ringOf(W.ell).addScalar(divPublicTwin(sumSquaresTwin(xc, { ...f, cols: d, to: W }), d * 2 ** W.s, W), Math.round((p.eps ?? 1e-5) * 2 ** W.s));
    rs = convertTwin(rsqrtTwin(v, W), { from: W, to: f }, true);
  } else {
    let v = divPublicTwin(ring.sumLast(squareTwin(xc, f), d), d * 2 ** p.s, f);
    const epsRaw = Math.round((p.eps ?? 1e-5) * 2 ** p.s);
    if (epsRaw) v = ring.addScalar(v, epsRaw);
    rs = rsqrtTwin(v, f);
  }
  const y = mulTwin(xc, rs, { ell: p.ell, s: p.s, bcast: { kind: 'row', cols: d } });
  const g = mulTwin(y, gamma, { ell: p.ell, s: p.s, bcast: { kind: 'col', cols: d } });
  return ring.add(g, expand(ring, g.length, beta, { kind: 'col', cols: d }));
}
