// Shared by compile/run/serve/connect: check a CPL file, pick a model, bind config sizes, lower.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { check, formatDiagnostics } from '../front/index.ts';
import type { IrProgram } from '../ir/ir.ts';
import { formatIr } from '../ir/ir.ts';
import { lowerModel, LowerError } from '../ir/lower.ts';
import { DEFAULT_OT_BACKEND, isOtBackend, OT_BACKENDS, type OtBackend } from '../crypto/ot/index.ts';
import { UsageError } from './args.ts';
import type { Io } from './args.ts';

export const programOptions = {
  model: { type: 'string', short: 'm' },
  config: { type: 'string', multiple: true },
  'config-file': { type: 'string' },
  ot: { type: 'string' },
} as const;

export const programHelp = `  -m, --model NAME     the model to run (default: the only model in the file)
  --config KEY=N       override a config size (repeatable), e.g. --config seq_len=32
  --config-file FILE   config sizes from a JSON object (e.g. a checkpoint's config.json;
                       keys that the program does not declare are ignored)
  --ot ${OT_BACKENDS.join('|')}     correlated-OT backend (default ${DEFAULT_OT_BACKEND}): ferret is silent OT
                       (well under 1 bit per OT once warm), iknp sends 16 bytes per OT;
                       both parties must use the same one (docs/ot.md)`;

/** The --ot backend (default DEFAULT_OT_BACKEND). */
export function otBackendOf(values: { ot?: string }): OtBackend {
  const v = values.ot ?? DEFAULT_OT_BACKEND;
  if (!isOtBackend(v)) throw new UsageError(`--ot must be one of ${OT_BACKENDS.join(', ')}, got '${v}'`);
  return v;
}

export class ProgramError extends Error {}

export function parseConfig(values: { config?: string[]; 'config-file'?: string }): Record<string, number> {
  const out: Record<string, number> = {};
  if (values['config-file']) {
    let obj: unknown;
    try {
      obj = JSON.parse(readFileSync(values['config-file'], 'utf8'));
    } catch (e) {
      throw new UsageError(`--config-file ${values['config-file']}: ${(e as Error).message}`);
    }
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) if (typeof v === 'number' && Number.isInteger(v)) out[k] = v;
  }
  for (const kv of values.config ?? []) {
    const m = /^([A-Za-z_]\w*)=(\d+)$/.exec(kv);
    if (!m) throw new UsageError(`--config expects KEY=N with a positive integer N, got '${kv}'`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Compile one model of a CPL file. Diagnostics go to stderr; failures throw ProgramError. */
export function compileProgram(path: string, values: { model?: string; config?: string[]; 'config-file'?: string }, io: Io): IrProgram {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`no such program file: ${path}`);
  const r = check([{ path }]);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    io.err(formatDiagnostics(errors, { color: io.color }) + '\n');
    throw new ProgramError(`${path} has errors`);
  }
  const models = r.models.filter((m) => m.module === r.entries[0]);
  if (models.length === 0) throw new UsageError(`${path} declares no model`);
  let model = models[0];
  if (values.model) {
    const found = models.find((m) => m.name === values.model);
    if (!found) throw new UsageError(`${path} has no model '${values.model}' (models: ${models.map((m) => m.name).join(', ')})`);
    model = found;
  } else if (models.length > 1) {
    throw new UsageError(`${path} declares several models; choose one with --model (${models.map((m) => m.name).join(', ')})`);
  }
  const config = parseConfig(values);
  const declared = new Set([...r.typing.configSizes.keys()].map((s) => s.name));
  const fromFile = values['config-file'] ? Object.keys(config).filter((k) => !declared.has(k)) : [];
  for (const k of fromFile) delete config[k];
  try {
    return lowerModel(r, model, { config });
  } catch (e) {
    if (e instanceof LowerError) throw new ProgramError(`${e.file}: ${e.message}`);
    throw e;
  }
}

/** The text both parties hash at connect: the compiled program, config included. */
export const programText = (p: IrProgram): string => formatIr(p);
