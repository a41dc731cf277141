// cipherprune tune: learn CipherPrune's per-layer thresholds (θ pruning, θ_hi degree split) for
// a BERT classifier checkpoint against the cost model (src/train/tune.ts), write thresholds.json
// next to the checkpoint (run, serve and demo read it), and report accuracy against predicted
// cost for dense, pruned, and pruned + reduced (text, and one self-contained HTML page).
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, configSizes, withCheckpointMode } from '../model/checkpoint.ts';
import { bundledProgram, compileModel, loadBert, type LoadedBert } from '../model/load.ts';
import { DataError, readLabelled, type Example } from '../train/data.ts';
import { writeCheckpointFolder } from '../train/export.ts';
import { defaultFinetune, finetune } from '../train/finetune.ts';
import { Rng } from '../train/rng.ts';
import { inputsFromWeights } from '../model/weights.ts';
import { defaultTuneOptions, encodeAll, measure, tuneThresholds, type Encoded, type TuneOptions, type TuneResult } from '../train/tune.ts';
import { prunedCost } from '../train/tune-cost.ts';
import { parseNetwork } from '../transport/sim-channel.ts';
import { TOKEN_ROWS_FILE } from '../text/token-rows.ts';
import { parse, UsageError, type Io } from './args.ts';
import { modelErrors } from './model-args.ts';
import { ProgramError } from './program.ts';
import { progressWanted } from './report.ts';
import { tuneHtml, tuneText, type TuneReport } from './tune-report.ts';

export const tuneHelp = `usage: cipherprune tune --model DIR --data FILE [options]

Learn CipherPrune's per-layer thresholds for a BERT sequence classifier: θ (tokens whose
importance is at most θ are pruned after the layer's attention) and θ_hi (kept tokens above it
get the accurate polynomials, the others the low-degree ones). A gradient search with soft
masks minimises the task loss plus λ times the predicted cost (bytes, or time on --network),
for a sweep of λ; each result is checked with hard masks on held-out sentences. Cheapest
first, each threshold is then moved (within ± 10 %) to the widest gap between the held-out
scores, and the thresholds are checked again in float and in fixed point (the program run by
the plaintext reference interpreter, as the secure run computes); the first within --max-drop
of dense accuracy in both, with the same labels in both, is written to DIR/thresholds.json,
which run, serve and demo then use. docs/tuning.md describes the method.

options:
  --model DIR          the classifier folder (Hugging Face layout, protocols/bert.cpl names)
  --data FILE          labelled sentences for the search: a header 'label<TAB>text', then
                       LABEL<TAB>TEXT per line (labels 0 .. num_labels − 1)
  --validation FILE    held-out sentences for the accuracy check (default: a seeded 20 % of
                       --data, not used in the search)
  --max-drop P         largest accuracy drop against dense, in points (default 0.5)
  --min-agreement P    and at least P % of the held-out labels equal to dense's (default 0:
                       no bound; the accuracy difference on a few hundred sentences is noise
                       of about a point, the share of flipped labels bounds it)
  --min-cut C          a cost target: of the candidates whose predicted cost is at most
                       dense / C (and within the bounds above), choose the one with the most
                       held-out labels as dense, instead of the cheapest (default 0: cheapest);
                       the thresholds then move only up to the gaps between the scores
  --distill            search against the dense model's predictions on --data (knowledge
                       distillation) instead of the labels: fewer labels different from dense
  --network NET        minimise predicted time on lan or wan (or MBITS,MS) instead of bytes
  --seed N             seed of the search (default 1): same seed, same thresholds
  --steps N            gradient steps per λ (default ${defaultTuneOptions.steps})
  --batch N            sentences per step (default ${defaultTuneOptions.batch})
  --lambdas A,B,...    the cost weights tried (default ${defaultTuneOptions.lambdas.join(',')})
  --finetune EPOCHS    then fine-tune the weights for EPOCHS epochs under the cheapest λ's
                       thresholds (hard masks, low-degree forms in place); if that is within
                       --max-drop and cheaper, write the tuned model to --out (needs --out)
  --out DIR            the folder for a fine-tuned checkpoint (DIR itself is never rewritten)
  --fixed-check N      held-out sentences run in fixed point for the check (default all;
                       0 skips the fixed-point check)
  --secure-error E1,E2,...   the margin rule (docs/tuning.md): per layer, the measured largest
                       |secure − fixed-point| importance error (npm run bench -- accuracy
                       --split validation --scores); each threshold then keeps
                       S · (E + F) from every held-out score or its candidate is refused
  --fixed-error F1,F2,...    per layer, the largest |fixed-point − float| error (default 0)
  --safety S           the margin rule's safety factor (default 1.5)
  --margin-window W    how far a threshold may move under the rule, a fraction of |θ| (default 1)
  --report FILE.html   where to write the HTML report (default DIR/tuning.html)
  --exact              tune for exact mode (docs/tuning.md, "Exact mode"): price the pruned
                       program's exact run and write "exact": true into thresholds.json (the
                       default: exact when the model's thresholds.json says "exact": true;
                       dense is priced in the default mode, as it runs)
  --dry-run            report only; do not write thresholds.json or the HTML page
  --progress / --no-progress   progress bar on stderr (default: on a terminal)
  -h, --help           show this help

example:
  cipherprune tune --model models/bert-sentiment --data models/data/train.tsv \\
    --validation models/data/validation.tsv`;

