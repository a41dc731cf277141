// Compacted word tables (src/model/compact.ts, src/text/token-rows.ts): the map's format and
// errors, and that compacting a checkpoint whose table has duplicate rows changes nothing the
// model computes (float reference and fixed-point interpreter, same logits bit for bit), while
// the program's table (vocab_size) shrinks to the distinct rows.
import { copyFileSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/twins.ts';
import { bertDense } from '../../src/model/bert.ts';
import { CheckpointError } from '../../src/model/checkpoint.ts';
import { compactCheckpoint } from '../../src/model/compact.ts';
import { loadBert } from '../../src/model/load.ts';
import { textInputs } from '../../src/model/text-inputs.ts';
import { loadTokenizer, TokenizerError } from '../../src/text/tokenizer.ts';
import { parseTokenRows, tokenRowsJson, toRows, TokenRowsError } from '../../src/text/token-rows.ts';
import { compile } from '../exec/helpers.ts';
import { randomWeights, writeCheckpoint } from './helpers.ts';

const TINY = { vocab_size: 30522, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 8, num_labels: 2, seq_len: 8 };
const TEXTS = ['Great food, friendly staff.', 'The battery died after two days.', 'Not worth it.'];

/** A tiny classifier whose word table has its own row for a few tokens and one shared row for
 * all others (as training writes it), with the bundled tokenizer. */
function duplicatedRows(): { dir: string; own: number[] } {
  const p = compile('protocols/bert.cpl', 'bert_dense', TINY);
  const w = randomWeights(p, 3, 0.5);
  const tok = loadTokenizer('models/bert-sentiment');
  const own = [...new Set([0, 101, 102, ...TEXTS.slice(0, 2).flatMap((t) => tok.encode(t))])].sort((a, b) => a - b);
  const d = TINY.hidden_size, table = w.wte as Float64Array, shared = table.slice(d, 2 * d);
  for (let id = 0; id < TINY.vocab_size; id++) if (!own.includes(id)) table.set(shared, id * d);
  const dir = writeCheckpoint(p, w, { dtype: 'F32', config: { model_type: 'bert', id2label: { 0: 'negative', 1: 'positive' } } });
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join('models/bert-sentiment', f), join(dir, f));
  return { dir, own };
}

function outputs(dir: string) {
  const m = loadBert(dir, 'bert_dense');
  return TEXTS.map((text) => {
    const t = textInputs(m.program, m.tokenizer, text);
    return {
      ids: t.ids,
      rows: t.rows,
      float: Array.from(bertDense(m.weights, m.config, [t.rows], [t.padding]).data),
      fixed: Array.from(realValues(interpret(m.program, { ...m.serverInputs, ...t.inputs }, 'fixed').outputs[0].tensor, 'fixed')),
    };
  });
}

