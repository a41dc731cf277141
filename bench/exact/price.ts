// `npm run bench -- exact --price`: the bundled classifier's predicted bytes per sentence, dense and
// CipherPrune (its shipped thresholds, each sentence at its own kept and accurate counts, as tune's
// report prices them: src/train/tune.ts `measure`), in the default mode and in exact mode
// (IrProgram.exact), with the default OT backend. Plaintext only (the cost model), seconds.
import { join } from 'node:path';
import { configSizes } from '../../src/model/checkpoint.ts';
import { bundledModel, bundledProgram, compileModel, loadBert } from '../../src/model/load.ts';
import { readLabelled } from '../../src/train/data.ts';
import { encodeAll, measure } from '../../src/train/tune.ts';
import { prunedCost } from '../../src/train/tune-cost.ts';
import { ROOT } from '../../scripts/build-tokenizers.ts';
import { report } from '../lib.ts';

const log = (s: string) => process.stderr.write(s + '\n');
const m = loadBert(bundledModel('bert-sentiment'), 'bert_dense');
const th = m.thresholds && { theta: Array.from(m.thresholds.theta), theta_hi: Array.from(m.thresholds.theta_hi) };
if (!th) throw new Error('models/bert-sentiment has no thresholds.json');
const faithful = { ...compileModel(bundledProgram('bert'), 'bert_cipherprune', configSizes(m.checkpoint.config)), exact: false };
const modes = { faithful, exact: { ...faithful, exact: true } };
const out: Record<string, unknown> = {};
for (const split of ['test', 'validation']) {
  const data = encodeAll(m, readLabelled(join(ROOT, `models/data/${split}.tsv`)));
  const row: Record<string, { dense: number; pruned: number; ratio: number; prunedRounds: number; denseRounds: number }> = {};
  for (const [name, pruned] of Object.entries(modes)) {
    const dense = name === 'exact' ? { ...m.program, exact: true } : m.program;
    const cost = prunedCost(pruned, dense);
    const r = measure(m, data, th, cost);
    row[name] = { dense: cost.dense.bytes / 1e6, pruned: r.cost.bytes / 1e6, ratio: cost.dense.bytes / r.cost.bytes, prunedRounds: r.cost.rounds, denseRounds: cost.dense.rounds };
    log(`${split}, ${name}: dense ${(cost.dense.bytes / 1e6).toFixed(2)} MB (${cost.dense.rounds} rounds), CipherPrune ${(r.cost.bytes / 1e6).toFixed(2)} MB (${r.cost.rounds.toFixed(0)} rounds) per sentence: ${(cost.dense.bytes / r.cost.bytes).toFixed(3)}×`);
  }
  const mixed = row.faithful.dense / row.exact.pruned;
  log(`${split}: dense as users run it (default mode) ${row.faithful.dense.toFixed(2)} MB vs CipherPrune in exact mode ${row.exact.pruned.toFixed(2)} MB: ${mixed.toFixed(3)}×`);
  out[split] = { ...row, denseDefaultVsPrunedExact: mixed };
}
report('exact-price', out);