function positive(v: string | undefined, flag: string, dflt: number, integer = true): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0 || (integer && !Number.isInteger(x))) throw new UsageError(`${flag} expects a ${integer ? 'non-negative integer' : 'non-negative number'}, got '${v}'`);
  return x;
}

/** A percentage option (0 … 100) as a fraction. */
function percent(v: string | undefined, flag: string, dflt: number): number {
  const x = positive(v, flag, 100 * dflt, false);
  if (x > 100) throw new UsageError(`${flag} is a percentage (0 to 100), got '${v}'`);
  return x / 100;
}

/** Labelled sentences whose labels are the checkpoint's classes. */
export function readTuneData(file: string, m: LoadedBert): Example[] {
  let rows: Example[];
  try {
    rows = readLabelled(file);
  } catch (e) {
    if (e instanceof DataError) throw new ProgramError(e.message);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ProgramError(`${file}: no such file`);
    throw e;
  }
  if (rows.length === 0) throw new ProgramError(`${file}: no sentences after the header`);
  const C = m.config.num_labels;
  rows.forEach((r, i) => {
    if (r.label >= C) throw new ProgramError(`${file}:${i + 2}: label ${r.label} is not a class of the checkpoint, which has ${C} (${m.labels.map((l, k) => `${k} = ${l}`).join(', ')})`);
  });
  return rows;
}

/** The classifier, with a clear message when the folder is not one. */
export function loadClassifier(dir: string): LoadedBert {
  try {
    return loadBert(dir, 'bert_dense');
  } catch (e) {
    if (e instanceof CheckpointError && /'(classifier|bert\.pooler)\./.test(e.message)) {
      throw new ProgramError(`${dir} has no sequence-classification head (tune needs classifier.weight, classifier.bias and the pooler, as BertForSequenceClassification saves them): ${e.message}`);
    }
    return modelErrors(() => {
      throw e;
    });
  }
}

/** A one-line progress bar on stderr. */
function bar(io: Io, enabled: boolean) {
  const start = performance.now();
  let last = 0;
  return (done: number, total: number, what: string) => {
    if (!enabled) return;
    const now = performance.now();
    if (now - last < 200 && done !== total) return;
    last = now;
    const pct = Math.floor((100 * done) / total);
    io.err(`\r[${'#'.repeat(Math.round(pct / 5)).padEnd(20, '.')}] ${String(pct).padStart(3)}% ${what} ${done}/${total}  ${((now - start) / 1000).toFixed(0)} s\x1b[K${done === total ? '\r\x1b[K' : ''}`);
  };
}

