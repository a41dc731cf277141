// Compacts a checkpoint's word-embedding table to its distinct rows and writes the public map
// from tokenizer ids to rows (token_rows.json; src/model/compact.ts, docs/models.md). Exact: the
// model computes the same numbers; the client's one-hot and the embedding product get narrower.
// Usage: npm run models:compact -- DIR [--out DIR] [--tensor NAME]
import { parseArgs } from 'node:util';
import { compactCheckpoint } from '../src/model/compact.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, tensor: { type: 'string' } } });
if (positionals.length !== 1) {
  process.stderr.write('usage: npm run models:compact -- DIR [--out DIR] [--tensor NAME]\n');
  process.exit(2);
}
try {
  const r = compactCheckpoint(positionals[0], values.out ?? positionals[0], values.tensor);
  process.stdout.write(`${r.tensor}: ${r.before} rows -> ${r.rows} distinct rows for ${r.vocabSize} token ids; written ${values.out ?? positionals[0]} (model.safetensors, config.json vocab_size = ${r.rows}, token_rows.json)\n`);
} catch (e) {
  if (!(e instanceof Error && (e.name === 'CheckpointError' || e.name === 'TokenRowsError'))) throw e;
  process.stderr.write(`models:compact: ${e.message}\n`);
  process.exit(1);
}
