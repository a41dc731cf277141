// Input files for run/serve/connect: a JSON object from input names to numbers, as nested
// arrays (row-major) or flat arrays. `--random-inputs SEED` makes deterministic test inputs.
import { readFileSync } from 'node:fs';
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

/** Deterministic inputs for trying a program: small reals, token ids below 50, bits. */
export function randomInputs(p: IrProgram, seed: number, owner?: 'client' | 'server'): InputValues {
  const prg = Prg.fromInt(seed);
  const dims = new DimEnv();
  const out: InputValues = {};
  for (const i of p.inputs) {
    const n = size(dims.shape(i.type.shape));
    const u = new Uint32Array(prg.bytes(4 * n).buffer);
    if (owner && i.owner !== owner) continue;
    const e = i.type.enc;
    out[i.name] = Array.from(u, (v) => (e.kind === 'bool' ? v & 1 : e.kind === 'int' ? v % 50 : e.kind === 'ring' ? v % 1000 : (v / 2 ** 32 - 0.5) * 0.5));
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
export function gatherInputs(p: IrProgram, values: { inputs?: string; 'random-inputs'?: string }, owner?: 'client' | 'server'): InputValues {
  if (!values.inputs && values['random-inputs'] === undefined) throw new UsageError('give the inputs with --inputs FILE (or --random-inputs SEED to try the program)');
  let out: InputValues = {};
  if (values['random-inputs'] !== undefined) {
    const seed = Number(values['random-inputs']);
    if (!Number.isInteger(seed)) throw new UsageError(`--random-inputs expects an integer seed, got '${values['random-inputs']}'`);
    out = randomInputs(p, seed, owner);
  }
  if (values.inputs) {
    const file = readInputs(values.inputs);
    for (const name of Object.keys(file)) {
      const inp = p.inputs.find((i) => i.name === name);
      if (!inp) throw new UsageError(`--inputs names '${name}', which the program does not declare (inputs: ${p.inputs.map((i) => i.name).join(', ')})`);
      if (owner && inp.owner !== owner) throw new UsageError(`--inputs gives '${name}', which belongs to the ${inp.owner}; the ${owner} must not see it`);
    }
    out = { ...out, ...file };
  }
  return out;
}
