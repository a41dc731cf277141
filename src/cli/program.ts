// Shared by compile/run/serve/connect: check a CPL file, pick a model, bind config sizes, lower.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { check, formatDiagnostics, type CheckResult } from '../front/index.ts';
import type { IrProgram } from '../ir/ir.ts';
import { lowerModel, LowerError } from '../ir/lower.ts';
import { DEFAULT_OT_BACKEND, isOtBackend, OT_BACKENDS, type OtBackend } from '../crypto/ot/index.ts';
import { UsageError } from './args.ts';
import type { Io } from './args.ts';
import { PRESETS } from './presets.ts';

export const programOptions = {
  model: { type: 'string', short: 'm' },
  config: { type: 'string', multiple: true },
  'config-file': { type: 'string' },
  ot: { type: 'string' },
  tokens: { type: 'string' },
  exact: { type: 'boolean' },
} as const;

/** Exact mode, in the one wording every command's help uses (docs/tuning.md, "Exact mode"). */
export const exactHelp = `  --exact              exact mode: every secure truncation floors exactly, so the run equals the
                       fixed-point reference bit for bit (more bytes and rounds; docs/tuning.md,
                       "Exact mode"); part of the program hash, so both parties must run it`;

/** Where else exact mode comes from, per command (a checkpoint's thresholds.json `"exact": true`). */
export const exactFrom = {
  checkpoint: `                       (on when the checkpoint's thresholds.json says "exact": true and the
                       program takes its thresholds)`,
  connect: `                       (needed against a server in exact mode: its --exact, or its checkpoint's
                       thresholds.json says "exact": true)`,
  none: `                       (this command reads no checkpoint: give --exact for a model whose
                       thresholds.json says "exact": true)`,
};

/** The program options' help; `exact`: where else exact mode comes from for this command (exactFrom). */
export const programHelpFor = (exact: string) => `  -m, --model NAME     the model to run (default: the only model in the file)
  --config KEY=N       override a config size (repeatable), e.g. --config seq_len=32
  --config PRESET      a published shape: ${Object.keys(PRESETS).join(', ')} (KEY=N after it overrides)
  --tokens N           the number of tokens (the config size seq_len)
  --config-file FILE   config sizes from a JSON object (e.g. a checkpoint's config.json;
                       keys that the program does not declare are ignored)
${exactHelp}
${exact}
  --ot B               correlated-OT backend: ferret (silent OT, under 2 bits per OT once its
                       pools run; ≈ 2.3 MB to start) or iknp (16 bytes per OT); default
                       ${DEFAULT_OT_BACKEND} (docs/ot.md, "Choosing a backend")`;

/** The program options' help for commands that read no checkpoint (compile, inspect, calibrate). */
export const programHelp = programHelpFor(exactFrom.none);

/** The --ot backend (default DEFAULT_OT_BACKEND). */
export function otBackendOf(values: { ot?: string }): OtBackend {
  const v = values.ot ?? DEFAULT_OT_BACKEND;
  if (!isOtBackend(v)) throw new UsageError(`--ot must be one of ${OT_BACKENDS.join(', ')}, got '${v}'`);
  return v;
}

export class ProgramError extends Error {}

/** Config sizes from --config-file, --config PRESET and --config KEY=N (later ones win), and
 * the names that came from a file or preset (which a program may not declare). */
export function parseConfig(values: { config?: string[]; 'config-file'?: string }): Record<string, number> {
  return readConfig(values).sizes;
}

function readConfig(values: { config?: string[]; 'config-file'?: string }): { sizes: Record<string, number>; optional: Set<string> } {
  const out: Record<string, number> = {};
  const optional = new Set<string>();
  if (values['config-file']) {
    let obj: unknown;
    try {
      obj = JSON.parse(readFileSync(values['config-file'], 'utf8'));
    } catch (e) {
      throw new UsageError(`--config-file ${values['config-file']}: ${(e as Error).message}`);
    }
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      if (typeof v === 'number' && Number.isInteger(v)) {
        out[k] = v;
        optional.add(k);
      }
    }
  }
  for (const kv of values.config ?? []) {
    const preset = PRESETS[kv];
    if (preset) {
      for (const [k, v] of Object.entries(preset)) {
        out[k] = v;
        optional.add(k);
      }
      continue;
    }
    const m = /^([A-Za-z_]\w*)=(\d+)$/.exec(kv);
    if (!m) throw new UsageError(`--config expects KEY=N with a positive integer N, or a preset (${Object.keys(PRESETS).join(', ')}), got '${kv}'`);
    out[m[1]] = Number(m[2]);
    optional.delete(m[1]);
  }
  return { sizes: out, optional };
}

export function positiveInt(v: string, flag: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${flag} expects a positive integer, got '${v}'`);
  return Number(v);
}

/** Compile one model of a CPL file. Diagnostics go to stderr; failures throw ProgramError.
 * `base`: config sizes from a model folder's config.json (keys the program does not declare are
 * ignored; --config-file, --config and --tokens override them). */
export function compileProgram(path: string, values: { model?: string; config?: string[]; 'config-file'?: string; tokens?: string; exact?: boolean }, io: Io, base: Record<string, number> = {}): IrProgram {
  return compileChecked(path, values, io, base).program;
}

/** compileProgram, with the checked program (for hints that look at the source's overloads). */
export function compileChecked(path: string, values: { model?: string; config?: string[]; 'config-file'?: string; tokens?: string; exact?: boolean }, io: Io, base: Record<string, number> = {}): { checked: CheckResult; program: IrProgram } {
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
  const { sizes, optional } = readConfig(values);
  const declared = new Set([...r.typing.configSizes.keys()].map((s) => s.name));
  for (const k of Object.keys(sizes)) if (optional.has(k) && !declared.has(k)) delete sizes[k];
  const config = { ...Object.fromEntries(Object.entries(base).filter(([k]) => declared.has(k))), ...sizes };
  if (values.tokens !== undefined) {
    if (!declared.has('seq_len')) throw new UsageError(`--tokens: ${path} declares no config size seq_len`);
    config.seq_len = positiveInt(values.tokens, '--tokens');
  }
  try {
    const program = lowerModel(r, model, { config });
    return { checked: r, program: values.exact ? { ...program, exact: true } : program };
  } catch (e) {
    if (e instanceof LowerError) throw new ProgramError(`${e.file}: ${e.message}`);
    throw e;
  }
}
