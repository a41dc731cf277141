// One test per "Why" bullet of the numerics issue, through the CLI (`main`, the same code path as
// bin/cipherprune.mjs): each case now gives the right value or a clear error, never a wrong
// value with exit status 0. Precision at real widths: fidelity.test.ts and bench/fidelity.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { compile } from '../exec/helpers.ts';
import { interpret, InterpretError } from '../../src/interp/interpret.ts';

const dir = mkdtempSync(join(tmpdir(), 'cp-numerics-'));
const prog = (name: string) => `test/numerics/programs/${name}.cpl`;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), color: false, tty: false });
  return { code, out, err };
}

let files = 0;
function json(v: unknown): string {
  const f = join(dir, `in${files++}.json`);
  writeFileSync(f, typeof v === 'string' ? v : JSON.stringify(v));
  return f;
}

/** Run securely with a JSON report; the outputs' real values by output id order. */
async function runValues(file: string, inputs: unknown): Promise<number[][]> {
  const report = join(dir, `report${files++}.json`);
  const r = await cli('run', file, '--inputs', json(inputs), '--report', report);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return (JSON.parse(readFileSync(report, 'utf8')) as { outputs: { values: number[] }[] }).outputs.map((o) => o.values);
}

const ULP = 2 ** -12;
const close = (got: number[], want: number[], tol: number) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]), `element ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(tol));
};

describe('products past the secure truncation range', () => {
  it('13 × 12 and 9 × 8 are errors naming the op, the value, the range and the source line', async () => {
    for (const [a, b, p] of [[13, 12, 156], [9, 8, 72]]) {
      const r = await cli('run', prog('products'), '--inputs', json({ a: Array(64).fill(a), b: Array(64).fill(b) }));
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toContain(`mul_sx: the product before the secure truncation = ${p} (element 0: ${a} × ${b}) is outside the safe range [-64, 64) of fix<32, 12>`);
      expect(r.err).toMatch(/at %\d+ = mul_sx \(test\/numerics\/programs\/products\.cpl:9:10\)/);
      expect(r.err).toContain('before anything was sent');
    }
  });

  it('products inside the range are right', async () => {
    // Multiples of 1/64 (exact in fix<32, 12>): the product is exact, the secure truncation 1 ULP.
    const a = Array.from({ length: 64 }, (_, i) => -7.875 + i / 4), b = Array.from({ length: 64 }, (_, i) => 7.875 - (3 * i) / 16);
    const [got] = await runValues(prog('products'), { a, b });
    close(got, a.map((x, i) => x * b[i]), ULP);
  });

  it('LayerNorm rows with |x − μ| up to 11 are right (exact squares), beyond that an error names sumsq', async () => {
    const d = 16, row = (k: number) => Array.from({ length: d }, (_, j) => (j % 2 ? k : -k) + 0.01 * j);
    const g = Array.from({ length: d }, (_, j) => 1 + j / 32), b = Array.from({ length: d }, (_, j) => j / 64);
    const ref = (x: number[]) => {
      const mu = x.reduce((s, v) => s + v, 0) / d, v = x.reduce((s, t) => s + (t - mu) ** 2, 0) / d;
      return x.map((t, j) => ((t - mu) / Math.sqrt(v + 1e-5)) * g[j] + b[j]);
    };
    const x = [...row(11), ...row(0.03)];
    const [got] = await runValues(prog('layernorm'), { x, g, b });
    close(got, [...ref(row(11)), ...ref(row(0.03))], 0.01);
    const r = await cli('run', prog('layernorm'), '--inputs', json({ x: [...row(12), ...row(1)], g, b }));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/sumsq: a square \(kept exact, before the row sum\) = 14\d\.\d+ \(element \d+: -?12\.\d+²\) is outside the safe range \[0, 128\) of fix<32, 12>; \|x\| must stay below 11\.3137/);
    expect(r.err).toMatch(/in nn\.layernorm\)/);
  });

  it('attention scores of several hundred before scaling are right in fix<37, 12>', async () => {
    const d = 8, n = 4;
    const x = Array.from({ length: n * d }, (_, i) => 5 + ((i * 7) % 5) - (i % 3));
    const w = Array.from({ length: d * d }, (_, i) => (Math.floor(i / d) === i % d ? 2 : 0));
    const bias = Array(d).fill(0.5);
    const [got] = await runValues(prog('attention'), { x, w, b: bias });
    // float64: q = k = x·w + b per head of 4, scores q·k / 2, softmax over keys.
    const q = Array.from({ length: n * d }, (_, i) => 2 * x[i] + 0.5);
    const want: number[] = [];
    let largest = 0;
    for (let h = 0; h < 2; h++) for (let i = 0; i < n; i++) {
      const s = Array.from({ length: n }, (_, j) => [0, 1, 2, 3].reduce((t, c) => t + q[i * d + h * 4 + c] * q[j * d + h * 4 + c], 0) / 2);
      largest = Math.max(largest, ...s.map((v) => 2 * v));
      const m = Math.max(...s), e = s.map((v) => Math.exp(v - m)), z = e.reduce((t, v) => t + v, 0);
      want.push(...e.map((v) => v / z));
    }
    expect(largest).toBeGreaterThan(200); // far beyond the 64 of fix<32, 12>
    close(got, want, 0.01);
  });
});

describe('rings the protocols do not support', () => {
  it('an HE product in a ring over 40 bits is refused before anything is sent', async () => {
    const r = await cli('run', prog('he-wide'), '--inputs', json({ x: Array(8).fill(1), w: Array(16).fill(0.5) }));
    expect(r.code).toBe(1);
    expect(r.err).toContain('homomorphic products support rings of at most 40 bits (docs/he.md), not 44');
  });
});

describe('sums over secret booleans', () => {
  it('are a type error with a hint', async () => {
    const r = await cli('check', 'test/front/cases/types-bool-sum.cpl');
    expect(r.code).toBe(1);
    expect(r.err).toContain("error[E0301]: argument 1 of 'rowsum' is bool, but 'rowsum' works on numbers");
    expect(r.err).toContain('convert them with `convert::<int>(b)`');
  });

  it('converted to integers or fixed point first, they count right', async () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], t = [0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13];
    const [total, rows] = await runValues(prog('bools'), { x, t });
    expect(total).toEqual([x.filter((v, i) => v > t[i]).length]);
    expect(rows).toEqual([0, 1, 2].map((r) => x.slice(4 * r, 4 * r + 4).filter((v, i) => v > t[4 * r + i]).length));
  });
});

describe('secret integers', () => {
  it('add, subtract, compare, multiply by public integers, test equality and become fixed point', async () => {
    const a = [1, 2, 3, 4, 5, 6], b = [1, 1, 4, 4, 0, 7];
    const ka = 2, kb = 2; // a > b at 1, 4; b > a at 2, 5
    const v = await runValues(prog('counts'), { a, b });
    expect(v).toEqual([[ka + kb], [ka - 1], [ka > 2 ? 1 : 0], [3 * ka], [1], [ka * 0.5], [kb], [1, 0, 0, 1, 0, 0]]);
  });
});

describe('exp outside its domain', () => {
  it('a sigmoid through exp_hi(−t) at t = −4 is an error naming exp_hi and the value', async () => {
    const r = await cli('run', prog('sigmoid'), '--inputs', json({ t: [0, 1, -4, 2] }));
    expect(r.code).toBe(1);
    expect(r.err).toContain('exp_hi: the input of exp_hi = 4 (element 2) is outside the safe range [-262144, 0] of fix<32, 12>; exp_hi is defined for x ≤ 0 only');
  });

  it('inside the domain it is right', async () => {
    const t = [0, 1, 2, 7];
    const [got] = await runValues(prog('sigmoid'), { t });
    close(got, t.map((v) => 1 / (1 + Math.exp(-v))), 3e-3);
  });
});

describe('inputs out of range', () => {
  const base = { x: [1, 2], r: [1, 2], k: [1, 2] };
  const cases: [string, string, RegExp][] = [
    ['1e30', JSON.stringify({ ...base, x: [1e30, 0] }), /input 'x' element 0 = 1e\+30 is outside the range \[-524288, 524288\) of fix<32, 12>/],
    ['Infinity', '{"x": [1, 1e999], "r": [1, 2], "k": [1, 2]}', /input 'x' element 1 = Infinity is not a finite number/],
    ['600000', JSON.stringify({ ...base, x: [600000, 0] }), /input 'x' element 0 = 600000 is outside the range \[-524288, 524288\)/],
    ['2^32 in ring<32>', JSON.stringify({ ...base, r: [2 ** 32, 0] }), /input 'r' element 0 = 4294967296 is outside the range \[-2147483648, 4294967296\) of ring<32>/],
    ['a fraction in int', JSON.stringify({ ...base, k: [2.5, 0] }), /input 'k' element 0 = 2\.5 is not an integer/],
    ['a sum that would wrap', JSON.stringify({ ...base, x: [300000, 0] }), /add: the sum = 600000 \(element 0: 300000 \+ 300000\) is outside the safe range \[-524288, 524288\) of fix<32, 12>/],
  ];
  it.each(cases)('%s is an error', async (_, text, want) => {
    const r = await cli('run', prog('inputs'), '--inputs', json(text));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(want);
  });

  it('NaN (through the library) is an error, not 0', () => {
    const p = compile(prog('inputs'));
    expect(() => interpret(p, { x: [NaN, 0], r: [1, 2], k: [1, 2] }, 'fixed')).toThrow(/input 'x' element 0 = NaN is not a finite number/);
  });

  it('a config size above the limit is refused at once', async () => {
    const t0 = Date.now();
    const r = await cli('run', 'protocols/bert.cpl', '-m', 'bert_dense', '--config', 'seq_len=100000000', '--random-inputs', '1');
    expect(r.code).toBe(1);
    expect(r.err).toContain('config size seq_len = 100000000 is above the limit of 1048576');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe('comparisons and rowmax on large values', () => {
  it('a difference beyond the ring is an error naming gt_ss; a row spread beyond it names rowmax', async () => {
    const r = await cli('run', prog('compare'), '--inputs', json({ a: [524286, -100, 3, 4, 5, 6], b: [-1000, 2, 3, 4, 5, 6] }));
    expect(r.code).toBe(1);
    expect(r.err).toContain('gt_ss: the difference of the compared values = 525286 (element 0: 524286 vs -1000) is outside the safe range [-524288, 524288) of fix<32, 12>');
    const p = compile(prog('compare'));
    let e: unknown;
    try {
      interpret(p, { a: [524286, -100, 3, 4, 5, 6], b: [0, 2, 3, 4, 5, 6] }, 'fixed');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(InterpretError);
    expect((e as Error).message).toMatch(/^rowmax: the spread max − min of a row = 524386 \(row 0: from -100 to 524286\)/);
  });

  it('values within the range compare and reduce right', async () => {
    const a = [100000, -100000, 3, 4.5, -5, 6], b = [-100000, 100000, 3, 4, 5, 6.25];
    const [gt, mx] = await runValues(prog('compare'), { a, b });
    expect(gt).toEqual(a.map((v, i) => (v > b[i] ? 1 : 0)));
    expect(mx).toEqual([100000]);
  });
});
