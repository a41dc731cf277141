// Float models of the low-degree forms the secure run uses for the less important tokens
// (CipherPrune §4.3, polynomial reduction): gelu_lo and exp_lo are lines by lookup, 64 segments
// of width 1/8 (src/crypto/nonlinear/pwl-tables.ts, the tables the secure protocol and its
// fixed-point twin evaluate), with the same clamps. These are what the threshold search puts in
// the loop for β (θ_hi): the error a token gets when it falls in the low-degree group. They
// differ from the fixed-point twins only by rounding (≤ 2^(s−7) ULP, docs/approximations.md).
import { EXP_PWL, GELU_PWL, type PwlSpec } from '../crypto/nonlinear/pwl-tables.ts';

/** Segment of x (clamped to the table) and the line's value or slope there. */
const segment = (spec: PwlSpec, x: number) => Math.min(spec.jLo + spec.N - 1, Math.max(spec.jLo, Math.floor(x * 2 ** spec.segLog)));
const slopeAt = (spec: PwlSpec, j: number) => spec.S[j - spec.jLo] / 2 ** spec.F;
function line(spec: PwlSpec, x: number): number {
  const j = segment(spec, x);
  return spec.a[j - spec.jLo] + slopeAt(spec, j) * (x - j * 2 ** -spec.segLog);
}

/** exp_lo: the segment lines on [−7.5, 0], 0 below (the clamp; inputs are ≤ 0). */
export const expLo = (x: number): number => (x < EXP_PWL.fitLo ? 0 : line(EXP_PWL, Math.min(x, 0)));
export const expLoSlope = (x: number): number => (x < EXP_PWL.fitLo ? 0 : slopeAt(EXP_PWL, segment(EXP_PWL, Math.min(x, 0))));

/** gelu_lo: the segment lines on [−3.75, 3.75), ReLU beyond (the clamps). */
export function geluLo(x: number): number {
  if (x < GELU_PWL.fitLo) return 0;
  if (x >= -GELU_PWL.fitLo) return x;
  return line(GELU_PWL, x);
}
export function geluLoSlope(x: number): number {
  if (x < GELU_PWL.fitLo) return 0;
  if (x >= -GELU_PWL.fitLo) return 1;
  return slopeAt(GELU_PWL, segment(GELU_PWL, x));
}
