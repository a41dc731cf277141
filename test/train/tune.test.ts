// Threshold tuning (src/train/tune.ts, soft-prune.ts, soft-ops.ts, low-degree.ts; the CLI in
// src/cli/tune.ts): the soft model's gradients, hard masks = the compacted reference, the
// low-degree float models against the fixed-point twins, determinism under a seed, bad input.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { constant, param, withGrad, type Var } from '../../src/autodiff/var.ts';
import { mul, sum } from '../../src/autodiff/ops.ts';
import { bertCipherPrune } from '../../src/model/bert.ts';
import { loadBert } from '../../src/model/load.ts';
import { expLoTwin, geluLoTwin, ringOf } from '../../src/crypto/nonlinear/index.ts';
import { encodeAll, softCrossEntropy } from '../../src/train/tune.ts';
import { crossEntropy } from '../../src/autodiff/nn.ts';
import { placeWithMargin, widestGap } from '../../src/train/margins.ts';
import { expLo, expLoSlope, geluLo, geluLoSlope } from '../../src/train/low-degree.ts';
import { softCipherPrune } from '../../src/train/soft-prune.ts';
import { mixRows, receivedFrom, thresholdMask, weightedSoftmax } from '../../src/train/soft-ops.ts';
import { compile } from '../exec/helpers.ts';
import { randomWeights, uniform, writeCheckpoint } from '../model/helpers.ts';

const TINY = { vocab_size: 30522, hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 8, num_labels: 2, seq_len: 8 };

function tinyClassifier(drop: string[] = []): string {
  const p = compile('protocols/bert.cpl', 'bert_cipherprune', TINY);
  const w = randomWeights(p, 7, 0.5);
  for (const k of drop) delete w[k];
  const dir = writeCheckpoint(p, w, { dtype: 'F32', config: { id2label: { 0: 'negative', 1: 'positive' } } });
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join('models/bert-sentiment', f), join(dir, f));
  return dir;
}

/** The first n sentences of the bundled training split, as a data file. */
function dataFile(dir: string, n: number, body?: string): string {
  const f = join(dir, `data-${n}.tsv`);
  writeFileSync(f, body ?? readFileSync('models/data/train.tsv', 'utf8').split('\n').slice(0, n + 1).join('\n') + '\n');
  return f;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s), color: false, tty: false });
  return { code, out, err };
}

/** Largest |analytic − central difference| of d(sum(f(x) ⊙ r))/dx over the entries of `x`. */
function gradError(x: Var, f: () => Var, seed: number): number {
  const out = f();
  const r = constant(uniform(seed, out.size, 1), out.shape);
  x.grad = null;
  withGrad(() => sum(mul(f(), r)));
  const g = Float64Array.from(x.grad!);
  let worst = 0;
  for (let i = 0; i < x.size; i++) {
    const keep = x.data[i], h = 1e-6;
    x.data[i] = keep + h;
    const up = sum(mul(f(), r)).data[0];
    x.data[i] = keep - h;
    const down = sum(mul(f(), r)).data[0];
    x.data[i] = keep;
    worst = Math.max(worst, Math.abs(g[i] - (up - down) / (2 * h)));
  }
  return worst;
}

