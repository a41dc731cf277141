// Model folders and text on the command line (run, serve, connect): --checkpoint DIR (the
// server's: config.json, model.safetensors, thresholds.json), --tokenizer DIR (the client's:
// tokenizer files and config.json, never the weights), --text; and what a classifier's or a
// language model's output means (label and probability, next tokens).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IrProgram } from '../ir/ir.ts';
import type { InputValues } from '../ir/dim-env.ts';
import { realValues } from '../ir/twins.ts';
import type { Tensor } from '../ir/tensor.ts';
import { checkpointInputs, CheckpointError, configSizes, labelNames, openCheckpoint, type Checkpoint } from '../model/checkpoint.ts';
import { textInputs, TextInputError, type TextInputs } from '../model/text-inputs.ts';
import { loadTokenizer, TokenizerError, type TextTokenizer } from '../text/tokenizer.ts';
import { UsageError, type Io } from './args.ts';
import { ProgramError } from './program.ts';

export const modelOptions = {
  checkpoint: { type: 'string' },
  tokenizer: { type: 'string' },
  text: { type: 'string' },
} as const;

export const modelHelp = {
  checkpoint: `  --checkpoint DIR     the server's model folder (Hugging Face layout): config.json sets the
                       config sizes, model.safetensors the weights (tensors named by the
                       program's input sources), thresholds.json CipherPrune's thresholds
                       (and "exact": true: exact mode, see --exact)`,
  tokenizer: `  --tokenizer DIR      the client's tokenizer (tokenizer.json, vocab.txt, or vocab.json +
                       merges.txt), config.json sizes and a compacted table's token_rows.json;
                       never the weights`,
  text: `  --text TEXT          the client's text: token ids (and BERT's padding flags) for the inputs
                       whose sources are "input_ids" and "padding"`,
};

export interface ModelArgs {
  checkpoint?: Checkpoint;
  tokenizer?: TextTokenizer;
  /** config.json of the checkpoint (or of the tokenizer folder). */
  config?: Record<string, unknown>;
  text?: string;
}

function readConfig(dir: string): Record<string, unknown> | undefined {
  const f = join(dir, 'config.json');
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ProgramError(`${f}: ${(e as Error).message}`);
  }
}

/** Turn model-folder errors into the CLI's program errors (exit 1, one line). */
export function modelErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CheckpointError || e instanceof TokenizerError || e instanceof TextInputError) throw new ProgramError(e.message);
    throw e;
  }
}

/** The model folders a party may use: the server never takes text, the client never weights. */
export function readModelArgs(values: { checkpoint?: string; tokenizer?: string; text?: string }, party: 'both' | 'client' | 'server'): ModelArgs {
  if (party === 'client' && values.checkpoint) throw new UsageError('connect: the weights belong to the server; give the client --tokenizer DIR (its tokenizer and config.json) instead of --checkpoint');
  if (party === 'server' && (values.text !== undefined || values.tokenizer)) throw new UsageError('serve: the text belongs to the client; --text and --tokenizer go to connect');
  if (values.text !== undefined && !values.checkpoint && !values.tokenizer) throw new UsageError('--text needs a tokenizer: give --checkpoint DIR or --tokenizer DIR');
  return modelErrors(() => {
    const checkpoint = values.checkpoint ? openCheckpoint(values.checkpoint) : undefined;
    const tokDir = values.tokenizer ?? (values.text !== undefined ? values.checkpoint : undefined);
    return {
      checkpoint,
      tokenizer: tokDir ? loadTokenizer(tokDir) : undefined,
      config: checkpoint?.config ?? (values.tokenizer ? readConfig(values.tokenizer) : undefined),
      text: values.text,
    };
  });
}

/** Config sizes from the model folder's config.json (under --config, which overrides them). */
export const modelConfig = (m: ModelArgs): Record<string, number> => (m.config ? configSizes(m.config) : {});

/** Inputs from the model folders: the server's weights, the client's text. */
export function modelInputs(p: IrProgram, m: ModelArgs, io: Io): { inputs: InputValues; text?: TextInputs } {
  return modelErrors(() => {
    const inputs: InputValues = m.checkpoint ? checkpointInputs(p, m.checkpoint) : {};
    if (m.text === undefined || !m.tokenizer) return { inputs };
    const text = textInputs(p, m.tokenizer, m.text);
    if (text.truncated) io.err(`note: the text has more tokens than seq_len = ${text.ids.length}; it was cut to fit\n`);
    return { inputs: { ...inputs, ...text.inputs }, text };
  });
}

export function softmax(v: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(v));
  const e = Array.from(v, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Classes ranked by probability, from logits. */
export function ranked(logits: ArrayLike<number>, top: number): { index: number; p: number }[] {
  return softmax(logits)
    .map((p, index) => ({ index, p }))
    .sort((a, b) => b.p - a.p || a.index - b.index)
    .slice(0, top);
}

/** What a client output means, when the model folder says: a label, or the next tokens. */
export function describeOutput(t: Tensor, m: ModelArgs): string | undefined {
  const v = realValues(t, 'fixed');
  const labels = m.config ? labelNames(m.config) : undefined;
  if (labels && v.length === labels.length) {
    const [best] = ranked(v, 1);
    return `label: ${labels[best.index]} (probability ${best.p.toFixed(3)})`;
  }
  if (m.tokenizer && v.length === m.tokenizer.vocabSize) {
    const top = ranked(v, 3);
    const show = (i: number) => JSON.stringify(m.tokenizer!.decode([i]));
    return `next token: ${show(top[0].index)} (probability ${top[0].p.toFixed(3)}); then ${top.slice(1).map((x) => `${show(x.index)} ${x.p.toFixed(3)}`).join(', ')}`;
  }
  return undefined;
}

/** Print the meaning of each output the client received (nothing when the folder says none). */
export function printMeanings(outputs: readonly { to: string; tensor: Tensor }[], m: ModelArgs, io: Io): void {
  for (const o of outputs) {
    const meaning = o.to === 'client' ? describeOutput(o.tensor, m) : undefined;
    if (meaning) io.out(meaning + '\n');
  }
}
