// Writing a trained model as a Hugging Face checkpoint folder: the program's server input values
// mapped back to the tensors their sources name (src/model/export.ts), big tables in F16.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IrProgram } from '../ir/ir.ts';
import type { InputValues } from '../ir/dim-env.ts';
import { tensorsFromInputs } from '../model/export.ts';
import { writeSafeTensors, type TensorToWrite } from '../model/safetensors.ts';

export function writeCheckpointFolder(dir: string, p: IrProgram, values: InputValues, config: Record<string, unknown>, half: ReadonlySet<string>): void {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of tensorsFromInputs(p, values)) tensors[name] = { dtype: half.has(name) ? 'F16' : 'F32', shape: t.shape, data: t.data };
  writeSafeTensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
}
