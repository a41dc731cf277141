// cipherprune calibrate: the reference on sample inputs with every range check recorded; each
// op's headroom, the ops at risk with a suggested encoding, the error against float64, --json.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { CalibrationReport } from '../../src/interp/calibrate.ts';

const dir = mkdtempSync(join(tmpdir(), 'cp-calibrate-'));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), color: false, tty: false });
  return { code, out, err };
}

describe('cipherprune calibrate', () => {
  it('reports a product beyond the truncation range with its headroom and an encoding that holds it', async () => {
    const f = join(dir, 'samples.json');
    // Two samples: one inside the range, one beyond it (9 × 8 = 72 > 64 at fix<32, 12>).
    writeFileSync(f, JSON.stringify([{ a: Array(64).fill(2), b: Array(64).fill(3) }, { a: Array(64).fill(9), b: Array(64).fill(8) }]));
    const r = await cli('calibrate', 'test/numerics/programs/products.cpl', '--inputs', f);
    expect(r.code).toBe(1);
    expect(r.out).toContain('calibrate test/numerics/programs/products.cpl (model m): 2 samples');
    expect(r.out).toMatch(/mul_sx\s+test\/numerics\/programs\/products\.cpl:9:10\s+-0\.2\s+\[6, 72\]\s+\[-64, 64\)\s+fix<32, 12>\s+the product before the secure truncation\s+\(64 of 128 outside\)/);
    expect(r.out).toContain('at risk (1):');
    expect(r.out).toContain('suggestion: fix<34, 12> (2 more bits in the ring)');
    const j = await cli('calibrate', 'test/numerics/programs/products.cpl', '--inputs', f, '--json');
    const rep = JSON.parse(j.out) as CalibrationReport;
    const m = rep.ranges.find((x) => x.op === 'mul_sx')!;
    expect(m).toMatchObject({ min: 6, max: 72, lo: -64, hi: 64, bad: 64, count: 128, enc: 'fix<32, 12>' });
    expect(m.headroomBits).toBeCloseTo(Math.log2(64 / 72), 6);
    expect(rep.atRisk.map((x) => x.op)).toEqual(['mul_sx']);
  });

  it('passes the bundled BERT on BERT-like random weights, with headroom per op and the error against float64', async () => {
    const r = await cli('calibrate', 'protocols/bert.cpl', '-m', 'bert_dense', '--random-inputs', '2', '--init', 'bert', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as CalibrationReport;
    expect(rep.samples).toBe(2);
    expect(rep.atRisk).toEqual([]);
    // Every kind of check of the model is there: truncations, exp's domain, rsqrt in fix<44, 24>, sumsq.
    const ops = new Set(rep.ranges.map((x) => x.op));
    for (const op of ['matmul_sx', 'bmm_t_ss', 'mul_ss', 'exp_hi', 'recip', 'rsqrt', 'sumsq', 'rowmax', 'convert', 'div_sp', 'tanh', 'gelu_hi']) expect(ops.has(op), op).toBe(true);
    expect(rep.ranges.find((x) => x.op === 'rsqrt')!.enc).toBe('fix<44, 24>');
    expect(rep.ranges.find((x) => x.op === 'bmm_t_ss')!.enc).toBe('fix<37, 12>');
    expect(rep.outputs).toHaveLength(1);
    expect(rep.outputs[0].maxErr).toBeLessThan(0.01);
  });

  it('needs sample inputs', async () => {
    const r = await cli('calibrate', 'test/numerics/programs/products.cpl');
    expect(r.code).toBe(2);
    expect(r.err).toContain('give sample inputs with --inputs FILE and/or --random-inputs N');
  });
});
