// npm run bench -- tune [--seed N] [--twice] [--fixed-test N] [--max-drop P] [--min-agreement P] [--min-cut C]
//   [--lambdas A,B,...] [--distill] [--secure-error E1,E2 --fixed-error F1,F2 [--safety S] [--margin-window W]] [--out NAME]
// --secure-error / --fixed-error: the margin rule (src/train/margins.ts, docs/tuning.md): per layer,
// the measured |secure − fixed-point| and |fixed-point − float| importance errors; each threshold
// keeps S · (E + F) (S default 1.5) from every validation score, moving up to W · |θ| (default 1).
// Threshold tuning on the bundled classifier (models/bert-sentiment): the search of
// `cipherprune tune` (search on the training split, accuracy checked on validation), its wall
// time, and on the held-out test split the accuracy and mean predicted bytes per sentence of
// dense, the hand-set thresholds, the shipped thresholds.json, and the tuned thresholds (pruned
// only, and pruned + reduced). --twice repeats the search and reports whether the thresholds are
// the same. The tuned thresholds are also run in fixed point (the program in the plaintext
// reference interpreter, as the secure run computes) on the first N test sentences (default
// all) beside the float model. JSON: bench/out/tune.json.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configSizes, withCheckpointMode } from '../../src/model/checkpoint.ts';
import { bundledModel, bundledProgram, compileModel, loadBert } from '../../src/model/load.ts';
import { readLabelled } from '../../src/train/data.ts';
import { defaultTuneOptions, encodeAll, measure, tuneThresholds, type Measured, type Thresholds2 } from '../../src/train/tune.ts';
import { prunedCost } from '../../src/train/tune-cost.ts';
import { fixedPointCheck } from '../../src/train/fixed-check.ts';
import { ROOT } from '../../scripts/build-tokenizers.ts';
import { report } from '../lib.ts';

const { values } = parseArgs({ options: { seed: { type: 'string' }, twice: { type: 'boolean' }, 'fixed-test': { type: 'string' }, 'max-drop': { type: 'string' }, 'min-agreement': { type: 'string' }, 'min-cut': { type: 'string' }, lambdas: { type: 'string' }, distill: { type: 'boolean' }, out: { type: 'string' }, 'secure-error': { type: 'string' }, 'fixed-error': { type: 'string' }, safety: { type: 'string' }, 'margin-window': { type: 'string' } } });
const list = (v: string | undefined) => v?.split(',').map(Number);
const seed = Number(values.seed ?? 1);
const options = {
  ...defaultTuneOptions,
  seed,
  maxDrop: Number(values['max-drop'] ?? defaultTuneOptions.maxDrop),
  minAgreement: Number(values['min-agreement'] ?? 100 * defaultTuneOptions.minAgreement) / 100,
  minCut: Number(values['min-cut'] ?? defaultTuneOptions.minCut),
  distill: values.distill ?? defaultTuneOptions.distill,
  lambdas: values.lambdas ? values.lambdas.split(',').map(Number) : defaultTuneOptions.lambdas,
  scoreError: values['secure-error'] ? { secure: list(values['secure-error'])!, fixed: list(values['fixed-error'] ?? '0')!, safety: Number(values.safety ?? 1.5), window: Number(values['margin-window'] ?? 1) } : undefined,
};
const log = (s: string) => process.stderr.write(s + '\n');
const dir = bundledModel('bert-sentiment');
const m = loadBert(dir, 'bert_dense');
const cfg = configSizes(m.checkpoint.config);
// Pruned: in the mode thresholds.json names (exact mode prices the exact run); dense as it runs.
const pruned = withCheckpointMode(compileModel(bundledProgram('bert'), 'bert_cipherprune', cfg), m.checkpoint);
log(`pruned program priced in ${pruned.exact ? 'exact mode' : 'the default mode'}; dense in the default mode`);
const cost = prunedCost(pruned, m.program);
const split = (name: string) => encodeAll(m, readLabelled(join(ROOT, `models/data/${name}.tsv`)));
const [train, validation, test] = ['train', 'validation', 'test'].map(split);

