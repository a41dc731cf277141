// AdamW (Kingma & Ba 2015, with decoupled weight decay as in Loshchilov & Hutter 2019) and
// gradient clipping by global norm.
import type { Var } from './var.ts';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay, applied to the parameters listed in `decay`. */
  weightDecay?: number;
  /** Clip the global gradient norm to this value (no clipping when absent). */
  clip?: number;
}

export class Adam {
  private readonly m = new Map<Var, Float64Array>();
  private readonly v = new Map<Var, Float64Array>();
  private t = 0;
  readonly params: readonly Var[];
  private readonly decay: ReadonlySet<Var>;
  private readonly o: Required<AdamOptions>;

  constructor(params: readonly Var[], options: AdamOptions, decay: readonly Var[] = []) {
    this.params = params;
    this.decay = new Set(decay);
    this.o = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clip: Infinity, ...options };
  }

  /** Global L2 norm of the current gradients. */
  gradNorm(): number {
    let s = 0;
    for (const p of this.params) if (p.grad) for (const g of p.grad) s += g * g;
    return Math.sqrt(s);
  }

  /** One update with learning rate `lr` (default: the configured one); zeroes the gradients. */
  step(lr = this.o.lr): void {
    const { beta1, beta2, eps, weightDecay, clip } = this.o;
    const norm = this.gradNorm();
    const k = norm > clip ? clip / norm : 1;
    this.t++;
    const c1 = 1 - beta1 ** this.t, c2 = 1 - beta2 ** this.t;
    for (const p of this.params) {
      const g = p.grad;
      if (!g) continue;
      let m = this.m.get(p), v = this.v.get(p);
      if (!m || !v) {
        m = new Float64Array(p.size);
        v = new Float64Array(p.size);
        this.m.set(p, m);
        this.v.set(p, v);
      }
      const wd = this.decay.has(p) ? weightDecay : 0;
      const x = p.data;
      for (let i = 0; i < x.length; i++) {
        const gi = g[i] * k;
        m[i] = beta1 * m[i] + (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        x[i] -= lr * ((m[i] / c1) / (Math.sqrt(v[i] / c2) + eps) + wd * x[i]);
      }
      g.fill(0);
    }
  }
}
