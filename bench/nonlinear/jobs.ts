// Bench only: the non-linear functions the nonlinear benchmark runs, at fix<32,12>. `proto` jobs
// call the TypeScript compositions (src/crypto/nonlinear) on shares; `cpl` jobs run the bundled
// stdlib/nn.cpl functions through the executor, as `cipherprune run` does.
import { Fixed } from '../../src/crypto/fixed.ts';
import type { OtCostModel } from '../../src/crypto/ot/cost.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { expHi, expHiCost, expLo, expLoCost, geluHi, geluHiCost, geluLo, geluLoCost, layerNorm, layerNormCost, softmax, softmaxCost, type Cost, type ProtoCtx } from '../../src/crypto/nonlinear/index.ts';

export const ell = 32, s = 12, fx = new Fixed(ell, s);

/** BOLT's published bytes per element (PROTOCOLS.md). */
const BOLT = { gelu: 4.1e3, softmax: 7.7e3, layernorm: 6.2e3 };

export interface ProtoJob {
  kind: 'proto';
  name: string;
  n: number;
  bolt: number | null;
  input: number[];
  run: (ctx: ProtoCtx, x: RingArray) => Promise<RingArray>;
  cost: (ot: OtCostModel) => Cost;
}

export interface CplJob {
  kind: 'cpl';
  name: string;
  program: string;
  bolt: number | null;
}

export type Job = ProtoJob | CplJob;

export function uniform(n: number, lo: number, hi: number, seed: number): number[] {
  const v = new Uint32Array(Prg.fromInt(seed).bytes(4 * n).buffer);
  return Array.from(v, (u) => lo + (hi - lo) * (u / 2 ** 32));
}

export function jobs(quick: boolean): Job[] {
  const nG = quick ? 2048 : 16384, nE = quick ? 2048 : 16384, rowsS = quick ? 4 : 32, rowsL = quick ? 2 : 16;
  const gamma = fx.encode(uniform(768, 0.5, 1.5, 9)), beta = fx.encode(uniform(768, -0.1, 0.1, 10));
  const F = { ell, s };
  const sm = (degree: 'hi' | 'lo') => ({ ell, s, cols: 128, degree });
  const ln = { ell, s, cols: 768 }, lnBefore = { ell, s, cols: 768, stat: null };
  return [
    { kind: 'proto', name: 'gelu_hi', n: nG, bolt: BOLT.gelu, input: uniform(nG, -6, 6, 1), run: (c, x) => geluHi(c, x, F), cost: (ot) => geluHiCost(nG, F, ot) },
    { kind: 'proto', name: 'gelu_lo', n: nG, bolt: BOLT.gelu, input: uniform(nG, -6, 6, 2), run: (c, x) => geluLo(c, x, F), cost: (ot) => geluLoCost(nG, F, ot) },
    { kind: 'proto', name: 'exp_hi', n: nE, bolt: null, input: uniform(nE, -12, 0, 3), run: (c, x) => expHi(c, x, F), cost: (ot) => expHiCost(nE, F, ot) },
    { kind: 'proto', name: 'exp_lo', n: nE, bolt: null, input: uniform(nE, -12, 0, 4), run: (c, x) => expLo(c, x, F), cost: (ot) => expLoCost(nE, F, ot) },
    { kind: 'proto', name: 'softmax (rows of 128, exp_hi)', n: rowsS * 128, bolt: BOLT.softmax, input: uniform(rowsS * 128, -8, 8, 5), run: (c, x) => softmax(c, x, sm('hi')), cost: (ot) => softmaxCost(rowsS * 128, sm('hi'), ot) },
    { kind: 'proto', name: 'softmax (rows of 128, exp_lo)', n: rowsS * 128, bolt: BOLT.softmax, input: uniform(rowsS * 128, -8, 8, 6), run: (c, x) => softmax(c, x, sm('lo')), cost: (ot) => softmaxCost(rowsS * 128, sm('lo'), ot) },
    {
      kind: 'proto', name: 'layernorm (rows of 768, variance in fix<44,24>)', n: rowsL * 768, bolt: BOLT.layernorm, input: uniform(rowsL * 768, -4, 4, 7),
      run: (c, x) => layerNorm(c, x, c.party === 'server' ? gamma : null, c.party === 'server' ? beta : null, ln),
      cost: (ot) => layerNormCost(rowsL * 768, ln, ot),
    },
    {
      kind: 'proto', name: 'layernorm (rows of 768, before: variance in fix<32,12>)', n: rowsL * 768, bolt: BOLT.layernorm, input: uniform(rowsL * 768, -4, 4, 7),
      run: (c, x) => layerNorm(c, x, c.party === 'server' ? gamma : null, c.party === 'server' ? beta : null, lnBefore),
      cost: (ot) => layerNormCost(rowsL * 768, lnBefore, ot),
    },
    { kind: 'cpl', name: 'comparison gt_ss (CPL)', program: 'bench/nonlinear/programs/compare.cpl', bolt: null },
    { kind: 'cpl', name: 'GELU (CPL gelu_hi)', program: 'bench/nonlinear/programs/gelu.cpl', bolt: BOLT.gelu },
    { kind: 'cpl', name: 'softmax rows of 128 (CPL nn.softmax)', program: 'bench/nonlinear/programs/softmax.cpl', bolt: BOLT.softmax },
    { kind: 'cpl', name: 'LayerNorm rows of 768 (CPL nn.layernorm, variance in fix<44,24>)', program: 'bench/nonlinear/programs/layernorm.cpl', bolt: BOLT.layernorm },
    { kind: 'cpl', name: 'LayerNorm rows of 768 (before: variance in fix<32,12>)', program: 'bench/nonlinear/programs/layernorm-before.cpl', bolt: BOLT.layernorm },
    { kind: 'cpl', name: 'attention scores, d = 64, 16 tokens (CPL nn.attention_probs, scores in fix<37,12>)', program: 'bench/nonlinear/programs/scores.cpl', bolt: null },
    { kind: 'cpl', name: 'attention scores, d = 64, 16 tokens (before: fix<32,12>)', program: 'bench/nonlinear/programs/scores-before.cpl', bolt: null },
  ];
}