describe('soft-mask operations: backward steps against finite differences', () => {
  const h = 2, B = 2, n = 3, m = 3;
  it('weightedSoftmax (exact exp and the low-degree form), in the scores and the key weights', () => {
    for (const [f, df] of [[Math.exp, Math.exp], [expLo, expLoSlope]] as const) {
      const z = param(uniform(1, B * h * n * m, 2), [B * h, n, m]);
      const a = param(uniform(2, B * m, 0.4).map((v) => 0.5 + v), [B, m]);
      expect(gradError(z, () => weightedSoftmax(z, a, h, f, df), 3)).toBeLessThan(1e-6);
      expect(gradError(a, () => weightedSoftmax(z, a, h, f, df), 4)).toBeLessThan(1e-6);
    }
  });
  it('receivedFrom, mixRows and thresholdMask', () => {
    const p = param(uniform(5, B * h * n * m, 1), [B * h, n, m]);
    const a = param(uniform(6, B * n, 0.4).map((v) => 0.5 + v), [B, n]);
    expect(gradError(p, () => receivedFrom(p, a, h), 7)).toBeLessThan(1e-6);
    expect(gradError(a, () => receivedFrom(p, a, h), 8)).toBeLessThan(1e-6);
    const x = param(uniform(9, B * h * n * m, 1), [B * h, n, m]), y = param(uniform(10, B * h * n * m, 1), [B * h, n, m]);
    expect(gradError(a, () => mixRows(x, y, a, h), 11)).toBeLessThan(1e-6);
    expect(gradError(x, () => mixRows(x, y, a, h), 12)).toBeLessThan(1e-6);
    const s = param(uniform(13, B * m, 2), [B, m]), t = param(Float64Array.of(0.3), []);
    expect(gradError(t, () => thresholdMask(s, t, 0.5, new Set([0]), a), 14)).toBeLessThan(1e-6);
    expect(gradError(s, () => thresholdMask(s, t, 0.5, new Set([0]), a), 15)).toBeLessThan(1e-6);
    expect(gradError(a, () => thresholdMask(s, t, 0.5, new Set([0]), a), 16)).toBeLessThan(1e-6);
  });
  it('softCrossEntropy (distillation): gradient, and equal to crossEntropy for one-hot targets', () => {
    const logits = param(uniform(17, 4 * 3, 2), [4, 3]);
    const q = Float64Array.from(uniform(18, 12, 0.5), (v) => v + 0.5);
    for (let r = 0; r < 4; r++) {
      const z = q[3 * r] + q[3 * r + 1] + q[3 * r + 2];
      for (let j = 0; j < 3; j++) q[3 * r + j] /= z;
    }
    expect(gradError(logits, () => softCrossEntropy(logits, q), 19)).toBeLessThan(1e-6);
    const labels = [2, 0, 1, 1], hot = new Float64Array(12);
    labels.forEach((c, r) => (hot[3 * r + c] = 1));
    expect(Math.abs(softCrossEntropy(logits, hot).data[0] - crossEntropy(logits, labels).data[0])).toBeLessThan(1e-12);
  });
});

describe('low-degree float models', () => {
  it('agree with the fixed-point twins of gelu_lo and exp_lo at fix<32, 12> within 2^(s−7) + 2 ULP', () => {
    const ell = 32, s = 12, ring = ringOf(ell), ulp = 2 ** -s;
    for (const [name, lo, hi, model, twin] of [['gelu_lo', -6, 6, geluLo, geluLoTwin], ['exp_lo', -10, 0, expLo, expLoTwin]] as const) {
      const xs: number[] = [];
      for (let r = lo * 2 ** s; r <= hi * 2 ** s; r += 3) xs.push(r);
      const t = ring.toSigned(twin(ring.fromSigned(xs), { ell, s }));
      const worst = Math.max(...xs.map((x, i) => Math.abs(model(x * ulp) - t[i] * ulp)));
      expect(worst, name).toBeLessThanOrEqual((2 ** (s - 7) + 2) * ulp);
      expect(worst, name).toBeGreaterThan(0); // a real comparison: the twin rounds
    }
  });
});

describe('hard masks', () => {
  it('soft-prune with T = 0 and exact functions is bertCipherPrune: same logits, kept and accurate counts', () => {
    const dir = tinyClassifier();
    const m = loadBert(dir, 'bert_dense');
    const rows = readFileSync('models/data/validation.tsv', 'utf8').split('\n').slice(1, 13).map((l) => ({ label: Number(l[0]), text: l.slice(2) }));
    const e = encodeAll(m, rows);
    for (const th of [{ theta: [0.5, 1.5], theta_hi: [1.5, 2.5] }, { theta: [1.2, 0.8], theta_hi: [2, 1] }]) {
      const r = softCipherPrune(m.weights, m.config, e.ids, e.padding, { theta: th.theta.map((v) => constant(Float64Array.of(v), [])), thetaHi: th.theta_hi.map((v) => constant(Float64Array.of(v), [])) }, { T: 0, lowDegree: false });
      let varied = 0;
      e.ids.forEach((ids, b) => {
        const ref = bertCipherPrune(m.weights, m.config, ids, e.padding[b], th);
        ref.steps.forEach((s, l) => {
          const a = r.kept[l].data.subarray(b * 8, b * 8 + 8), g = r.high[l].data.subarray(b * 8, b * 8 + 8);
          expect(a.reduce((x, y) => x + y, 0)).toBe(s.k);
          expect(a.reduce((x, y, j) => x + y * g[j], 0)).toBe(s.kh);
          if (s.k > 1 && s.k < 8) varied++;
        });
        for (let c = 0; c < 2; c++) expect(Math.abs(r.logits.data[b * 2 + c] - ref.logits.data[c])).toBeLessThan(1e-9);
      });
      expect(varied).toBeGreaterThan(0); // some layers prune some, not all, tokens
    }
  });
});

