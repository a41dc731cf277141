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

export function readInputs(file: string): InputValues {
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--inputs ${file}: ${(e as Error).message}`);
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new UsageError(`--inputs ${file}: expected a JSON object of input names`);
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, flatten(v, k)]));
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

/** Inputs from --inputs and/or --random-inputs, restricted to `owner` when given, over `base`
 * (inputs from model folders and text); --inputs overrides both. */
export function gatherInputs(p: IrProgram, values: { inputs?: string; 'random-inputs'?: string }, owner?: 'client' | 'server', base: InputValues = {}): InputValues {
  if (!values.inputs && values['random-inputs'] === undefined && Object.keys(base).length === 0) {
    throw new UsageError('give the inputs with --inputs FILE, a model folder and text (--checkpoint DIR, --text TEXT), or --random-inputs SEED to try the program');
  }
  let out: InputValues = {};
  if (values['random-inputs'] !== undefined) {
    const seed = Number(values['random-inputs']);
    if (!Number.isInteger(seed)) throw new UsageError(`--random-inputs expects an integer seed, got '${values['random-inputs']}'`);
    out = randomInputs(p, seed, owner);
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
  return out;
}
