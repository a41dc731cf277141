// Token rows: the public map from tokenizer ids to rows of a compacted word-embedding table
// (`token_rows.json` in a model folder; docs/models.md, "Compacted vocabularies"). A model
// trained on a few thousand of a tokenizer's 30,522 tokens has one row per trained token and one
// row shared by all others; storing only the distinct rows makes the client's one-hot (and so
// the embedding product, the largest single cost of a small BERT) that much narrower. The client
// maps its ids to rows before the one-hot. The map is public: both parties have it, and it tells
// the client which tokens the model has a row of its own for (the tokens it was trained on).
//
// File format: { "vocab_size": V (tokenizer ids 0 … V−1), "rows": R (rows of the table),
// "default_row": r (the row of every id not listed; optional), "ids": [[ids of row 0], …] }.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TOKEN_ROWS_FILE = 'token_rows.json';

export class TokenRowsError extends Error {
  override name = 'TokenRowsError';
}

export interface TokenRows {
  source: string;
  /** Tokenizer ids the map covers (0 … vocabSize − 1). */
  vocabSize: number;
  /** Rows of the compacted table. */
  rows: number;
  /** Row of each tokenizer id. */
  rowOf: Int32Array;
}

/** Read and check a token_rows.json document. */
export function parseTokenRows(v: unknown, source: string): TokenRows {
  const bad = (why: string): never => {
    throw new TokenRowsError(`${source}: ${why}`);
  };
  if (!v || typeof v !== 'object' || Array.isArray(v)) bad('expected a JSON object');
  const o = v as Record<string, unknown>;
  const int = (x: unknown, what: string, below = Infinity): number => (Number.isInteger(x) && (x as number) >= 0 && (x as number) < below ? (x as number) : bad(`${what} must be an integer in [0, ${below})`));
  const vocabSize = int(o.vocab_size, '"vocab_size"');
  const rows = int(o.rows, '"rows"', vocabSize + 1);
  if (!Array.isArray(o.ids) || o.ids.length !== rows) bad(`"ids" must be a list of ${rows} lists (the token ids of each row)`);
  const fallback = o.default_row === undefined || o.default_row === null ? -1 : int(o.default_row, '"default_row"', rows);
  const rowOf = new Int32Array(vocabSize).fill(fallback);
  const seen = new Uint8Array(vocabSize);
  (o.ids as unknown[]).forEach((list, r) => {
    if (!Array.isArray(list)) bad(`"ids"[${r}] must be a list of token ids`);
    for (const id of list as unknown[]) {
      const i = int(id, `token id ${JSON.stringify(id)} in "ids"[${r}]`, vocabSize);
      if (seen[i]) bad(`token id ${i} is listed twice`);
      seen[i] = 1;
      rowOf[i] = r;
    }
  });
  const missing = rowOf.indexOf(-1);
  if (missing >= 0) bad(`token id ${missing} has no row (list it, or give "default_row")`);
  return { source, vocabSize, rows, rowOf };
}

/** The folder's token_rows.json, if it has one. */
export function readTokenRows(dir: string): TokenRows | undefined {
  const file = join(dir, TOKEN_ROWS_FILE);
  if (!existsSync(file)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TokenRowsError(`${file}: ${(e as Error).message}`);
  }
  return parseTokenRows(v, file);
}

/** The JSON document of a map (the largest group of ids is written as the default row). */
export function tokenRowsJson(rowOf: ArrayLike<number>, rows: number): Record<string, unknown> {
  const ids: number[][] = Array.from({ length: rows }, () => []);
  for (let i = 0; i < rowOf.length; i++) ids[rowOf[i]].push(i);
  let big = 0;
  ids.forEach((l, r) => l.length > ids[big].length && (big = r));
  const many = ids[big].length > 1;
  return { vocab_size: rowOf.length, rows, ...(many ? { default_row: big } : {}), ids: ids.map((l, r) => (many && r === big ? [] : l)) };
}

/** Model input ids (table rows) for tokenizer ids: through the map, or unchanged without one. */
export function toRows(map: TokenRows | undefined, ids: readonly number[]): number[] {
  if (!map) return [...ids];
  return ids.map((id) => {
    if (!(id >= 0 && id < map.vocabSize)) throw new TokenRowsError(`token id ${id} is outside the map ${map.source} (ids 0 … ${map.vocabSize - 1})`);
    return map.rowOf[id];
  });
}