describe('thresholds away from the scores (margins.ts)', () => {
  it('widestGap: the middle of the widest gap within the window, on the grid, with its distance', () => {
    const scores = [1, 1.5, 2.25, 2.5, 3.5];
    // window 2 ± 0.5: the middle of (1.5, 2.25) is 0.375 from both; (2.5, 3.5) clipped at 3 gives 0.5
    expect(widestGap(2, scores, 0.25, 64)).toEqual({ at: 1.875, margin: 0.375 });
    expect(widestGap(2, scores, 0.5, 64)).toEqual({ at: 3, margin: 0.5 });
    // a margin of `enough` counts as wide: 2 itself is 0.25 from the scores, so it stays
    expect(widestGap(2, scores, 0.5, 64, 0.25)).toEqual({ at: 2, margin: 0.25 });
    expect(widestGap(2.2, scores, 0.5, 64, 0.25)).toEqual({ at: 2, margin: 0.25 });
    expect(widestGap(6, scores, 0.5, 64, 0.25)).toEqual({ at: 6, margin: 2.5 });
    // on the threshold grid (fix<32, 12>)
    expect(widestGap(2, [1.9, 2.1001], 0.1, 64).at * 4096 % 1).toBe(0);
    expect(widestGap(-Infinity, scores, 0.1, 64)).toEqual({ at: -Infinity, margin: Infinity });
  });
  it("widestGap with side 'up' (under a cost target) never lowers the threshold", () => {
    const scores = [1, 1.5, 2.25, 2.5, 3.5];
    // either way: down to the middle of (1.5, 2.25); up only: the window is [2.2, 2.75]
    expect(widestGap(2.2, scores, 0.25, 64)).toEqual({ at: 1.875, margin: 0.375 });
    expect(widestGap(2.2, scores, 0.25, 64, Infinity, 'up')).toEqual({ at: 2.75, margin: 0.25 });
    expect(widestGap(2, scores, 0.25, 64, Infinity, 'up')).toEqual({ at: 2, margin: 0.25 });
    expect(widestGap(2, scores, 0.5, 64, Infinity, 'up')).toEqual({ at: 3, margin: 0.5 });
    const r = uniform(21, 500, 4).map((v) => 4 + v);
    let moved = 0;
    for (let i = 0; i < 100; i++) {
      const t = Math.round(r[i] * 4096) / 4096;
      const g = widestGap(t, Array.from(r.subarray(100 + 3 * i, 130 + 3 * i)), 0.05, 64, 0.1, 'up');
      expect(g.at).toBeGreaterThanOrEqual(t);
      expect((g.at * 4096) % 1).toBe(0);
      if (g.at > t) moved++;
    }
    expect(moved).toBeGreaterThan(0);
  });
  it('the margin rule (placeWithMargin): the nearest grid point at least `need` from every score, or refused', () => {
    const scores = [1, 1.5, 2.25, 2.5, 3.5];
    // up only from 2: (2.25, 2.5) is too narrow for 0.3; (2.5, 3.5) has [2.8, 3.2]: its lowest grid point
    const up = placeWithMargin(2, scores, 0.3, 1, 64, 'up');
    expect(up.ok).toBe(true);
    expect(up.at).toBeGreaterThanOrEqual(2.8);
    expect(up.at).toBeLessThan(2.8 + 2 ** -10);
    expect(Math.min(...scores.map((s) => Math.abs(s - up.at)))).toBeGreaterThanOrEqual(0.3);
    // either way: (1.5, 2.25) has [1.8, 1.95], nearer 2
    expect(placeWithMargin(2, scores, 0.3, 1, 64, 'both').at).toBeCloseTo(1.95, 3);
    // a window too small to reach a wide enough gap: refused, with the widest gap it had
    expect(placeWithMargin(2, scores, 0.3, 0.25, 64, 'up')).toMatchObject({ ok: false, margin: 0.25 });
    // seeded random cases against a search of every grid point of the window
    const r = uniform(31, 2000, 1);
    for (let c = 0; c < 40; c++) {
      const s = Array.from(r.subarray(40 * c, 40 * c + 30), (v) => 4 + 2 * v);
      const t = Math.round((4.5 + r[1500 + c]) * 4096) / 4096, need = 0.01 + 0.05 * r[1600 + c], side = c % 2 ? 'up' : 'both';
      const p = placeWithMargin(t, s, need, 0.2, 64, side);
      const dist = (x: number) => Math.min(...s.map((v) => Math.abs(v - x)));
      const lo = side === 'up' ? t : t - 0.2 * t;
      let nearest = Infinity;
      for (let g = Math.ceil(lo * 4096); g <= (1.2 * t) * 4096; g++) if (dist(g / 4096) >= need) nearest = Math.min(nearest, Math.abs(g / 4096 - t));
      expect((p.at * 4096) % 1).toBe(0);
      if (side === 'up') expect(p.at).toBeGreaterThanOrEqual(t);
      if (p.ok) expect(dist(p.at)).toBeGreaterThanOrEqual(need);
      if (nearest < Infinity) {
        expect(p.ok).toBe(true);
        expect(Math.abs(p.at - t)).toBeLessThanOrEqual(nearest + 2 ** -12);
      }
    }
  });
});

