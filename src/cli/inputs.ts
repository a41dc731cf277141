// Input files for run/serve/connect: a JSON object from input names to numbers, as nested
// arrays (row-major) or flat arrays. `--random-inputs SEED` makes deterministic test inputs.
import { readFileSync, writeFileSync } from 'node:fs';
import { DimEnv, type InputValues } from '../ir/dim-env.ts';
import { size } from '../ir/tensor.ts';
import type { IrProgram } from '../ir/ir.ts';
import { Prg } from '../crypto/prg.ts';
import { UsageError } from './args.ts';

export function flatten(v: unknown, path: string): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v === 'boolean') return [v ? 1 : 0];
  if (Array.isArray(v)) return v.flatMap((x, i) => flatten(x, `${path}[${i}]`));
  throw new UsageError(`inputs: ${path} must be a number or an array of numbers, found ${JSON.stringify(v)?.slice(0, 40)}`);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--inputs ${file}: ${(e as Error).message}`);
  }
}

function toValues(obj: unknown, file: string): InputValues {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new UsageError(`--inputs ${file}: expected a JSON object of input names`);
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, flatten(v, k)]));
}

export function readInputs(file: string): InputValues {
  return toValues(readJson(file), file);
}

/** Sample inputs: a JSON object (one sample) or an array of them. */
export function readSamples(file: string): InputValues[] {
  const obj = readJson(file);
  return Array.isArray(obj) ? obj.map((o, i) => toValues(o, `${file}[${i}]`)) : [toValues(obj, file)];
}

/** A range for random inputs: [lo, hi) of reals for fixed point, integers for int and ring. */
export interface Range {
  lo: number;
  hi: number;
}
/** Per input name (`*`: every input of a number encoding) the range `--input-range` asked for. */
export type Ranges = Record<string, Range>;

/** The default range of an input's encoding: small reals (a product of two stays far inside any
 * fixed-point encoding, and nonlinear ops inside their domains), token ids below 50, ring
 * elements below 1000, bits. */
export function defaultRange(e: IrProgram['inputs'][number]['type']['enc']): Range {
  return e.kind === 'bool' ? { lo: 0, hi: 2 } : e.kind === 'int' ? { lo: 0, hi: 50 } : e.kind === 'ring' ? { lo: 0, hi: 1000 } : { lo: -0.25, hi: 0.25 };
}

function rangeOf(i: IrProgram['inputs'][number], ranges: Ranges): Range {
  return ranges[i.name] ?? (i.type.enc.kind !== 'bool' ? ranges['*'] : undefined) ?? defaultRange(i.type.enc);
}

/** Deterministic inputs for trying a program, each uniform in its range (`defaultRange` unless
 * `ranges` names it). The draws do not depend on the ranges' order or on `owner`. */
export function randomInputs(p: IrProgram, seed: number, owner?: 'client' | 'server', ranges: Ranges = {}): InputValues {
  const prg = Prg.fromInt(seed);
  const dims = new DimEnv();
  const out: InputValues = {};
  for (const i of p.inputs) {
    const n = size(dims.shape(i.type.shape));
    const u = new Uint32Array(prg.bytes(4 * n).buffer);
    if (owner && i.owner !== owner) continue;
    const { lo, hi } = rangeOf(i, ranges);
    const real = i.type.enc.kind === 'fix';
    out[i.name] = Array.from(u, (v) => (real ? lo + (v / 2 ** 32) * (hi - lo) : lo + (v % Math.max(1, hi - lo))));
  }
  return out;
}

/** `--input-range [NAME=]LO,HI` (repeatable): a range for every number input, or for one. */
export function parseRanges(specs: string[] | undefined, p: IrProgram): Ranges {
  const out: Ranges = {};
  for (const spec of specs ?? []) {
    const m = /^(?:([A-Za-z_][A-Za-z0-9_]*)=)?(-?[\d.eE+-]+),(-?[\d.eE+-]+)$/.exec(spec.trim());
    const lo = Number(m?.[2]), hi = Number(m?.[3]);
    if (!m || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new UsageError(`--input-range expects [NAME=]LO,HI with LO < HI, got '${spec}'`);
    const name = m[1] ?? '*';
    const inp = p.inputs.find((i) => i.name === name);
    if (name !== '*' && !inp) throw new UsageError(`--input-range names '${name}', which the program does not declare (inputs: ${p.inputs.map((i) => i.name).join(', ')})`);
    if (inp && inp.type.enc.kind !== 'fix' && !(Number.isInteger(lo) && Number.isInteger(hi))) throw new UsageError(`--input-range ${name}: ${inp.type.enc.kind} inputs take integer ranges, got '${spec}'`);
    out[name] = { lo, hi };
  }
  return out;
}

/** Standard normal samples (Box–Muller) from a PRG. */
function gaussian(prg: Prg, n: number): Float64Array {
  const u = new Uint32Array(prg.bytes(8 * n).buffer), out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log((u[2 * i] + 1) / 4294967297)) * Math.cos((2 * Math.PI * u[2 * i + 1]) / 4294967296);
  return out;
}

/**
 * Deterministic inputs shaped like a freshly initialised BERT / GPT-2 (Hugging Face's
 * `_init_weights`: weights N(0, 0.02), LayerNorm gains 1, biases and LayerNorm shifts 0),
 * recognised by the inputs' checkpoint sources (`...LayerNorm.weight`, `ln_1.weight`, `.bias`);
 * token ids below 50, padding flags 0; inputs without a source are drawn as `randomInputs` does.
 */
export function bertLikeInputs(p: IrProgram, seed: number): InputValues {
  const prg = Prg.fromInt(seed), plain = randomInputs(p, seed), dims = new DimEnv();
  const out: InputValues = {};
  for (const i of p.inputs) {
    const n = size(dims.shape(i.type.shape)), src = i.source ?? '';
    if (!src || i.type.enc.kind !== 'fix') out[i.name] = plain[i.name];
    else if (/layernorm\.weight|ln_\w*\.weight/i.test(src)) out[i.name] = new Float64Array(n).fill(1);
    else if (/\.bias\b|padding|cipherprune\./.test(src)) out[i.name] = new Float64Array(n);
    else out[i.name] = gaussian(prg, n).map((v) => 0.02 * v);
  }
  return out;
}

/** Inputs from --inputs and/or --random-inputs, restricted to `owner` when given. */
export interface InputOptions {
  inputs?: string;
  'random-inputs'?: string;
  'input-range'?: string[];
  'save-inputs'?: string;
}

/** Options of run, serve and connect for inputs (help text lines). */
export const inputOptionsHelp = `  --input-range [NAME=]LO,HI   with --random-inputs: draw NAME (or, without NAME=, every
                       number input) uniformly from [LO, HI); default: fixed point in
                       [-0.25, 0.25), int in [0, 50), ring in [0, 1000), bool 0 or 1 (repeatable)
  --save-inputs FILE   write the inputs used (drawn and from --inputs) as JSON, which
                       --inputs FILE reads back`;
export const inputOptions = {
  inputs: { type: 'string' },
  'random-inputs': { type: 'string' },
  'input-range': { type: 'string', multiple: true },
  'save-inputs': { type: 'string' },
} as const;

/** This run's inputs: drawn (`--random-inputs`, `--input-range`), then `base` (inputs from model
 * folders and text), then from `--inputs`; with `--save-inputs` they are written out, and a line
 * per drawn input says what was drawn. */
export function gatherInputs(p: IrProgram, values: InputOptions, owner?: 'client' | 'server', note: (s: string) => void = () => {}, base: InputValues = {}): InputValues {
  if (!values.inputs && values['random-inputs'] === undefined && Object.keys(base).length === 0) {
    throw new UsageError('give the inputs with --inputs FILE, a model folder and text (--checkpoint DIR, --text TEXT), or --random-inputs SEED to try the program');
  }
  let out: InputValues = {};
  if (values['input-range']?.length && values['random-inputs'] === undefined) throw new UsageError('--input-range needs --random-inputs');
  if (values['random-inputs'] !== undefined) {
    const seed = Number(values['random-inputs']);
    if (!Number.isInteger(seed)) throw new UsageError(`--random-inputs expects an integer seed, got '${values['random-inputs']}'`);
    const ranges = parseRanges(values['input-range'], p);
    out = randomInputs(p, seed, owner, ranges);
    const drawn = p.inputs.filter((i) => i.name in out).map((i) => {
      const r = rangeOf(i, ranges);
      return `${i.name} in [${r.lo}, ${r.hi})`;
    });
    note(`random inputs (seed ${seed}): ${drawn.join(', ')}`);
  }
  out = { ...out, ...base };
  if (values.inputs) {
    const file = readInputs(values.inputs);
    for (const name of Object.keys(file)) {
      const inp = p.inputs.find((i) => i.name === name);
      if (!inp) throw new UsageError(`--inputs names '${name}', which the program does not declare (inputs: ${p.inputs.map((i) => i.name).join(', ')})`);
      if (owner && inp.owner !== owner) throw new UsageError(`--inputs gives '${name}', which belongs to the ${inp.owner}; the ${owner} must not see it`);
    }
    out = { ...out, ...file };
  }
  if (values['save-inputs']) {
    const json = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v)]));
    writeFileSync(values['save-inputs'], JSON.stringify(json) + '\n');
    note(`inputs saved to ${values['save-inputs']}`);
  }
  return out;
}