describe('compacted word tables', () => {
  it('compaction keeps the distinct rows and the logits bit for bit (float and fixed point)', () => {
    const { dir, own } = duplicatedRows();
    const before = outputs(dir);
    const out = mkdtempSync(join(tmpdir(), 'cipherprune-compact-'));
    const r = compactCheckpoint(dir, out);
    expect(r).toEqual({ tensor: 'bert.embeddings.word_embeddings.weight', before: 30522, rows: own.length + 1, vocabSize: 30522 });
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).vocab_size).toBe(own.length + 1);
    const m = loadBert(out, 'bert_dense');
    expect(m.config.vocab_size).toBe(own.length + 1);
    expect(m.tokenizer.rows?.rows).toBe(own.length + 1);
    const after = outputs(out);
    expect(after.map((a) => [a.float, a.fixed, a.ids])).toEqual(before.map((b) => [b.float, b.fixed, b.ids]));
    // The client's inputs are rows now: below the row count, and an unseen token gets the shared row.
    expect(after.every((a) => a.rows.every((x) => x < own.length + 1))).toBe(true);
    expect(after[2].rows.some((x, i) => !own.includes(after[2].ids[i]) && x === m.tokenizer.rows!.rowOf[1])).toBe(true);
    // Compacting again changes nothing.
    expect(compactCheckpoint(out, out).rows).toBe(own.length + 1);
    expect(outputs(out).map((a) => a.float)).toEqual(before.map((b) => b.float));
  });

  it('without its token_rows.json a compacted model refuses text (no silent wrong rows)', () => {
    const { dir } = duplicatedRows();
    const out = mkdtempSync(join(tmpdir(), 'cipherprune-compact-'));
    compactCheckpoint(dir, out);
    const noMap = mkdtempSync(join(tmpdir(), 'cipherprune-compact-'));
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(out, f), join(noMap, f));
    const m = loadBert(noMap, 'bert_dense');
    expect(() => textInputs(m.program, m.tokenizer, 'The battery died after two days.')).toThrow(/outside the program's vocabulary .* needs its token_rows.json/);
  });

  it('refuses GPT-2 (tied output head) and a folder without a word table', () => {
    const p = compile('protocols/gpt2.cpl', 'gpt2_dense', { vocab_size: 50, n_embd: 8, n_layer: 1, n_head: 2, n_inner: 16, n_positions: 6, seq_len: 6 });
    const dir = writeCheckpoint(p, randomWeights(p, 1), { dtype: 'F32', config: { model_type: 'gpt2' } });
    expect(() => compactCheckpoint(dir, dir)).toThrow(/tied to the output head/);
    writeFileSync(join(dir, 'config.json'), '{}');
    expect(() => compactCheckpoint(dir, dir)).toThrow(CheckpointError);
  });
});

describe('token_rows.json', () => {
  it('round-trips a map and maps ids', () => {
    const rowOf = Int32Array.from([0, 2, 2, 1, 2, 2]);
    const json = tokenRowsJson(rowOf, 3);
    expect(json).toEqual({ vocab_size: 6, rows: 3, default_row: 2, ids: [[0], [3], []] });
    const m = parseTokenRows(json, 'x');
    expect(Array.from(m.rowOf)).toEqual(Array.from(rowOf));
    expect(toRows(m, [3, 0, 5])).toEqual([1, 0, 2]);
    expect(() => toRows(m, [6])).toThrow(/outside the map/);
    expect(toRows(undefined, [7])).toEqual([7]);
  });

  it.each([
    [{ rows: 2, ids: [[0], [1]] }, /"vocab_size" must be an integer/],
    [{ vocab_size: 3, rows: 2, ids: [[0]] }, /"ids" must be a list of 2 lists/],
    [{ vocab_size: 3, rows: 2, ids: [[0], [1]] }, /token id 2 has no row/],
    [{ vocab_size: 3, rows: 2, ids: [[0, 1], [1, 2]] }, /token id 1 is listed twice/],
    [{ vocab_size: 3, rows: 2, ids: [[0], [7]] }, /token id 7 in "ids"\[1\] must be an integer in \[0, 3\)/],
    [{ vocab_size: 3, rows: 2, default_row: 2, ids: [[0], []] }, /"default_row" must be an integer in \[0, 2\)/],
  ])('rejects %j', (doc, msg) => {
    expect(() => parseTokenRows(doc, 'f.json')).toThrow(TokenRowsError);
    expect(() => parseTokenRows(doc, 'f.json')).toThrow(msg);
  });

  it('a bad or mismatched file in a tokenizer folder is a tokenizer error naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cipherprune-rows-'));
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join('models/bert-sentiment', f), join(dir, f));
    writeFileSync(join(dir, 'token_rows.json'), '{"vocab_size": 3, "rows": 1, "default_row": 0, "ids": [[]]}');
    expect(() => loadTokenizer(dir)).toThrow(TokenizerError);
    expect(() => loadTokenizer(dir)).toThrow(/maps 3 token ids, but the tokenizer .* has 30522/);
    writeFileSync(join(dir, 'token_rows.json'), '{');
    expect(() => loadTokenizer(dir)).toThrow(/token_rows.json: /);
  });
});
