// npm run bench -- accuracy [--sentences N] [--prompts N] [--from I] [--only bert|gpt2]
//   [--split test|validation] [--scores] [--exact | --faithful]
//   JSON: bench/out/accuracy[-bert|-gpt2][-validation][-from-I].json. --from I starts at the I-th
//   item (to split the secure runs over several processes on a loaded machine); --split takes the
//   items from another split (default test). --scores (BERT CipherPrune): also open the secure
//   run's importance scores (bench-only, from both parties' traces) and report per layer how far
//   they are from the fixed-point reference's, and those from the float model's
//   (score-errors.ts): the error a threshold's margin must cover (src/train/margins.ts).
//   --exact / --faithful: BERT's programs in exact mode (IrProgram.exact: the secure run equals the
//   fixed-point reference bit for bit) or not, whatever the checkpoint's thresholds.json says
//   (default: as it says, as demo and run do); the JSON's name then ends in -exact / -faithful.
// The bundled models, secure against plaintext:
// - BERT (models/bert-sentiment): the first N test sentences (default 50) labelled by the secure
//   two-party run (CipherPrune, or dense while this build cannot prune securely) and by the
//   float reference model of the same variant (and, for CipherPrune, the labels and revealed
//   counts against the program's fixed-point reference); and the test-split accuracy of dense
//   and CipherPrune (shipped thresholds) in float.
// - GPT-2 (models/gpt2-reviews): top-1 next token of the first N test prompts (default 50).
// One session per model (HE keys and base OTs set up once). While the CipherPrune variant cannot
// run securely, its fixed-point reference (the twins) is compared with its float reference on
// the same items instead (`cipherpruneFixedVsFloat`). Exits 1 on any disagreement.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { LocalSession } from '../../src/exec/session.ts';
import { bundledModel, loadBert, loadGpt2, runnable } from '../../src/model/load.ts';
import { readLabelled } from '../../src/train/data.ts';
import { evaluateClassifier, evaluateLm, halfPrompts } from '../../src/train/evaluate.ts';
import { ROOT } from '../../scripts/build-tokenizers.ts';
import { median, report } from '../lib.ts';
import { compareBert, compareGpt2, type Comparison } from './compare.ts';
import { scoreErrors } from './score-errors.ts';
import type { IrProgram } from '../../src/ir/ir.ts';

const { values } = parseArgs({ options: { sentences: { type: 'string' }, prompts: { type: 'string' }, only: { type: 'string' }, from: { type: 'string' }, split: { type: 'string' }, scores: { type: 'boolean' }, exact: { type: 'boolean' }, faithful: { type: 'boolean' } } });
if (values.exact && values.faithful) throw new Error('--exact and --faithful: choose one');
/** BERT's program in the mode asked for (default: the checkpoint's). */
const inMode = <T extends { program: IrProgram }>(m: T): T => (values.exact || values.faithful ? { ...m, program: { ...m.program, exact: !!values.exact } } : m);
const from = Number(values.from ?? 0);
const splitName = values.split ?? 'test';
if (!['test', 'validation'].includes(splitName)) throw new Error(`--split ${splitName}: test or validation`);
const withScores = values.scores ?? false;
const test = readLabelled(join(ROOT, `models/data/${splitName}.tsv`));
const log = (s: string) => process.stderr.write(s + '\n');

function summary(rows: Comparison[]) {
  return {
    count: rows.length,
    agree: rows.filter((r) => r.agree).length,
    maxLogitError: Math.max(...rows.map((r) => r.maxLogitError)),
    medianLogitError: median(rows.map((r) => r.maxLogitError)),
    smallestFloatMargin: Math.min(...rows.map((r) => r.floatMargin)),
    keptCountsEqual: rows.filter((r) => r.keptSecure.join() === r.keptFloat.join()).length,
    highCountsEqual: rows.filter((r) => r.highSecure.join() === r.highFloat.join()).length,
    medianSeconds: median(rows.map((r) => r.seconds)),
    medianBytes: median(rows.map((r) => r.bytes)),
    medianRounds: median(rows.map((r) => r.rounds)),
  };
}

/** The pruned variant's fixed-point reference against its float reference, when the secure run
 * had to fall back to dense. */
async function prunedFixed<T>(note: string | undefined, items: T[], f: (x: T) => Promise<Comparison>, what: string) {
  if (!note) return undefined;
  const out: Comparison[] = [];
  for (const x of items) out.push(await f(x));
  const s = summary(out);
  log(`CipherPrune fixed-point reference vs float, ${s.count} ${what}s: ${s.agree} agree, max logit error ${s.maxLogitError.toFixed(4)}, kept counts equal on ${s.keptCountsEqual}`);
  failures += s.count - s.agree;
  return { ...s, perItem: out.map(({ secure, float, maxLogitError, keptSecure, keptFloat }) => ({ fixed: secure, float, maxLogitError, keptFixed: keptSecure, keptFloat })) };
}

/** Compare every item in one session (HE keys and base OTs set up once), logging each. */
async function inOneSession<T>(items: T[], f: (session: LocalSession, x: T) => Promise<Comparison>, what: string): Promise<Comparison[]> {
  const session = new LocalSession(MemoryChannel.pair());
  const out: Comparison[] = [];
  try {
    for (const [i, x] of items.entries()) {
      const r = await f(session, x);
      out.push(r);
      log(`${what} ${i + 1}/${items.length}: secure ${r.secure}, float ${r.float}${r.agree ? '' : '  DISAGREE'}, max logit error ${r.maxLogitError.toFixed(4)}, kept ${r.keptSecure.join('/') || '-'} (float ${r.keptFloat.join('/') || '-'}), accurate ${r.highSecure.join('/') || '-'} (float ${r.highFloat.join('/') || '-'}), ${r.seconds.toFixed(1)} s`);
    }
  } finally {
    await session.close();
  }
  return out;
}

