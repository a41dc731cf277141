// A checkpoint folder with the program that reads it: compile the bundled (or a given) CPL
// program with the checkpoint's config, bind the server inputs, and build the float reference
// model's weights from the very values the program would get.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from '../front/index.ts';
import type { IrProgram } from '../ir/ir.ts';
import { lowerModel } from '../ir/lower.ts';
import type { InputValues } from '../ir/dim-env.ts';
import { unsupportedOps } from '../exec/executor.ts';
import { loadTokenizer, type TextTokenizer } from '../text/tokenizer.ts';
import { bertShapes, type BertConfig, type Thresholds } from './bert.ts';
import { checkpointInputs, configSizes, labelNames, openCheckpoint, withCheckpointMode, type Checkpoint } from './checkpoint.ts';
import { gpt2Shapes, type Gpt2Config } from './gpt2.ts';
import { weightsFromInputs, type Weights } from './weights.ts';

/** A bundled program (protocols/NAME.cpl), as a path relative to the working directory when
 * that is shorter (source locations in messages stay readable). */
export function bundledProgram(name: 'bert' | 'gpt2'): string {
  const abs = fileURLToPath(new URL(`../../protocols/${name}.cpl`, import.meta.url));
  const rel = relative(process.cwd(), abs);
  return rel.length < abs.length && !rel.startsWith('..') ? rel : abs;
}

/** A bundled model folder (models/NAME). */
export const bundledModel = (name: string): string => fileURLToPath(new URL(`../../models/${name}`, import.meta.url));

/** Compile one model of a CPL file with config sizes (keys the program does not declare are
 * ignored, as for a checkpoint's config.json). */
export function compileModel(path: string, model: string, config: Record<string, number> = {}): IrProgram {
  const r = check([{ path }]);
  if (!r.ok) throw new Error(`${path} does not type-check (run cipherprune check ${path})`);
  const m = r.models.find((x) => x.name === model && x.module === r.entries[0]);
  if (!m) throw new Error(`${path} has no model '${model}'`);
  const declared = new Set([...r.typing.configSizes.keys()].map((s) => s.name));
  return lowerModel(r, m, { config: Object.fromEntries(Object.entries(config).filter(([k]) => declared.has(k))) });
}

export interface LoadedModel<C> {
  checkpoint: Checkpoint;
  program: IrProgram;
  config: C;
  /** The program's server inputs, from the checkpoint. */
  serverInputs: InputValues;
  weights: Weights;
  tokenizer: TextTokenizer;
}

function load(dir: string, file: string, model: string, overrides: Record<string, number>) {
  const checkpoint = openCheckpoint(dir);
  const program = withCheckpointMode(compileModel(file, model, { ...configSizes(checkpoint.config), ...overrides }), checkpoint);
  const serverInputs = checkpointInputs(program, checkpoint);
  return { checkpoint, program, serverInputs, tokenizer: loadTokenizer(dir) };
}

export interface LoadedBert extends LoadedModel<BertConfig> {
  thresholds?: Thresholds;
  labels: string[];
}

/** A BERT classifier checkpoint with `model` of protocols/bert.cpl (or `file`). */
export function loadBert(dir: string, model = 'bert_dense', overrides: Record<string, number> = {}, file = bundledProgram('bert')): LoadedBert {
  const l = load(dir, file, model, overrides);
  const config = l.program.config as unknown as BertConfig;
  // Thresholds from the program's inputs, or else from thresholds.json (to evaluate pruning
  // beside a dense program).
  const theta = l.serverInputs.theta ?? l.checkpoint.thresholds['cipherprune.theta'];
  const theta_hi = l.serverInputs.theta_hi ?? l.checkpoint.thresholds['cipherprune.theta_hi'];
  return {
    ...l,
    config,
    weights: weightsFromInputs(bertShapes(config), l.serverInputs),
    thresholds: theta && theta_hi ? { theta, theta_hi } : undefined,
    labels: labelNames(l.checkpoint.config) ?? Array.from({ length: config.num_labels }, (_, i) => `LABEL_${i}`),
  };
}

export interface LoadedGpt2 extends LoadedModel<Gpt2Config> {
  theta?: ArrayLike<number>;
}

export function loadGpt2(dir: string, model = 'gpt2_dense', overrides: Record<string, number> = {}, file = bundledProgram('gpt2')): LoadedGpt2 {
  const l = load(dir, file, model, overrides);
  const config = l.program.config as unknown as Gpt2Config;
  return { ...l, config, weights: weightsFromInputs(gpt2Shapes(config), l.serverInputs), theta: l.serverInputs.theta ?? l.checkpoint.thresholds['cipherprune.theta'] };
}

/**
 * The pruned variant of a bundled model if this build runs it securely, else the dense one
 * (oblivious compaction is a separate piece of work), with a note saying why.
 */
export function runnable<T extends { program: IrProgram }>(load: (model: string) => T, pruned: string, dense: string): { model: T; note?: string } {
  const m = load(pruned);
  const pending = unsupportedOps(m.program);
  if (pending.length === 0) return { model: m };
  const ops = [...new Set(pending.map((u) => u.op.op))].join(', ');
  return { model: load(dense), note: `this build cannot run ${pruned} securely yet (${ops}: ${pending[0].reason}); running ${dense}` };
}
