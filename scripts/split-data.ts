// Writes the fixed train / validation / test split (80 / 10 / 10, seed 2025) of the UCI
// "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015; 1,000 sentences each from IMDB,
// Yelp and Amazon, shipped in the npm package `sentiment` as test fixtures) to models/data/.
// Exact duplicate sentences are kept once, so no test sentence also appears in training.
// Usage: npm run models:split
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { formatLabelled, type Example } from '../src/train/data.ts';
import { Rng } from '../src/train/rng.ts';
import { ROOT } from './build-tokenizers.ts';

const require = createRequire(import.meta.url);

export function uciSentences(): Example[] {
  const seen = new Set<string>();
  const out: Example[] = [];
  for (const src of ['imdb', 'yelp', 'amazon']) {
    for (const r of require(`sentiment/test/fixtures/${src}.json`) as { text: string; class: number }[]) {
      const text = r.text.replace(/\s+/g, ' ').trim();
      if (!text || (r.class !== 0 && r.class !== 1) || seen.has(text)) continue; // each file ends with an empty, unlabelled row
      seen.add(text);
      out.push({ label: r.class, text });
    }
  }
  return out;
}

export function split(rows: readonly Example[], seed = 2025): Record<'train' | 'validation' | 'test', Example[]> {
  const s = new Rng(seed).shuffle(rows);
  const a = Math.round(s.length * 0.8), b = Math.round(s.length * 0.9);
  return { train: s.slice(0, a), validation: s.slice(a, b), test: s.slice(b) };
}

const dir = join(ROOT, 'models/data');
mkdirSync(dir, { recursive: true });
for (const [name, rows] of Object.entries(split(uciSentences()))) {
  writeFileSync(join(dir, `${name}.tsv`), formatLabelled(rows));
  process.stdout.write(`models/data/${name}.tsv: ${rows.length} sentences, ${rows.filter((r) => r.label === 1).length} positive\n`);
}
