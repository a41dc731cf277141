// The inverse of checkpoint binding: a program's server input values back to the checkpoint
// tensors their sources name (used to write trained models in the Hugging Face layout). Each
// source's steps are applied to a tensor of element indices, which tells where every input
// element came from; several inputs may fill one tensor (GPT-2's fused c_attn).
import { DimEnv, type InputValues } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import { applySteps, expectedRawShape, parseSource, type ExpectedDim } from './source.ts';

export interface NamedTensor {
  shape: number[];
  data: Float64Array;
}

const dimOf = (e: ExpectedDim) => ('exact' in e ? e.exact : e.min);

/** Checkpoint tensors (by name, in input order) holding the given server input values (inputs
 * without a value are left out). */
export function tensorsFromInputs(p: IrProgram, values: InputValues): Map<string, NamedTensor> {
  const d = p.config.hidden_size ?? p.config.n_embd ?? p.config.d_model ?? 0;
  const dims = new DimEnv();
  const parts: { name: string; raw: number[]; steps: ReturnType<typeof parseSource>; data: ArrayLike<number> }[] = [];
  for (const input of p.inputs) {
    if (input.owner !== 'server' || input.source === null) continue;
    const v = values[input.name];
    if (!v) continue;
    const ref = parseSource(input.source);
    const shape = dims.shape(input.type.shape);
    if (!ref.perLayer) {
      parts.push({ name: ref.name, raw: expectedRawShape(ref, shape, d).map(dimOf), steps: ref, data: v });
      continue;
    }
    const [L, ...per] = shape;
    const n = per.reduce((a, b) => a * b, 1);
    for (let l = 0; l < L; l++) {
      const data = Array.prototype.slice.call(v, l * n, (l + 1) * n) as number[];
      parts.push({ name: ref.name.replaceAll('{l}', String(l)), raw: expectedRawShape(ref, per, d).map(dimOf), steps: ref, data });
    }
  }
  const shapes = new Map<string, number[]>();
  for (const part of parts) {
    const s = shapes.get(part.name);
    shapes.set(part.name, s ? s.map((x, i) => Math.max(x, part.raw[i])) : part.raw);
  }
  const out = new Map<string, NamedTensor>();
  for (const [name, shape] of shapes) out.set(name, { shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)) });
  for (const part of parts) {
    const t = out.get(part.name)!;
    const index = applySteps(part.steps, Float64Array.from({ length: t.data.length }, (_, i) => i), t.shape, d).data;
    for (let j = 0; j < index.length; j++) t.data[index[j]] = part.data[j];
  }
  return out;
}