export async function runTune(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    validation: { type: 'string' },
    'max-drop': { type: 'string' },
    'min-agreement': { type: 'string' },
    'min-cut': { type: 'string' },
    distill: { type: 'boolean' },
    network: { type: 'string' },
    seed: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    lambdas: { type: 'string' },
    'fixed-check': { type: 'string' },
    'secure-error': { type: 'string' },
    'fixed-error': { type: 'string' },
    safety: { type: 'string' },
    'margin-window': { type: 'string' },
    report: { type: 'string' },
    finetune: { type: 'string' },
    out: { type: 'string' },
    'dry-run': { type: 'boolean' },
    exact: { type: 'boolean' },
    progress: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
  });
  if (values.help) return io.out(tuneHelp + '\n'), 0;
  if (positionals.length) throw new UsageError(`tune takes no positional arguments (got '${positionals[0]}')`);
  if (!values.model) throw new UsageError('tune needs --model DIR (a classifier checkpoint folder)');
  if (!values.data) throw new UsageError('tune needs --data FILE (labelled sentences)');
  let network;
  if (values.network) {
    try {
      network = parseNetwork(values.network);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const lambdas = values.lambdas?.split(',').map((s) => positive(s.trim(), '--lambdas', 0, false));
  const perLayer = (v: string | undefined, flag: string) => (v ?? '0').split(',').map((s) => positive(s.trim(), flag, 0, false));
  if (!values['secure-error'] && (values['fixed-error'] || values.safety || values['margin-window'])) throw new UsageError('--fixed-error, --safety and --margin-window belong to the margin rule: give --secure-error too');
  const o: TuneOptions = {
    ...defaultTuneOptions,
    maxDrop: positive(values['max-drop'], '--max-drop', defaultTuneOptions.maxDrop, false),
    minAgreement: percent(values['min-agreement'], '--min-agreement', defaultTuneOptions.minAgreement),
    minCut: positive(values['min-cut'], '--min-cut', defaultTuneOptions.minCut, false),
    distill: values.distill ?? defaultTuneOptions.distill,
    seed: positive(values.seed, '--seed', defaultTuneOptions.seed),
    steps: positive(values.steps, '--steps', defaultTuneOptions.steps),
    batch: Math.max(1, positive(values.batch, '--batch', defaultTuneOptions.batch)),
    lambdas: lambdas?.length ? lambdas : defaultTuneOptions.lambdas,
    fixedSentences: values['fixed-check'] === undefined ? undefined : positive(values['fixed-check'], '--fixed-check', 0),
    scoreError: values['secure-error'] ? { secure: perLayer(values['secure-error'], '--secure-error'), fixed: perLayer(values['fixed-error'], '--fixed-error'), safety: positive(values.safety, '--safety', 1.5, false), window: positive(values['margin-window'], '--margin-window', 1, false) } : undefined,
    progress: bar(io, progressWanted(values, io)),
  };
  const epochs = positive(values.finetune, '--finetune', 0);
  if (epochs > 0 && !values.out) throw new UsageError('--finetune writes a new checkpoint folder: give --out DIR');
  if (values.out && !epochs) throw new UsageError('--out is for --finetune EPOCHS');
  const t0 = performance.now();
  const m = loadClassifier(values.model);
  let train = readTuneData(values.data, m);
  let held: Example[];
  if (values.validation) held = readTuneData(values.validation, m);
  else {
    const order = new Rng(o.seed).shuffle(train.map((_, i) => i));
    const cut = Math.max(1, Math.round(order.length * 0.2));
    if (order.length - cut < 1) throw new ProgramError(`${values.data}: ${order.length} sentence(s) are too few to hold out 20 % for validation; give --validation FILE`);
    held = order.slice(0, cut).map((i) => train[i]);
    train = order.slice(cut).map((i) => train[i]);
  }
  const compiled = withCheckpointMode(compileModel(bundledProgram('bert'), 'bert_cipherprune', configSizes(m.checkpoint.config)), m.checkpoint);
  const pruned = values.exact ? { ...compiled, exact: true } : compiled;
  /** thresholds.json: the thresholds, and the mode they were tuned for. */
  const thresholdsJson = (t: { theta: number[]; theta_hi: number[] }) => JSON.stringify({ 'cipherprune.theta': t.theta, 'cipherprune.theta_hi': t.theta_hi, ...(pruned.exact ? { exact: true } : {}) }, null, 2) + '\n';
  const cost = prunedCost(pruned, m.program, network);
  const heldEnc = encodeAll(m, held), trainEnc = encodeAll(m, train);
  const result = tuneThresholds(m, trainEnc, heldEnc, cost, o, o.fixedSentences === 0 ? undefined : pruned);
  const tuned = epochs > 0 ? fineTuned(m, trainEnc, heldEnc, result, cost, { ...o, epochs }) : undefined;
  const report: TuneReport = {
    model: values.model,
    data: values.data,
    validation: values.validation ?? `20 % of ${values.data} (seed ${o.seed})`,
    network: values.network,
    options: { maxDrop: o.maxDrop, minAgreement: o.minAgreement, minCut: o.minCut, distill: o.distill, seed: o.seed, steps: o.steps, batch: o.batch, lambdas: o.lambdas, temperature: o.temperature, lr: o.lr },
    result,
    finetuned: tuned && { epochs, thresholds: tuned.thresholds, validation: tuned.validation, ok: tuned.ok },
    seconds: (performance.now() - t0) / 1000,
  };
  io.out(tuneText(report));
  if (tuned?.ok && !values['dry-run']) {
    const out = values.out!;
    mkdirSync(out, { recursive: true });
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'vocab.json', 'merges.txt', TOKEN_ROWS_FILE]) if (existsSync(join(values.model, f))) copyFileSync(join(values.model, f), join(out, f));
    writeCheckpointFolder(out, m.program, inputsFromWeights(tuned.weights), m.checkpoint.config, new Set(['bert.embeddings.word_embeddings.weight']));
    writeFileSync(join(out, 'thresholds.json'), thresholdsJson(tuned.thresholds));
    io.out(`written: the fine-tuned checkpoint ${out}\n`);
  }
  if (result.lambda === null) {
    io.err(`cipherprune: no λ kept validation accuracy within ${o.maxDrop} points of dense${o.minAgreement ? ` (and ${100 * o.minAgreement} % of the labels)` : ''}${o.minCut ? ` at ${o.minCut}× less predicted cost` : ''}${o.scoreError ? ' with the margin rule\'s distance from the held-out scores' : ''} in float and in fixed point (with the float model's labels); thresholds.json is unchanged (try smaller --lambdas or more --steps)\n`);
    return 1;
  }
  if (!values['dry-run']) {
    const th = join(values.model, 'thresholds.json');
    writeFileSync(th, thresholdsJson(result.thresholds));
    const html = values.report ?? join(values.model, 'tuning.html');
    writeFileSync(html, tuneHtml(report));
    io.out(`written: ${th}, ${html}\n`);
  }
  return 0;
}

/** Fine-tune under the cheapest λ's thresholds; within the budget and cheaper than the choice? */
function fineTuned(m: LoadedBert, train: Encoded, held: Encoded, r: TuneResult, cost: ReturnType<typeof prunedCost>, o: TuneOptions & { epochs: number }) {
  const target = [...r.candidates].sort((a, b) => cost.value(a.validation.cost) - cost.value(b.validation.cost))[0];
  const weights = finetune(m, train, target.thresholds, { ...defaultFinetune, epochs: o.epochs, seed: o.seed, progress: o.progress });
  const validation = measure({ ...m, weights }, held, target.thresholds, cost);
  const ok = validation.accuracy >= r.dense.accuracy - o.maxDrop / 100 - 1e-12 && cost.value(validation.cost) < cost.value(r.reduced.cost);
  return { weights, thresholds: target.thresholds, validation, ok };
}
