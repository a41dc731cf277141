// A compact reverse-mode autodiff over float64 tensors: the float reference models run on it
// (no tape: plain evaluation) and training records a tape of backward steps. Operations are
// pure functions of their inputs (src/autodiff/ops.ts, nn.ts); a tape exists only inside
// `withGrad`, so inference never pays for it.

export class Var {
  readonly data: Float64Array;
  readonly shape: readonly number[];
  /** Gradient of the loss with respect to this value (allocated on first use). */
  grad: Float64Array | null = null;
  /** True for parameters and for values computed from them while a tape records. */
  readonly requiresGrad: boolean;
  /** Propagates this.grad to the inputs' gradients. */
  readonly backward: (() => void) | null;

  constructor(data: Float64Array, shape: readonly number[], requiresGrad = false, backward: (() => void) | null = null) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`autodiff: ${data.length} values for shape [${shape.join(', ')}]`);
    this.data = data;
    this.shape = shape;
    this.requiresGrad = requiresGrad;
    this.backward = backward;
  }

  get size(): number {
    return this.data.length;
  }

  /** The gradient buffer, allocated (zero) if needed. */
  g(): Float64Array {
    return (this.grad ??= new Float64Array(this.data.length));
  }
}

/** A trainable tensor. */
export const param = (data: Float64Array, shape: readonly number[]): Var => new Var(data, shape, true);
/** A value that takes no gradient. */
export const constant = (data: Float64Array, shape: readonly number[]): Var => new Var(data, shape, false);

let tape: Var[] | null = null;

/**
 * The result of an op. It records `back` on the tape (and so takes part in backpropagation)
 * only when a tape is active and some input requires a gradient.
 */
export function result(data: Float64Array, shape: readonly number[], inputs: readonly Var[], back: (out: Var) => void): Var {
  if (!tape || !inputs.some((v) => v.requiresGrad)) return new Var(data, shape);
  const out: Var = new Var(data, shape, true, () => back(out));
  tape.push(out);
  return out;
}

/**
 * Run `f` with a tape, then backpropagate from the scalar it returns: afterwards every
 * parameter that influenced the loss holds its gradient in `.grad` (accumulated: zero the
 * parameters' gradients between steps).
 */
export function withGrad(f: () => Var): Var {
  const saved = tape;
  tape = [];
  let loss: Var;
  let recorded: Var[];
  try {
    loss = f();
  } finally {
    recorded = tape;
    tape = saved;
  }
  if (loss.size !== 1) throw new Error(`autodiff: the loss must be a scalar, got shape [${loss.shape.join(', ')}]`);
  if (!loss.requiresGrad) return loss;
  loss.g()[0] = 1;
  for (let i = recorded.length - 1; i >= 0; i--) {
    const v = recorded[i];
    if (v.grad) v.backward!();
    v.grad = null; // intermediate gradients are not needed after their step
  }
  return loss;
}
