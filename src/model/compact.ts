// Compacting a checkpoint's word-embedding table: keep each distinct row once and write the
// public map from tokenizer ids to rows (token_rows.json, src/text/token-rows.ts). Exact: a token
// gets bit for bit the row it had, so the model computes the same numbers; only the client's
// one-hot (and so the embedding product) gets narrower. config.json's vocab_size becomes the
// row count (as in Hugging Face, the rows of the word table); the tokenizer keeps its ids.
// GPT-2 is refused: its table is tied to the output head, whose logits are per token.
import { copyFileSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointError, openCheckpoint } from './checkpoint.ts';
import { writeSafeTensors, type TensorToWrite } from './safetensors.ts';
import { readTokenRows, TOKEN_ROWS_FILE, tokenRowsJson } from '../text/token-rows.ts';

export interface Compacted {
  tensor: string;
  /** Rows before (the tokenizer's ids, or the previous map's rows) and after. */
  before: number;
  rows: number;
  vocabSize: number;
}

const WRITABLE = new Set(['F16', 'F32', 'F64']);

/** The word table: `name`, or the one tensor called `…word_embeddings.weight`. */
function tableName(tensors: Iterable<string>, dir: string, name?: string): string {
  const all = [...tensors];
  if (name) {
    if (!all.includes(name)) throw new CheckpointError(`checkpoint ${dir}: no tensor '${name}'`);
    return name;
  }
  const found = all.filter((k) => k.endsWith('word_embeddings.weight'));
  if (found.length !== 1) throw new CheckpointError(`checkpoint ${dir}: ${found.length ? `several word tables (${found.join(', ')})` : 'no tensor named …word_embeddings.weight'}; name the table to compact`);
  return found[0];
}

/** Compact the word table of the checkpoint in `dir`, writing the folder `out` (may be `dir`). */
export function compactCheckpoint(dir: string, out: string, tensor?: string): Compacted {
  const ck = openCheckpoint(dir);
  const type = String(ck.config.model_type ?? '');
  if (type === 'gpt2' || ck.config.tie_word_embeddings === true) throw new CheckpointError(`checkpoint ${dir}: its word table is tied to the output head (${type || 'tie_word_embeddings'}), whose logits are per token; only an input embedding can be compacted`);
  const name = tableName(ck.weights.tensors.keys(), dir, tensor);
  const info = ck.weights.tensors.get(name)!;
  if (info.shape.length !== 2) throw new CheckpointError(`checkpoint ${dir}: '${name}' has shape [${info.shape.join(', ')}], expected [rows, hidden]`);
  const [before, d] = info.shape;
  const old = readTokenRows(dir);
  if (old && old.rows !== before) throw new CheckpointError(`${old.source} maps to ${old.rows} rows, but '${name}' has ${before}`);
  const table = ck.weights.read(name);
  // Distinct rows, in order of first use; a row is its exact float64 values (widened exactly
  // from the stored dtype, so equal values are equal stored bits).
  const key = (r: number) => Buffer.from(table.buffer, table.byteOffset + r * d * 8, d * 8).toString('base64');
  const index = new Map<string, number>();
  const newOf = new Int32Array(before);
  const keep: number[] = [];
  for (let r = 0; r < before; r++) {
    const k = key(r);
    let n = index.get(k);
    if (n === undefined) index.set(k, (n = keep.push(r) - 1));
    newOf[r] = n;
  }
  const rowOf = old ? Int32Array.from(old.rowOf, (r) => newOf[r]) : newOf;
  const compact = new Float64Array(keep.length * d);
  keep.forEach((r, i) => compact.set(table.subarray(r * d, (r + 1) * d), i * d));
  const tensors: Record<string, TensorToWrite> = {};
  for (const [k, t] of ck.weights.tensors) {
    if (!WRITABLE.has(t.dtype)) throw new CheckpointError(`checkpoint ${dir}: tensor '${k}' has dtype ${t.dtype}; compaction rewrites F16, F32 and F64 tensors only`);
    tensors[k] = { dtype: t.dtype as TensorToWrite['dtype'], shape: k === name ? [keep.length, d] : t.shape, data: k === name ? compact : ck.weights.read(k) };
  }
  mkdirSync(out, { recursive: true });
  if (resolve(out) !== resolve(dir)) for (const f of readdirSync(dir)) if (!['model.safetensors', 'config.json', TOKEN_ROWS_FILE].includes(f) && statSync(join(dir, f)).isFile()) copyFileSync(join(dir, f), join(out, f));
  writeSafeTensors(join(out, 'model.safetensors'), tensors, Object.keys(ck.weights.metadata).length ? ck.weights.metadata : undefined);
  writeFileSync(join(out, 'config.json'), JSON.stringify({ ...ck.config, vocab_size: keep.length }, null, 2) + '\n');
  writeFileSync(join(out, TOKEN_ROWS_FILE), JSON.stringify(tokenRowsJson(rowOf, keep.length)) + '\n');
  return { tensor: name, before, rows: keep.length, vocabSize: rowOf.length };
}
