// Text as a program's client inputs. The bundled programs name them by their sources:
// "input_ids" (token ids, the client's) and, for BERT, "padding" (1 where a position is padding).
// A program with a "padding" input gets [CLS] text [SEP] right-padded; one without gets a GPT-2
// prompt left-padded with <|endoftext|> (src/text/tokenizer.ts). A compacted model's ids go
// through its token_rows.json to rows of its word table (src/text/token-rows.ts).
import type { IrInput, IrProgram } from '../ir/ir.ts';
import { DimEnv, type InputValues } from '../ir/dim-env.ts';
import { encodeBert, encodeGpt2, type TextTokenizer } from '../text/tokenizer.ts';
import { toRows } from '../text/token-rows.ts';

export class TextInputError extends Error {
  override name = 'TextInputError';
}

export interface TextInputs {
  inputs: InputValues;
  /** Token ids (seq_len of them, padding included), as the tokenizer numbers them. */
  ids: number[];
  /** What the program gets for them: `ids`, or the table rows of a compacted model's. */
  rows: number[];
  /** BERT's padding flags (1 = padding); all 0 for GPT-2, which has none. */
  padding: number[];
  /** Real (not padding) tokens, and whether the text had to be cut to fit. */
  length: number;
  truncated: boolean;
  style: 'bert' | 'gpt2';
}

const bySource = (p: IrProgram, source: string): IrInput | undefined => p.inputs.find((i) => i.owner === 'client' && i.source === source);

/** The program's input ids for token ids: table rows of a compacted model (token_rows.json),
 * which must index the program's embedding table (a one-hot of width vocab_size). */
export function modelIds(p: IrProgram, tok: TextTokenizer, ids: readonly number[]): number[] {
  const v = p.config.vocab_size;
  if (tok.rows) {
    if (v !== undefined && tok.rows.rows !== v) throw new TextInputError(`${tok.rows.source} maps tokens to ${tok.rows.rows} rows, but the program's table has vocab_size = ${v} rows: the map does not belong to this model`);
    return toRows(tok.rows, ids);
  }
  const bad = v === undefined ? undefined : ids.find((i) => i >= v);
  if (bad !== undefined) throw new TextInputError(`token id ${bad} (${JSON.stringify(tok.tokens([bad])[0])}) is outside the program's vocabulary (vocab_size = ${v}): the tokenizer (${tok.source}, ${tok.vocabSize} tokens) does not belong to this model (a compacted model needs its token_rows.json beside the tokenizer)`);
  return [...ids];
}

export function textInputs(p: IrProgram, tok: TextTokenizer, text: string): TextInputs {
  const idsIn = bySource(p, 'input_ids');
  if (!idsIn) throw new TextInputError(`${p.model} has no client input with the source "input_ids", so it cannot take text`);
  const [seqLen] = new DimEnv().shape(idsIn.type.shape);
  const padIn = bySource(p, 'padding');
  if (padIn) {
    const e = encodeBert(tok, text, seqLen);
    const rows = modelIds(p, tok, e.ids);
    return { inputs: { [idsIn.name]: rows, [padIn.name]: e.padding }, ids: e.ids, rows, padding: e.padding, length: e.length, truncated: e.truncated, style: 'bert' };
  }
  // A compacted table is for an input embedding only: GPT-2's is tied to its output head.
  if (tok.rows) throw new TextInputError(`${tok.rows.source}: a compacted word table is for classifiers; ${p.model} takes a GPT-2 prompt, whose table is tied to its output head`);
  const e = encodeGpt2(tok, text, seqLen);
  const rows = modelIds(p, tok, e.ids);
  return { inputs: { [idsIn.name]: rows }, ids: e.ids, rows, padding: e.ids.map(() => 0), length: e.length, truncated: e.truncated, style: 'gpt2' };
}

/** The same inputs for given ids (a GPT-2 window during generation). */
export function idInputs(p: IrProgram, ids: readonly number[]): InputValues {
  const idsIn = bySource(p, 'input_ids');
  if (!idsIn) throw new TextInputError(`${p.model} has no client input with the source "input_ids"`);
  return { [idsIn.name]: [...ids] };
}
