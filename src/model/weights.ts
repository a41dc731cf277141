// Model weights as the float reference models use them: tensors named like the inputs of the
// CPL programs (protocols/bert.cpl, gpt2.cpl), with the per-layer inputs (stacked [L, ...] in
// the program) split into one tensor per layer. The same names and layouts as the program, so
// the values a checkpoint gives the program are the values the reference model computes with.
import type { InputValues } from '../ir/dim-env.ts';
import { constant, param, type Var } from '../autodiff/var.ts';

export interface Weights {
  /** Whole-model tensors (embeddings, final LayerNorm, classifier ...). */
  top: Record<string, Var>;
  /** Per-layer tensors, one record per layer. */
  layers: Record<string, Var>[];
}

/** Shapes of a model's weights: whole-model tensors and one layer's tensors. */
export interface WeightShapes {
  top: Record<string, number[]>;
  layer: Record<string, number[]>;
  layers: number;
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Weights from program input values (stacked per-layer inputs are split). */
export function weightsFromInputs(shapes: WeightShapes, values: InputValues, trainable = false): Weights {
  const make = trainable ? param : constant;
  /** The `part`-th of `parts` equal slices of input `name` (a layer of a stacked input). */
  const slice = (name: string, shape: number[], part = 0, parts = 1): Float64Array => {
    const v = values[name], n = size(shape);
    if (!v) throw new Error(`no value for weight '${name}'`);
    if (v.length !== n * parts) throw new Error(`weight '${name}' has ${v.length} values, expected ${n * parts}`);
    return Float64Array.from(Array.prototype.slice.call(v, part * n, (part + 1) * n) as number[]);
  };
  const top = Object.fromEntries(Object.entries(shapes.top).map(([k, s]) => [k, make(slice(k, s), s)]));
  const layers = Array.from({ length: shapes.layers }, (_, l) =>
    Object.fromEntries(Object.entries(shapes.layer).map(([k, s]) => [k, make(slice(k, s, l, shapes.layers), s)])),
  );
  return { top, layers };
}

/** Program input values from weights (per-layer tensors stacked again). */
export function inputsFromWeights(w: Weights): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(w.top)) out[k] = Float64Array.from(v.data);
  for (const k of Object.keys(w.layers[0] ?? {})) {
    const n = w.layers[0][k].size;
    const all = new Float64Array(n * w.layers.length);
    w.layers.forEach((lw, l) => all.set(lw[k].data, l * n));
    out[k] = all;
  }
  return out;
}

/** Every tensor of the weights (e.g. the parameters to train). */
export const allTensors = (w: Weights): Var[] => [...Object.values(w.top), ...w.layers.flatMap((l) => Object.values(l))];
