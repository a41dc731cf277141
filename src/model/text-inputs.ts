// Text as a program's client inputs. The bundled programs name them by their sources:
// "input_ids" (token ids, the client's) and, for BERT, "padding" (1 where a position is padding).
// A program with a "padding" input gets [CLS] text [SEP] right-padded; one without gets a GPT-2
// prompt left-padded with <|endoftext|> (src/text/tokenizer.ts).
import type { IrInput, IrProgram } from '../ir/ir.ts';
import { DimEnv, type InputValues } from '../ir/dim-env.ts';
import { encodeBert, encodeGpt2, type TextTokenizer } from '../text/tokenizer.ts';

export class TextInputError extends Error {
  override name = 'TextInputError';
}

export interface TextInputs {
  inputs: InputValues;
  /** Token ids given to the program (seq_len of them, padding included). */
  ids: number[];
  /** BERT's padding flags (1 = padding); all 0 for GPT-2, which has none. */
  padding: number[];
  /** Real (not padding) tokens, and whether the text had to be cut to fit. */
  length: number;
  truncated: boolean;
  style: 'bert' | 'gpt2';
}

const bySource = (p: IrProgram, source: string): IrInput | undefined => p.inputs.find((i) => i.owner === 'client' && i.source === source);

/** Token ids must index the program's embedding table (a one-hot of width vocab_size). */
function checkVocab(p: IrProgram, tok: TextTokenizer, ids: readonly number[]): void {
  const v = p.config.vocab_size;
  const bad = v === undefined ? undefined : ids.find((i) => i >= v);
  if (bad !== undefined) throw new TextInputError(`token id ${bad} (${JSON.stringify(tok.tokens([bad])[0])}) is outside the program's vocabulary (vocab_size = ${v}): the tokenizer (${tok.source}, ${tok.vocabSize} tokens) does not belong to this model`);
}

export function textInputs(p: IrProgram, tok: TextTokenizer, text: string): TextInputs {
  const idsIn = bySource(p, 'input_ids');
  if (!idsIn) throw new TextInputError(`${p.model} has no client input with the source "input_ids", so it cannot take text`);
  const [seqLen] = new DimEnv().shape(idsIn.type.shape);
  const padIn = bySource(p, 'padding');
  if (padIn) {
    const e = encodeBert(tok, text, seqLen);
    checkVocab(p, tok, e.ids);
    return { inputs: { [idsIn.name]: e.ids, [padIn.name]: e.padding }, ids: e.ids, padding: e.padding, length: e.length, truncated: e.truncated, style: 'bert' };
  }
  const e = encodeGpt2(tok, text, seqLen);
  checkVocab(p, tok, e.ids);
  return { inputs: { [idsIn.name]: e.ids }, ids: e.ids, padding: e.ids.map(() => 0), length: e.length, truncated: e.truncated, style: 'gpt2' };
}

/** The same inputs for given ids (a GPT-2 window during generation). */
export function idInputs(p: IrProgram, ids: readonly number[]): InputValues {
  const idsIn = bySource(p, 'input_ids');
  if (!idsIn) throw new TextInputError(`${p.model} has no client input with the source "input_ids"`);
  return { [idsIn.name]: [...ids] };
}