function tune() {
  const t0 = performance.now();
  let last = 0;
  const r = tuneThresholds(m, train, validation, cost, { ...options, progress: (d, t, what) => (d < last || d - last >= 15) && (log(`${what} ${(last = d)}/${t}`), true) }, pruned);
  return { r, seconds: (performance.now() - t0) / 1000 };
}

const first = tune();
log(`tuned in ${first.seconds.toFixed(0)} s: θ = ${first.r.thresholds.theta}, θ_hi = ${first.r.thresholds.theta_hi}${first.r.lambda === null ? ' (no candidate accepted: dense)' : ''}`);
for (const c of first.r.candidates) {
  const q = c.placed;
  log(`λ = ${c.lambda}: θ = ${c.thresholds.theta.map((t) => t.toFixed(3))}, θ_hi = ${c.thresholds.theta_hi.map((t) => t.toFixed(3))}, validation ${(100 * c.validation.accuracy).toFixed(1)} %, ${(c.validation.cost.bytes / 1e6).toFixed(2)} MB${c.ok ? '' : ' (outside the bounds)'}` +
    (q ? `; moved to θ = ${q.thresholds.theta.map((t) => t.toFixed(3))}, θ_hi = ${q.thresholds.theta_hi.map((t) => t.toFixed(3))}: ${(100 * q.validation.accuracy).toFixed(1)} %, ${(q.validation.cost.bytes / 1e6).toFixed(2)} MB, margins ${q.margins.theta.map((x) => x.toFixed(4))} / ${q.margins.theta_hi.map((x) => x.toFixed(4))}${q.accepted ? ', accepted' : `, refused (${q.refused})`}` : ''));
}
const L = m.config.num_hidden_layers, NONE = new Array<number>(L).fill(-Infinity);
const shipped = m.checkpoint.thresholds;
const variants: [string, Thresholds2, boolean][] = [
  ['dense', { theta: NONE, theta_hi: NONE }, false],
  ['hand-set (θ = 1.5, 3; θ_hi = 3, 5)', { theta: [1.5, 3], theta_hi: [3, 5] }, true],
  ['shipped thresholds.json', { theta: shipped['cipherprune.theta'], theta_hi: shipped['cipherprune.theta_hi'] }, true],
  ['tuned, pruned only (θ_hi = −∞)', { theta: first.r.thresholds.theta, theta_hi: NONE }, false],
  ['tuned, pruned + reduced', first.r.thresholds, true],
];
const measured = variants.map(([name, th, low]) => [name, th, measure(m, test, th, cost, low)] as const);
const dense = measured[0][2];
const row = (name: string, th: Thresholds2, x: Measured) => ({
  name,
  thresholds: th.theta[0] === -Infinity ? null : th,
  accuracy: x.accuracy,
  dropPoints: 100 * (dense.accuracy - x.accuracy),
  agreementWithDense: x.predictions.filter((p, i) => p === dense.predictions[i]).length / test.ids.length,
  meanKept: x.meanKept,
  meanHigh: x.meanHigh,
  meanBytes: x.cost.bytes,
  bytesCutVsDense: dense.cost.bytes / x.cost.bytes,
  meanLayerBytes: x.cost.layerBytes,
  layerBytesCutVsDense: dense.cost.layerBytes / x.cost.layerBytes,
  meanRounds: x.cost.rounds,
});
const rows = measured.map(([n, th, x]) => row(n, th, x));
// The same counts priced with IKNP (16 bytes per OT) instead of the default Ferret.
const costIknp = prunedCost(pruned, m.program, undefined, 'iknp');
const iknp = measured.map(([name, th, x]) => {
  const y = measure(m, test, th, costIknp, variants.find((v) => v[0] === name)![2]);
  return { name, meanBytes: y.cost.bytes, bytesCutVsDense: costIknp.dense.bytes / y.cost.bytes, samePredictions: y.predictions.join() === x.predictions.join() };
});
for (const r of iknp) log(`IKNP: ${r.name}: ${(r.meanBytes / 1e6).toFixed(2)} MB (${r.bytesCutVsDense.toFixed(3)}×)`);
for (const r of rows) log(`${r.name}: test ${(100 * r.accuracy).toFixed(1)} % (drop ${r.dropPoints.toFixed(1)}), ${(r.meanBytes / 1e6).toFixed(2)} MB (${r.bytesCutVsDense.toFixed(3)}×; encoder layers ${r.layerBytesCutVsDense.toFixed(2)}×), kept ${r.meanKept.map((k) => k.toFixed(2)).join(' → ')}`);
const tuned = rows[4];
// The tuned thresholds on the test split in fixed point (what the secure run computes) beside
// the float model: labels and kept / accurate counts per layer.
// (None when no candidate was accepted: the "tuned" rows are then dense.)
const fixedTest = first.r.lambda === null ? undefined : fixedPointCheck(m, pruned, test, first.r.thresholds, Number(values['fixed-test'] ?? test.ids.length));
if (fixedTest) log(`fixed point vs float on ${fixedTest.sentences} test sentences: labels ${fixedTest.sameLabel}, counts ${fixedTest.sameCounts} equal; accuracy ${(100 * fixedTest.accuracy).toFixed(1)} %; max score error ${fixedTest.maxScoreError.map((e) => e.toFixed(4))}; differ: ${fixedTest.differ}`);
const second = values.twice ? tune() : undefined;
report(values.out ?? 'tune', {
  seed,
  options: { ...options, progress: undefined },
  searchSeconds: first.seconds,
  secondSearch: second && { seconds: second.seconds, sameThresholds: JSON.stringify(second.r.thresholds) === JSON.stringify(first.r.thresholds) },
  tuned: first.r.thresholds,
  lambda: first.r.lambda,
  costFit: first.r.linear,
  validation: {
    dense: first.r.dense.accuracy,
    candidates: first.r.candidates.map((c) => ({
      lambda: c.lambda,
      thresholds: c.thresholds,
      accuracy: c.validation.accuracy,
      agreementWithDense: c.agreement,
      meanBytes: c.validation.cost.bytes,
      meanKept: c.validation.meanKept,
      meanHigh: c.validation.meanHigh,
      ok: c.ok,
      placed: c.placed && { thresholds: c.placed.thresholds, margins: c.placed.margins, accuracy: c.placed.validation.accuracy, agreementWithDense: c.placed.validation.predictions.filter((p, i) => p === first.r.dense.predictions[i]).length / validation.ids.length, meanBytes: c.placed.validation.cost.bytes, meanKept: c.placed.validation.meanKept, fixed: c.placed.fixed, accepted: c.placed.accepted, refused: c.placed.refused },
    })),
  },
  fixedPointTest: fixedTest,
  test: { sentences: test.ids.length, denseBytes: dense.cost.bytes, denseLayerBytes: dense.cost.layerBytes, variants: rows, iknp },
  acceptance: {
    bytesCutAtLeast2x: tuned.bytesCutVsDense >= 2,
    dropAtMostHalfPoint: tuned.dropPoints <= 0.5,
    bytesCut: tuned.bytesCutVsDense,
    bytesCutIknp: iknp[4].bytesCutVsDense,
    layerBytesCut: tuned.layerBytesCutVsDense,
    dropPoints: tuned.dropPoints,
    accepted: first.r.lambda !== null,
    fixedPointLabelsAsFloat: fixedTest && `${fixedTest.sameLabel}/${fixedTest.sentences}`,
    fixedPointCountsAsFloat: fixedTest && `${fixedTest.sameCounts}/${fixedTest.sentences}`,
  },
});
