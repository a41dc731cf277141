// Tokenizers from a model folder, in any of the Hugging Face layouts: `tokenizer.json` (with an
// optional `tokenizer_config.json`), BERT's `vocab.txt`, or GPT-2's `vocab.json` + `merges.txt`.
// All go through @huggingface/tokenizers (pure JS, reads tokenizer.json offline). A compacted
// model's folder also has token_rows.json, which maps ids to rows of its word table.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { byteLevelBpeTokenizerConfig, byteLevelBpeTokenizerJson, parseMerges, wordPieceTokenizerConfig, wordPieceTokenizerJson } from './hf-json.ts';
import { readTokenRows, TokenRowsError, type TokenRows } from './token-rows.ts';

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

export interface TextTokenizer {
  /** Where it was loaded from (the file that defined the vocabulary). */
  source: string;
  /** 'wordpiece' (BERT) or 'bpe' (GPT-2 byte-level BPE), from the model section. */
  kind: 'wordpiece' | 'bpe' | 'other';
  vocabSize: number;
  /** Ids of `text`, with the model's special tokens ([CLS] ... [SEP] for BERT; none for GPT-2). */
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** The vocabulary entry of each id (e.g. `##ing`, `Ġthe`). */
  tokens(ids: readonly number[]): string[];
  idOf(token: string): number | undefined;
  /** The folder's token_rows.json: the rows of a compacted word table (token-rows.ts). */
  rows?: TokenRows;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new TokenizerError(`${file}: ${(e as Error).message}`);
  }
}

/** The tokenizer.json document and config of a folder, synthesised from classic files if needed. */
function tokenizerFiles(dir: string): { source: string; json: Record<string, unknown>; config: Record<string, unknown> } {
  const at = (f: string) => join(dir, f);
  const config = existsSync(at('tokenizer_config.json')) ? readJson(at('tokenizer_config.json')) : null;
  if (existsSync(at('tokenizer.json'))) return { source: at('tokenizer.json'), json: readJson(at('tokenizer.json')), config: config ?? {} };
  if (existsSync(at('vocab.txt'))) {
    const lines = readFileSync(at('vocab.txt'), 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    const lowercase = config?.do_lower_case !== false;
    try {
      return { source: at('vocab.txt'), json: wordPieceTokenizerJson(lines.map((l) => l.replace(/\r$/, '')), { lowercase }), config: config ?? wordPieceTokenizerConfig(lowercase) };
    } catch (e) {
      throw new TokenizerError(`${at('vocab.txt')}: ${(e as Error).message}`);
    }
  }
  if (existsSync(at('vocab.json'))) {
    if (!existsSync(at('merges.txt'))) throw new TokenizerError(`${dir} has vocab.json but no merges.txt (a byte-level BPE needs both)`);
    const vocab = readJson(at('vocab.json')) as Record<string, number>;
    const merges = parseMerges(readFileSync(at('merges.txt'), 'utf8'));
    return { source: at('vocab.json'), json: byteLevelBpeTokenizerJson(vocab, merges), config: config ?? byteLevelBpeTokenizerConfig() };
  }
  throw new TokenizerError(`${dir} has no tokenizer: expected tokenizer.json, vocab.txt (BERT WordPiece) or vocab.json + merges.txt (GPT-2 BPE)`);
}

export function loadTokenizer(dir: string): TextTokenizer {
  const { source, json, config } = tokenizerFiles(dir);
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, config);
  } catch (e) {
    throw new TokenizerError(`${source}: cannot build the tokenizer: ${(e as Error).message}`);
  }
  const model = (json.model ?? {}) as { type?: string; vocab?: Record<string, number> | unknown[] };
  const kind = model.type === 'WordPiece' ? 'wordpiece' : model.type === 'BPE' ? 'bpe' : 'other';
  const added = ((json.added_tokens ?? []) as { id: number }[]).map((t) => t.id);
  let rows: TokenRows | undefined;
  try {
    rows = readTokenRows(dir);
  } catch (e) {
    if (e instanceof TokenRowsError) throw new TokenizerError(e.message);
    throw e;
  }
  const vocabSize = Math.max(model.vocab ? (Array.isArray(model.vocab) ? model.vocab.length : Math.max(...Object.values(model.vocab)) + 1) : 0, ...added.map((i) => i + 1));
  if (rows && rows.vocabSize !== vocabSize) throw new TokenizerError(`${rows.source} maps ${rows.vocabSize} token ids, but the tokenizer (${source}) has ${vocabSize}`);
  return {
    source,
    kind,
    vocabSize,
    encode: (text) => tok.encode(text).ids,
    decode: (ids) => tok.decode([...ids], { skip_special_tokens: false }),
    tokens: (ids) => ids.map((i) => tok.id_to_token(i) ?? `<${i}>`),
    idOf: (t) => tok.token_to_id(t),
    ...(rows ? { rows } : {}),
  };
}

/** A sentence as the two text inputs of a BERT program: ids and padding flags of length `seqLen`. */
export interface BertText {
  ids: number[];
  /** 1 where the position is padding (attention mask 0), else 0. */
  padding: number[];
  /** Real tokens (with [CLS] and [SEP]); the rest is padding. */
  length: number;
  truncated: boolean;
}

/** [CLS] text [SEP], right-padded with [PAD] (id 0 when the vocabulary has none); truncated to
 * `seqLen` tokens keeping the final [SEP], as Hugging Face's truncation does. */
export function encodeBert(tok: TextTokenizer, text: string, seqLen: number): BertText {
  let ids = tok.encode(text);
  const truncated = ids.length > seqLen;
  if (truncated) ids = [...ids.slice(0, seqLen - 1), ids[ids.length - 1]];
  const pad = tok.idOf('[PAD]') ?? 0;
  const length = ids.length;
  return { ids: [...ids, ...new Array<number>(seqLen - length).fill(pad)], padding: Array.from({ length: seqLen }, (_, i) => (i < length ? 0 : 1)), length, truncated };
}

/** The end-of-text token GPT-2 uses as its separator and (here) as left padding. */
export function endOfText(tok: TextTokenizer): number {
  const id = tok.idOf('<|endoftext|>');
  if (id === undefined) throw new TokenizerError(`${tok.source} has no <|endoftext|> token, which GPT-2 prompts are padded with`);
  return id;
}

/** A GPT-2 prompt of exactly `seqLen` ids: <|endoftext|> then the text, left-padded with
 * <|endoftext|> (the model predicts the token after the last one); a longer prompt keeps its
 * last `seqLen` tokens. */
export function encodeGpt2(tok: TextTokenizer, text: string, seqLen: number): { ids: number[]; length: number; truncated: boolean } {
  const eot = endOfText(tok);
  const ids = [eot, ...tok.encode(text)];
  const truncated = ids.length > seqLen;
  const kept = truncated ? ids.slice(ids.length - seqLen) : ids;
  return { ids: [...new Array<number>(seqLen - kept.length).fill(eot), ...kept], length: kept.length, truncated };
}
