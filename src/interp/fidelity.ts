// Fidelity of a program's fixed-point semantics: its outputs against float64 on the same inputs
// (docs/approximations.md, "Fidelity at real widths"). The secure run is compared with both in
// bench/fidelity; this is the reference part, cheap enough for tests.
import type { IrProgram } from '../ir/ir.ts';
import type { InputValues } from '../ir/dim-env.ts';
import { realValues } from '../ir/values.ts';
import { interpret } from './interpret.ts';

export interface OutputFidelity {
  id: number;
  fixed: Float64Array;
  float: Float64Array;
  /** max |fixed − float64|. */
  maxErr: number;
  /** Index of the largest value in each mode (the predicted class / next token). */
  argmaxFixed: number;
  argmaxFloat: number;
}

export const argmax = (v: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
};

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Run the reference in fixed point and in float64; compare every output. */
export function referenceFidelity(p: IrProgram, inputs: InputValues): OutputFidelity[] {
  const fixed = interpret(p, inputs, 'fixed'), float = interpret(p, inputs, 'float');
  return p.outputs.map((o) => {
    const a = realValues(fixed.values[o.id], 'fixed'), b = realValues(float.values[o.id], 'float');
    return { id: o.id, fixed: a, float: b, maxErr: maxAbsDiff(a, b), argmaxFixed: argmax(a), argmaxFloat: argmax(b) };
  });
}
