// What the two training scripts share: arguments, the data split, the output folder, and the
// steps after training (write the checkpoint, then evaluate what was written).
//   --epochs N        override the number of epochs
//   --out DIR         write somewhere else than the bundled folder
//   --evaluate-only   keep the trained weights in DIR; rewrite thresholds.json (the hand-set
//                     values in the script) and accuracy.json
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { IrProgram } from '../src/ir/ir.ts';
import { inputsFromWeights, type Weights } from '../src/model/weights.ts';
import { readLabelled, type Example } from '../src/train/data.ts';
import { writeCheckpointFolder } from '../src/train/export.ts';
import type { TrainOptions } from '../src/train/loop.ts';
import { expandTable, type CompactVocab } from '../src/train/vocab.ts';
import { ROOT } from './build-tokenizers.ts';

export interface ScriptSetup {
  out: string;
  evaluateOnly: boolean;
  options: TrainOptions;
  data: Record<'train' | 'validation' | 'test', Example[]>;
}

export function setup(bundled: string, defaults: Omit<TrainOptions, 'log'>): ScriptSetup {
  const { values } = parseArgs({ options: { epochs: { type: 'string' }, out: { type: 'string' }, 'evaluate-only': { type: 'boolean' } } });
  const out = values.out ?? join(ROOT, 'models', bundled);
  mkdirSync(out, { recursive: true });
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) if (!existsSync(join(out, f))) copyFileSync(join(ROOT, 'models', bundled, f), join(out, f));
  const data = Object.fromEntries((['train', 'validation', 'test'] as const).map((s) => [s, readLabelled(join(ROOT, `models/data/${s}.tsv`))])) as ScriptSetup['data'];
  const options = { ...defaults, epochs: values.epochs ? Number(values.epochs) : defaults.epochs, log: (s: string) => process.stdout.write(s + '\n') };
  return { out, evaluateOnly: !!values['evaluate-only'], options, data };
}

/** thresholds.json: the script's hand-set values under the programs' source names. */
export function writeThresholds(out: string, th: Record<string, number[]>): void {
  writeFileSync(join(out, 'thresholds.json'), JSON.stringify(Object.fromEntries(Object.entries(th).map(([k, v]) => [`cipherprune.${k}`, v])), null, 2) + '\n');
}

export const writeJson = (file: string, v: unknown): void => writeFileSync(file, JSON.stringify(v, null, 2) + '\n');

/** The weights' training record, kept when only evaluating. */
export const trainingRecord = (out: string): unknown => JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'));

/** Write trained weights (compact word table `wte`, expanded to the real vocabulary and stored
 * in F16 as `table`) as a checkpoint folder, with the training record. */
export function writeTrained(out: string, p: IrProgram, trained: { weights: Weights; vocab: CompactVocab; bestEpoch: number }, config: Record<string, unknown>, table: string, record: Record<string, unknown>): void {
  const values = inputsFromWeights(trained.weights);
  values.wte = expandTable(trained.vocab, values.wte, p.config.vocab_size);
  writeCheckpointFolder(out, p, values, config, new Set([table]));
  writeJson(join(out, 'training.json'), { ...record, trainedRows: trained.vocab.ids.length, bestEpoch: trained.bestEpoch });
}
