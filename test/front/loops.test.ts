// Loops: a size grown by the same step every iteration is known exactly after the loop (and runs
// with that size); a count revealed during the run cannot bound a loop (E0406, at check time).
import { describe, expect, it } from 'vitest';
import { check, formatDiagnostics } from '../../src/front/index.ts';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/twins.ts';
import { compile, makeInputs } from '../exec/helpers.ts';

describe('loop-carried sizes', () => {
  const path = 'test/front/programs/loop-grown.cpl';

  it('a window grown one row per iteration has d rows after the loop', () => {
    const r = check([{ path }]);
    expect(formatDiagnostics(r.diagnostics)).toBe('');
  });

  it('runs with that size and matches float64', () => {
    const p = compile(path);
    const inputs = makeInputs(p, 5);
    const out = interpret(p, inputs, 'fixed').outputs[0].tensor;
    expect(out.shape).toEqual([4, 8]);
    // float64: row t of the window is y * t (row 0: y), plus x, times w.
    const x = Array.from(inputs.x), y = Array.from(inputs.y), w = Array.from(inputs.w);
    const want: number[] = [];
    for (let t = 0; t < 4; t++)
      for (let j = 0; j < 8; j++) {
        let acc = 0;
        for (let k = 0; k < 8; k++) acc += (y[k] * (t === 0 ? 1 : t) + x[t * 8 + k]) * w[k * 8 + j];
        want.push(acc);
      }
    const got = realValues(out, 'fixed');
    // Inputs at 12 fractional bits: each product truncates once (2^-12), 8 terms, plus input rounding.
    const worst = Math.max(...got.map((v, i) => Math.abs(v - want[i])));
    expect(worst).toBeLessThan(8 * 4 * 2 ** -12);
  });

  it('a size that does not step by a known amount still widens (pruning by a revealed count)', () => {
    const r = check([{ path: 'test/front/cases/shapes-loop-carried.cpl' }]);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['E0401', 'E0401']);
  });
});