const results: Record<string, unknown> = {};
let failures = 0;

if (values.only !== 'gpt2') {
  const dir = bundledModel('bert-sentiment');
  const { model: m, note } = runnable((model) => inMode(loadBert(dir, model)), 'bert_cipherprune', 'bert_dense');
  if (note) log(`note: ${note}`);
  log(`${m.program.model}: ${m.program.exact ? 'exact mode' : 'faithful truncations (default mode)'}`);
  const items = test.slice(from, from + Number(values.sentences ?? 50));
  const rows = await inOneSession(items, (session, r) => compareBert(m, session, r.text, withScores), 'sentence');
  // The same items through the program's fixed-point reference (the plaintext pruned model with
  // the secure run's arithmetic): its label and revealed counts against the secure run's.
  const fixedRows = note ? undefined : await Promise.all(items.map((r) => compareBert(m, undefined, r.text, withScores)));
  const secureVsFixedPoint = fixedRows && {
    count: rows.length,
    sameLabel: rows.filter((r, i) => r.secure === fixedRows[i].secure).length,
    sameKeptAndHighCounts: rows.filter((r, i) => r.keptSecure.join() === fixedRows[i].keptSecure.join() && r.highSecure.join() === fixedRows[i].highSecure.join()).length,
  };
  if (secureVsFixedPoint) log(`secure vs fixed-point reference, ${secureVsFixedPoint.count} sentences: labels equal on ${secureVsFixedPoint.sameLabel}, kept and accurate counts equal on ${secureVsFixedPoint.sameKeptAndHighCounts}`);
  const scores = withScores && fixedRows ? scoreErrors(rows, fixedRows, m.thresholds!) : undefined;
  if (scores) for (const [l, e] of scores.secureVsFixed.entries()) log(`layer ${l + 1} importance: secure - fixed-point in [${e.ulps[0]}, ${e.ulps.at(-1)}] ULP, |.| q0.999 ${e.q999Ulp}, q0.99 ${e.q99Ulp}, mean ${e.meanUlp.toFixed(1)} (${e.count} scores); fixed-point - float in [${scores.fixedVsFloat[l].lowest.toFixed(5)}, ${scores.fixedVsFloat[l].highest.toFixed(5)}]`);
  const pruned = note ? loadBert(dir, 'bert_cipherprune') : undefined;
  const cipherpruneFixedVsFloat = await prunedFixed(note, items, (r) => compareBert(pruned!, undefined, r.text), 'sentence');
  const plain = evaluateClassifier(loadBert(dir), test);
  failures += rows.filter((r) => !r.agree).length;
  results.bert = {
    model: m.program.model,
    exact: m.program.exact === true,
    note,
    first: from,
    secureVsFloat: summary(rows),
    split: splitName,
    secureVsFixedPoint,
    scoreErrors: scores,
    cipherpruneFixedVsFloat,
    testSplit: { sentences: plain.sentences, majority: plain.majority, denseAccuracy: plain.dense.accuracy, cipherpruneAccuracy: plain.cipherprune?.accuracy, cipherpruneMeanKept: plain.cipherprune?.meanKept, cipherpruneMeanHigh: plain.cipherprune?.meanHigh, meanTokens: plain.cipherprune?.meanTokens },
    perSentence: rows.map(({ scoresSecure: _s, scoresFloat: _f, ...r }) => r),
  };
}

if (values.only !== 'bert') {
  const dir = bundledModel('gpt2-reviews');
  const { model: m, note } = runnable((model) => loadGpt2(dir, model), 'gpt2_cipherprune', 'gpt2_dense');
  if (note) log(`note: ${note}`);
  const prompts = halfPrompts(m.tokenizer, test.slice(from, from + Number(values.prompts ?? 50)), m.config.seq_len);
  const rows = await inOneSession(prompts, (session, p) => compareGpt2(m, session, p.ids), 'prompt');
  const pruned = note ? loadGpt2(dir, 'gpt2_cipherprune') : undefined;
  const cipherpruneFixedVsFloat = await prunedFixed(note, prompts, (p) => compareGpt2(pruned!, undefined, p.ids), 'prompt');
  const plain = evaluateLm(loadGpt2(dir), test);
  failures += rows.filter((r) => !r.agree).length;
  results.gpt2 = {
    model: m.program.model,
    note,
    first: from,
    secureVsFloat: summary(rows),
    cipherpruneFixedVsFloat,
    testPrompts: { prompts: plain.prompts, denseNextTokenAccuracy: plain.dense.nextTokenAccuracy, cipherpruneNextTokenAccuracy: plain.cipherprune?.nextTokenAccuracy, cipherpruneAgreement: plain.cipherprune?.agreement, cipherpruneMeanKept: plain.cipherprune?.meanKept },
    perPrompt: rows,
  };
}

report(`accuracy${values.only ? `-${values.only}` : ''}${splitName === 'test' ? '' : `-${splitName}`}${from ? `-from-${from}` : ''}${values.exact ? '-exact' : values.faithful ? '-faithful' : ''}`, results);
if (failures) {
  log(`${failures} disagreement${failures > 1 ? 's' : ''} between the secure run and the float model`);
  process.exitCode = 1;
}
