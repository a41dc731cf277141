// A checkpoint folder in the Hugging Face layout: config.json + model.safetensors (+ the
// tokenizer files, src/text; + an optional thresholds.json with CipherPrune's per-layer
// thresholds). `checkpointInputs` gives a compiled program its server inputs from the tensors
// its input sources name, with errors that name the tensor, the input and the expected shape.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { editDistance } from '../front/suggest.ts';
import type { IrInput, IrProgram } from '../ir/ir.ts';
import { DimEnv, type InputValues } from '../ir/dim-env.ts';
import { CheckpointError, readSafeTensors, type DType, type SafeTensors } from './safetensors.ts';
import { applySteps, expectedRawShape, fitsExpected, parseSource, showExpected, SourceError, type SourceRef } from './source.ts';

export { CheckpointError };

export interface Checkpoint {
  dir: string;
  /** config.json as written. */
  config: Record<string, unknown>;
  weights: SafeTensors;
  /** thresholds.json: tensor name -> numbers (e.g. "cipherprune.theta"), if present. */
  thresholds: Record<string, number[]>;
  /** thresholds.json's `"exact": true`: the thresholds were tuned for exact mode (IrProgram.exact). */
  exact: boolean;
}

function readJsonFile(file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CheckpointError(`${file}: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new CheckpointError(`${file}: expected a JSON object`);
  return v as Record<string, unknown>;
}

export function openCheckpoint(dir: string): Checkpoint {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CheckpointError(`no checkpoint folder ${dir}`);
  const cfg = join(dir, 'config.json');
  if (!existsSync(cfg)) throw new CheckpointError(`checkpoint ${dir} has no config.json`);
  const st = join(dir, 'model.safetensors');
  if (!existsSync(st)) throw new CheckpointError(`checkpoint ${dir} has no model.safetensors`);
  const thFile = join(dir, 'thresholds.json');
  const thresholds: Record<string, number[]> = {};
  let exact = false;
  if (existsSync(thFile)) {
    for (const [k, v] of Object.entries(readJsonFile(thFile))) {
      if (k === 'exact') {
        if (typeof v !== 'boolean') throw new CheckpointError(`${thFile}: "exact" must be true or false, got ${JSON.stringify(v)}`);
        exact = v;
      } else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) thresholds[k] = v;
      else if (typeof v === 'number') thresholds[k] = [v];
    }
  }
  return { dir, config: readJsonFile(cfg), weights: readSafeTensors(st), thresholds, exact };
}

/**
 * The program in the mode its checkpoint asks for: exact (IrProgram.exact) when thresholds.json
 * says `"exact": true` and the program takes the checkpoint's thresholds (a server input whose
 * source is a thresholds.json entry); a dense program runs as it would without them.
 */
export function withCheckpointMode(p: IrProgram, ck: Checkpoint | undefined): IrProgram {
  if (!ck?.exact || p.exact) return p;
  return p.inputs.some((i) => i.owner === 'server' && readsThresholds(ck, i.source)) ? { ...p, exact: true } : p;
}

/** Whether an input's source resolves to a thresholds.json entry, as checkpointInputs reads it
 * (a malformed source is not: checkpointInputs reports it). */
function readsThresholds(ck: Checkpoint, source: string | null): boolean {
  if (source === null) return false;
  let ref: SourceRef;
  try {
    ref = parseSource(source);
  } catch (e) {
    if (e instanceof SourceError) return false;
    throw e;
  }
  return fromThresholds(ck, resolveName(ck, ref.perLayer ? ref.name.replaceAll('{l}', '0') : ref.name));
}

/** A resolved name that checkpointInputs reads from thresholds.json (not from the weights). */
const fromThresholds = (ck: Checkpoint, found: string | undefined): found is string => found !== undefined && found in ck.thresholds && !ck.weights.tensors.has(found);

/**
 * Program config sizes from a Hugging Face config.json: its integer entries by name, plus the
 * sizes Hugging Face leaves implicit (GPT-2's `n_inner: null` is 4 · n_embd; `num_labels` is
 * the number of `id2label` entries).
 */
export function configSizes(config: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(config)) if (typeof v === 'number' && Number.isInteger(v)) out[k] = v;
  if (config.n_inner === null && typeof config.n_embd === 'number') out.n_inner = 4 * config.n_embd;
  if (out.num_labels === undefined && config.id2label && typeof config.id2label === 'object') out.num_labels = Object.keys(config.id2label).length;
  return out;
}

/** Class names of a classifier checkpoint (`id2label`), if it has them. */
export function labelNames(config: Record<string, unknown>): string[] | undefined {
  const m = config.id2label as Record<string, string> | undefined;
  if (!m || typeof m !== 'object') return undefined;
  return Object.keys(m)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => m[k]);
}

const FLOAT: ReadonlySet<DType> = new Set(['F64', 'F32', 'F16', 'BF16']);

/** The hidden size `d` that source bounds refer to. */
function hiddenSize(p: IrProgram): number {
  const d = p.config.hidden_size ?? p.config.n_embd ?? p.config.d_model;
  return d ?? 0;
}

/** Resolve a tensor name, allowing the prefixes Hugging Face model classes add or drop
 * (`transformer.h.0…` for `h.0…`, `embeddings…` for `bert.embeddings…`). */
function resolveName(ck: Checkpoint, name: string): string | undefined {
  if (ck.weights.tensors.has(name) || name in ck.thresholds) return name;
  const suffixed = [...ck.weights.tensors.keys()].filter((k) => k.endsWith('.' + name));
  if (suffixed.length === 1) return suffixed[0];
  const dot = name.indexOf('.');
  if (dot > 0 && ck.weights.tensors.has(name.slice(dot + 1))) return name.slice(dot + 1);
  return undefined;
}

function closest(ck: Checkpoint, name: string): string | undefined {
  let best: string | undefined, bestD = Math.max(3, Math.floor(name.length / 5));
  for (const k of [...ck.weights.tensors.keys(), ...Object.keys(ck.thresholds)]) {
    const e = editDistance(name, k);
    if (e <= bestD) [best, bestD] = [k, e];
  }
  return best;
}

function inputWhere(p: IrProgram, input: IrInput): string {
  const w = p.ops[input.id].where;
  return `input ${input.name} (${w.file}:${w.line}) reads "${input.source}"`;
}

function loadOne(ck: Checkpoint, p: IrProgram, input: IrInput, ref: SourceRef, name: string, want: number[], layer?: number): Float64Array {
  const where = `${inputWhere(p, input)}${layer !== undefined ? `, layer ${layer}` : ''}`;
  const found = resolveName(ck, name);
  if (!found) {
    const near = closest(ck, name);
    throw new CheckpointError(`checkpoint ${ck.dir}: no tensor '${name}' (${where})${near ? `; did you mean '${near}'?` : ''}`);
  }
  const d = hiddenSize(p);
  const expect = expectedRawShape(ref, want, d);
  let data: Float64Array, shape: number[];
  if (fromThresholds(ck, found)) {
    data = Float64Array.from(ck.thresholds[found]);
    shape = [data.length];
  } else {
    const info = ck.weights.tensors.get(found)!;
    if (!FLOAT.has(info.dtype)) throw new CheckpointError(`checkpoint ${ck.dir}: tensor '${found}' has dtype ${info.dtype}, but ${where} needs floating point (F32, F16, BF16 or F64)`);
    shape = info.shape;
    if (!fitsExpected(shape, expect)) throw new CheckpointError(`checkpoint ${ck.dir}: tensor '${found}' has shape [${shape.join(', ')}], expected ${showExpected(expect)} (${where})`);
    data = ck.weights.read(found);
  }
  if (!fitsExpected(shape, expect)) throw new CheckpointError(`checkpoint ${ck.dir}: '${found}' has ${data.length} values, expected shape ${showExpected(expect)} (${where})`);
  return applySteps(ref, data, shape, d).data;
}

/** Values of every server input of `p` that has a source, read from the checkpoint. */
export function checkpointInputs(p: IrProgram, ck: Checkpoint): InputValues {
  const dims = new DimEnv();
  const out: InputValues = {};
  for (const input of p.inputs) {
    if (input.owner !== 'server' || input.source === null) continue;
    let ref: SourceRef;
    try {
      ref = parseSource(input.source);
    } catch (e) {
      if (e instanceof SourceError) throw new CheckpointError(`${e.message} (${inputWhere(p, input)})`);
      throw e;
    }
    const shape = dims.shape(input.type.shape);
    if (!ref.perLayer) {
      out[input.name] = loadOne(ck, p, input, ref, ref.name, shape);
      continue;
    }
    const [L, ...per] = shape;
    const parts = Array.from({ length: L }, (_, l) => loadOne(ck, p, input, ref, ref.name.replaceAll('{l}', String(l)), per, l));
    const all = new Float64Array(parts.reduce((s, x) => s + x.length, 0));
    let at = 0;
    for (const x of parts) all.set(x, (at += x.length) - x.length);
    out[input.name] = all;
  }
  return out;
}
