// Training on the rows of the vocabulary that the training data uses. A one-hot or softmax over
// all 30,522 (BERT) or 50,257 (GPT-2) tokens would dominate every step, and rows of tokens the
// data never shows would not move anyway. So training uses a compact table: one row per token
// seen at least `minCount` times in the training split, plus one shared row for every other
// token. Exported checkpoints have the real vocabulary, every unseen token's row being the
// shared row: the model treats tokens it was not trained on alike (like an unknown word), and
// for GPT-2 they share one logit, which training pushes down (they are never the target).

export interface CompactVocab {
  /** Real ids of the tokens with their own row, ascending; row i is `ids[i]`. */
  ids: number[];
  /** Real id -> compact row. */
  index: Map<number, number>;
  /** The shared row of every other token (= ids.length). */
  unseen: number;
  /** Rows of the compact table (ids.length + 1). */
  rows: number;
}

export function compactVocab(sequences: readonly (readonly number[])[], minCount = 1, always: readonly number[] = []): CompactVocab {
  const count = new Map<number, number>();
  for (const s of sequences) for (const id of s) count.set(id, (count.get(id) ?? 0) + 1);
  const ids = [...new Set([...[...count].filter(([, c]) => c >= minCount).map(([id]) => id), ...always])].sort((a, b) => a - b);
  return { ids, index: new Map(ids.map((id, i) => [id, i])), unseen: ids.length, rows: ids.length + 1 };
}

export const toCompact = (v: CompactVocab, id: number): number => v.index.get(id) ?? v.unseen;

/** The full [vocabSize, d] table from a compact [rows, d] one. */
export function expandTable(v: CompactVocab, compact: Float64Array, vocabSize: number): Float64Array {
  const d = compact.length / v.rows;
  const out = new Float64Array(vocabSize * d);
  for (let id = 0; id < vocabSize; id++) {
    const r = toCompact(v, id);
    out.set(compact.subarray(r * d, (r + 1) * d), id * d);
  }
  return out;
}
