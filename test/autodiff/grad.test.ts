// Every autodiff op's backward step against central finite differences, and the forward values
// against direct formulas. Loss = Σ r ⊙ op(inputs) with a fixed random r, so every output
// element's gradient is exercised.
import { describe, expect, it } from 'vitest';
import { param, Var, withGrad, constant } from '../../src/autodiff/var.ts';
import { add, bmm, matmul, matmulT, mergeHeads, mul, reshape, rows, scale, splitHeads, sub, sum } from '../../src/autodiff/ops.ts';
import { addKeyMask, attentionReceived, crossEntropy, gelu, layerNorm, sigmoid, softmax, tanh } from '../../src/autodiff/nn.ts';
import { Adam } from '../../src/autodiff/adam.ts';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

const rand = (r: () => number, shape: number[], k = 2) => param(Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * k), shape);

/** Max |analytic − numeric| / (1 + |numeric|) over every input element. */
function gradError(inputs: Var[], f: () => Var): number {
  const r = rng(99);
  const probe = f();
  const weights = constant(Float64Array.from({ length: probe.size }, () => r()), probe.shape);
  const loss = () => (probe.size === 1 ? f() : sum(mul(f(), weights)));
  for (const v of inputs) v.grad = null;
  withGrad(loss);
  let worst = 0;
  const h = 1e-6;
  for (const v of inputs) {
    const analytic = v.grad ?? new Float64Array(v.size);
    for (let i = 0; i < v.size; i++) {
      const x0 = v.data[i];
      v.data[i] = x0 + h;
      const up = loss().data[0];
      v.data[i] = x0 - h;
      const down = loss().data[0];
      v.data[i] = x0;
      const numeric = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(analytic[i] - numeric) / (1 + Math.abs(numeric)));
    }
  }
  return worst;
}

describe('autodiff gradients match finite differences', () => {
  const r = rng(1);
  const cases: [string, Var[], () => Var][] = [];
  const a = rand(r, [2, 3, 4]), b = rand(r, [3, 4]), c = rand(r, [4]);
  cases.push(['add (suffix broadcast)', [a, b], () => add(a, b)]);
  cases.push(['sub', [a, c], () => sub(a, c)]);
  cases.push(['mul', [a, b], () => mul(a, b)]);
  cases.push(['scale, reshape', [a], () => reshape(scale(a, -1.5), [6, 4])]);
  const w = rand(r, [4, 5]);
  cases.push(['matmul', [a, w], () => matmul(a, w)]);
  const wt = rand(r, [5, 4]);
  cases.push(['matmulT', [a, wt], () => matmulT(a, wt)]);
  const p = rand(r, [3, 2, 4]), q = rand(r, [3, 4, 5]), qt = rand(r, [3, 5, 4]);
  cases.push(['bmm', [p, q], () => bmm(p, q)]);
  cases.push(['bmm transposed', [p, qt], () => bmm(p, qt, true)]);
  const x = rand(r, [2, 3, 6]);
  cases.push(['split / merge heads', [x], () => mergeHeads(mul(splitHeads(x, 3), splitHeads(x, 3)), 3)]);
  const table = rand(r, [5, 3]);
  cases.push(['rows (repeated ids)', [table], () => rows(table, [4, 0, 4, 2])]);
  cases.push(['gelu', [a], () => gelu(a)]);
  cases.push(['tanh', [a], () => tanh(a)]);
  cases.push(['sigmoid', [a], () => sigmoid(a)]);
  cases.push(['softmax', [a], () => softmax(a)]);
  const g = rand(r, [4]), be = rand(r, [4]);
  cases.push(['layerNorm', [a, g, be], () => layerNorm(a, g, be, 1e-5)]);
  const sc = rand(r, [4, 3, 3]);
  const mask = Float64Array.from([0, -3, 0, 0, 0, -1]);
  cases.push(['addKeyMask', [sc], () => addKeyMask(sc, mask, 2)]);
  cases.push(['attentionReceived of softmax', [sc], () => attentionReceived(softmax(sc), 2)]);
  const logits = rand(r, [4, 5]);
  cases.push(['crossEntropy (one ignored row)', [logits], () => crossEntropy(logits, [1, -1, 4, 0])]);

  it.each(cases)('%s', (_name, inputs, f) => {
    expect(gradError(inputs, f)).toBeLessThan(1e-6);
  });
});

describe('autodiff forward values', () => {
  it('softmax rows sum to 1, layerNorm rows have mean 0 and variance 1 (unit gain)', () => {
    const r = rng(2);
    const x = rand(r, [3, 7], 10);
    const s = softmax(x).data;
    for (let i = 0; i < 3; i++) expect(s.slice(i * 7, i * 7 + 7).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const y = layerNorm(x, constant(new Float64Array(7).fill(1), [7]), constant(new Float64Array(7), [7]), 0).data;
    for (let i = 0; i < 3; i++) {
      const row = y.slice(i * 7, i * 7 + 7);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 10);
      expect(row.reduce((a, b) => a + b * b, 0) / 7).toBeCloseTo(1, 10);
    }
  });

  it('no tape outside withGrad: inference results take no gradient', () => {
    const w = param(Float64Array.of(1, 2), [2]);
    const y = mul(w, w);
    expect(y.requiresGrad).toBe(false);
  });

  it('Adam minimises a quadratic', () => {
    const w = param(Float64Array.of(3, -2), [2]);
    const target = constant(Float64Array.of(0.5, 1.5), [2]);
    const opt = new Adam([w], { lr: 0.05 });
    for (let i = 0; i < 400; i++) {
      withGrad(() => sum(mul(sub(w, target), sub(w, target))));
      opt.step();
    }
    expect(Math.abs(w.data[0] - 0.5)).toBeLessThan(1e-3);
    expect(Math.abs(w.data[1] - 1.5)).toBeLessThan(1e-3);
  });
});
