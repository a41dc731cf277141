// Initial weights for training: N(0, std²) for matrices and embeddings (BERT's 0.02), zero
// biases, unit LayerNorm gains (names ending in _g), as trainable tensors.
import { param } from '../autodiff/var.ts';
import type { WeightShapes, Weights } from '../model/weights.ts';
import type { Rng } from './rng.ts';

export function initWeights(shapes: WeightShapes, rng: Rng, std = 0.02): Weights {
  const make = (name: string, shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(n);
    if (/_g$/.test(name)) data.fill(1);
    else if (shape.length >= 2) for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
    return param(data, shape);
  };
  return {
    top: Object.fromEntries(Object.entries(shapes.top).map(([k, s]) => [k, make(k, s)])),
    layers: Array.from({ length: shapes.layers }, () => Object.fromEntries(Object.entries(shapes.layer).map(([k, s]) => [k, make(k, s)]))),
  };
}

/** Tensors that take weight decay: matrices (not biases, gains or the 1-D token-type row). */
export const decayed = (w: Weights) => [...Object.values(w.top), ...w.layers.flatMap((l) => Object.values(l))].filter((v) => v.shape.length >= 2);
