// Function parameters `F: unary`: glu::<silu>(...) compiles to exactly what the same function
// written with silu inline compiles to, and computes the same.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { check, formatDiagnostics } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import { interpret } from '../../src/interp/interpret.ts';
import { randomInputs } from '../../src/cli/inputs.ts';

const path = 'test/front/programs/unary.cpl';
const lower = (text: string) => {
  const r = check([{ path, text }]);
  expect(formatDiagnostics(r.diagnostics)).toBe('');
  return lowerModel(r, r.models[0]);
};

describe('F: unary', () => {
  const text = readFileSync(path, 'utf8');
  // The same program with each activation written out in its own copy of glu.
  const inline = text
    .replace(/fn glu<F: unary, n, d, f>\(([^)]*)\) -> ([^{]*)\{\n  return F\(x @ w\) \* \(x @ v\)\n\}/, (_m, ps, res) =>
      ['silu', 'relu', 'swish'].map((a) => `fn glu_${a}<n, d, f>(${ps}) -> ${res}{\n  return ${a}(x @ w) * (x @ v)\n}`).join('\n'))
    .replace(/glu::<(\w+)>/g, 'glu_$1');

  it('compiles to the ops of the inline version, and computes the same', () => {
    expect(inline).not.toContain('fn glu<');
    const a = lower(text), b = lower(inline);
    expect(a.ops.map((o) => o.op)).toEqual(b.ops.map((o) => o.op));
    expect(a.ops.map((o) => o.op)).toEqual(expect.arrayContaining(['silu', 'relu', 'sigmoid']));
    const inputs = randomInputs(a, 4);
    const out = (p: typeof a) => Array.from(interpret(p, inputs, 'fixed').outputs[0].tensor.data as ArrayLike<number | bigint>);
    expect(out(a)).toEqual(out(b));
  });

  it('refuses a function that changes the shape, and a call with two arguments', () => {
    const bad = check([{ path, text: text.replace('glu::<swish>', 'glu::<rowsum>') }]);
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['E0301']);
    const two = check([{ path, text: text.replace('return F(x @ w)', 'return F(x @ w, x)') }]);
    expect(two.diagnostics.map((d) => d.message)).toEqual([expect.stringContaining("'F' is a function parameter: it takes one tensor")]);
  });
});
