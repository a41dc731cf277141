// The primitives as one BERT-base CipherPrune layer runs them (protocols/bert.cpl: activations
// fix<32, 12>, scores fix<37, 12>, LayerNorm statistics fix<44, 24>), at sizes a short run can
// time: what ops.ts measures per element with each party on its own thread.
import { Fixed } from '../../src/crypto/fixed.ts';
import { Prg } from '../../src/crypto/prg.ts';
import type { RingArray } from '../../src/crypto/ring.ts';

export interface OpJob {
  /** Row name (the primitive, and the form where it matters). */
  name: string;
  prim: string;
  ell: number;
  s: number;
  params: Record<string, unknown>;
  n: number;
  lo: number;
  hi: number;
  /** Row max: candidates per group with a silent backend (ROWMAX.silentArity; default: the library's). */
  rowmaxArity?: number;
}

const F = { ell: 32, s: 12 };
export const OPS: OpJob[] = [
  { name: 'convert (fix<32,12> → fix<37,12>, the scores\' ring)', prim: 'convert', ...F, params: { from: F, to: { ell: 37, s: 12 } }, n: 16 * 768, lo: -4, hi: 4 },
  { name: 'rowmax (rows of 128, groups of 8)', prim: 'rowmax', ...F, params: { ...F, cols: 128 }, n: 64 * 128, lo: -8, hi: 8, rowmaxArity: 8 },
  { name: 'rowmax (rows of 128, groups of 4)', prim: 'rowmax', ...F, params: { ...F, cols: 128 }, n: 64 * 128, lo: -8, hi: 8, rowmaxArity: 4 },
  { name: 'rowmax (rows of 128, pairs)', prim: 'rowmax', ...F, params: { ...F, cols: 128 }, n: 64 * 128, lo: -8, hi: 8, rowmaxArity: 2 },
  { name: 'exp_hi', prim: 'exp_hi', ...F, params: F, n: 8192, lo: -12, hi: 0 },
  { name: 'exp_lo', prim: 'exp_lo', ...F, params: F, n: 8192, lo: -12, hi: 0 },
  { name: 'gelu_hi', prim: 'gelu_hi', ...F, params: F, n: 8192, lo: -6, hi: 6 },
  { name: 'gelu_lo', prim: 'gelu_lo', ...F, params: F, n: 8192, lo: -6, hi: 6 },
  { name: 'recip (softmax row sums)', prim: 'recip', ...F, params: F, n: 512, lo: 1, hi: 128 },
  { name: 'rsqrt (fix<44,24> → fix<32,12>, LayerNorm)', prim: 'rsqrt', ell: 44, s: 24, params: { ell: 44, s: 24, out: F }, n: 256, lo: 1e-3, hi: 10 },
];

/** The job's plaintext input (seeded: both threads and the main thread make the same). */
export function inputOf(j: OpJob): RingArray {
  const v = new Uint32Array(Prg.fromInt(j.n * 7 + j.ell).bytes(4 * j.n).buffer);
  return new Fixed(j.ell, j.s).encode(Array.from(v, (u) => j.lo + (j.hi - j.lo) * (u / 2 ** 32)));
}
