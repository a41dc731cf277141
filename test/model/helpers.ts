// Helpers for model tests: random checkpoints for a compiled program, written in the Hugging
// Face layout to a temporary folder.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IrProgram } from '../../src/ir/ir.ts';
import type { InputValues } from '../../src/ir/dim-env.ts';
import { DimEnv } from '../../src/ir/dim-env.ts';
import { size } from '../../src/ir/tensor.ts';
import { tensorsFromInputs } from '../../src/model/export.ts';
import { writeSafeTensors, type TensorToWrite } from '../../src/model/safetensors.ts';
import { Prg } from '../../src/crypto/prg.ts';

/** Deterministic uniform reals in [-k, k). */
export function uniform(seed: number, n: number, k: number): Float64Array {
  const u = new Uint32Array(Prg.fromInt(seed).bytes(4 * n).buffer);
  return Float64Array.from(u, (v) => (v / 2 ** 32 - 0.5) * 2 * k);
}

/** Random server weights for every sourced input: gains near 1, others ~U(-k, k). */
export function randomWeights(p: IrProgram, seed: number, k = 0.3): InputValues {
  const dims = new DimEnv();
  const out: InputValues = {};
  p.inputs.forEach((i, j) => {
    if (i.owner !== 'server' || !i.source || i.source.startsWith('cipherprune.')) return;
    const n = size(dims.shape(i.type.shape));
    const v = uniform(seed * 1000 + j, n, k);
    out[i.name] = /_g$/.test(i.name) ? v.map((x) => 1 + x) : v;
  });
  return out;
}

/** Write weights as config.json + model.safetensors (+ thresholds.json) in a fresh folder. */
export function writeCheckpoint(p: IrProgram, weights: InputValues, extra: { thresholds?: Record<string, number[]>; dtype?: TensorToWrite['dtype']; config?: Record<string, unknown> } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'cipherprune-ckpt-'));
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of tensorsFromInputs(p, weights)) tensors[name] = { dtype: extra.dtype ?? 'F64', shape: t.shape, data: t.data };
  writeSafeTensors(join(dir, 'model.safetensors'), tensors);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...p.config, ...extra.config }));
  if (extra.thresholds) writeFileSync(join(dir, 'thresholds.json'), JSON.stringify(extra.thresholds));
  return dir;
}