describe('cipherprune tune', () => {
  it('is deterministic under a seed: the same thresholds twice', { timeout: 120_000 }, async () => {
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const dir = tinyClassifier();
      const data = dataFile(dir, 24);
      const r = await cli(['tune', '--model', dir, '--data', data, '--seed', '3', '--steps', '3', '--batch', '8', '--lambdas', '0.5,4', '--max-drop', '100', '--no-progress']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/pruned \+ reduced/);
      expect(r.out).toMatch(/moved off the scores: .*fixed point on \d+: .*labels as float (\d+)\/\1/);
      runs.push(readFileSync(join(dir, 'thresholds.json'), 'utf8'));
      expect(existsSync(join(dir, 'tuning.html'))).toBe(true);
      expect(readFileSync(join(dir, 'tuning.html'), 'utf8')).toMatch(/<svg[\s\S]*<\/svg>[\s\S]*<\/html>/);
    }
    const th = JSON.parse(runs[0]) as Record<string, number[]>;
    expect(th['cipherprune.theta']).toHaveLength(2);
    expect(th['cipherprune.theta_hi']).toHaveLength(2);
    expect(runs[1]).toBe(runs[0]);
    // run picks them up
    expect(Array.from(loadBert(tinyClassifierWith(runs[0]), 'bert_cipherprune').thresholds!.theta)).toEqual(th['cipherprune.theta']);
  });

  it('--finetune writes a fine-tuned checkpoint to --out (never over --model), which loads with its thresholds', { timeout: 120_000 }, async () => {
    const dir = tinyClassifier();
    const out = join(dir, 'tuned');
    const before = readFileSync(join(dir, 'model.safetensors'));
    const r = await cli(['tune', '--model', dir, '--data', dataFile(dir, 24), '--seed', '2', '--steps', '2', '--batch', '8', '--lambdas', '1,8', '--max-drop', '100', '--finetune', '1', '--out', out, '--no-progress']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/fine-tuned 1 epoch\(s\) under θ = \[/);
    expect(readFileSync(join(dir, 'model.safetensors')).equals(before)).toBe(true);
    if (/written to --out/.test(r.out)) {
      const m = loadBert(out, 'bert_cipherprune');
      expect(m.thresholds!.theta).toHaveLength(2);
      expect(loadBert(dir, 'bert_dense').weights.layers[0].wq.data).not.toEqual(m.weights.layers[0].wq.data);
    } else expect(existsSync(out)).toBe(false);
    expect((await cli(['tune', '--model', dir, '--data', 'x.tsv', '--finetune', '1'])).err).toMatch(/--finetune writes a new checkpoint folder: give --out DIR/);
  });

  it('--min-cut and --min-agreement bound the choice: a target no candidate reaches writes nothing and says why', { timeout: 120_000 }, async () => {
    const dir = tinyClassifier();
    const data = dataFile(dir, 24);
    const args = ['tune', '--model', dir, '--data', data, '--seed', '3', '--steps', '2', '--batch', '8', '--lambdas', '0.5,4', '--max-drop', '100', '--fixed-check', '0', '--no-progress'];
    const none = await cli([...args, '--min-cut', '1000']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/at 1000× less predicted cost .*thresholds\.json is unchanged/);
    expect(none.out).toMatch(/the most faithful at ≥ 1000× less cost/);
    expect(existsSync(join(dir, 'thresholds.json'))).toBe(false);
    const all = await cli([...args, '--min-agreement', '100', '--dry-run']);
    const agree = [...all.out.matchAll(/λ = [\d.]+ +θ = .*\((\d+\.\d) % as dense\)/g)].map((x) => Number(x[1]));
    expect(agree).toHaveLength(2);
    if (!agree.includes(100)) expect(all.code).toBe(1);
    expect(all.code === 1 ? all.err : '').toMatch(all.code === 1 ? /\(and 100 % of the labels\)/ : /^$/);
    // the margin rule with an error no gap can cover refuses every candidate, and says why
    const wide = await cli([...args, '--secure-error', '100', '--fixed-error', '1', '--dry-run']);
    expect(wide.code).toBe(1);
    expect(wide.out).toMatch(/rejected: margin: θ_1: [\d.]+ < 151\.5000/);
    expect(wide.err).toMatch(/with the margin rule's distance from the held-out scores/);
    expect((await cli([...args, '--safety', '2'])).err).toMatch(/give --secure-error too/);
    const distilled = await cli([...args, '--distill', '--dry-run']);
    expect(distilled.out).toMatch(/task loss against dense's predictions \(distillation\)/);
    expect(distilled.err).not.toMatch(/internal error|\n\s+at /);
  });

  function tinyClassifierWith(thresholds: string): string {
    const dir = tinyClassifier();
    writeFileSync(join(dir, 'thresholds.json'), thresholds);
    return dir;
  }

  const bad: [string, string, RegExp][] = [
    ['a label the checkpoint does not have', 'label\ttext\n0\tgood\n2\tbad\n', /data-x\.tsv:3: label 2 is not a class of the checkpoint, which has 2 \(0 = negative, 1 = positive\)/],
    ['an empty line', 'label\ttext\n0\tgood\n\n1\tfine\n', /data-x\.tsv:3: empty line/],
    ['no header', '0\tgood\n1\tfine\n', /data-x\.tsv:1: expected the header 'label<TAB>text'/],
    ['a line without a tab', 'label\ttext\n0 good\n', /data-x\.tsv:2: expected 'LABEL<TAB>TEXT'/],
    ['a label that is not an integer', 'label\ttext\npositive\tgood\n', /data-x\.tsv:2: expected 'LABEL<TAB>TEXT' with a non-negative integer label/],
    ['no sentences', 'label\ttext\n', /data-x\.tsv: no sentences after the header/],
  ];
  for (const [what, body, message] of bad) {
    it(`refuses a data file with ${what}`, async () => {
      const dir = tinyClassifier();
      const f = join(dir, 'data-x.tsv');
      writeFileSync(f, body);
      const r = await cli(['tune', '--model', dir, '--data', f, '--no-progress']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/internal error|\n\s+at /);
      expect(existsSync(join(dir, 'thresholds.json'))).toBe(false);
    });
  }

  it('refuses a checkpoint without a classifier head', async () => {
    const dir = tinyClassifier(['wc', 'bc']);
    const r = await cli(['tune', '--model', dir, '--data', dataFile(dir, 8), '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/has no sequence-classification head .*classifier\.(weight|bias)/);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
  });

  it('refuses bad options', async () => {
    expect((await cli(['tune', '--data', 'x.tsv'])).err).toMatch(/tune needs --model DIR/);
    expect((await cli(['tune', '--model', 'm', '--data', 'x.tsv', '--max-drop', 'lots'])).err).toMatch(/--max-drop expects a non-negative number, got 'lots'/);
    expect((await cli(['tune', '--model', 'm', '--data', 'x.tsv', '--min-agreement', '101'])).err).toMatch(/--min-agreement is a percentage \(0 to 100\), got '101'/);
    expect((await cli(['tune', '--model', 'm', '--data', 'x.tsv', '--min-cut', 'half'])).err).toMatch(/--min-cut expects a non-negative number, got 'half'/);
  });
});
