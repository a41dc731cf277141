// Labelled sentences as tab-separated files: a header line `label<TAB>text`, then one sentence
// per line with an integer class label (the bundled split of the UCI Sentiment Labelled
// Sentences uses 0 = negative, 1 = positive).
import { readFileSync } from 'node:fs';

export interface Example {
  label: number;
  text: string;
}

export class DataError extends Error {
  override name = 'DataError';
}

export function parseLabelled(text: string, file = '<data>'): Example[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0]?.replace(/\r$/, '') !== 'label\ttext') throw new DataError(`${file}:1: expected the header 'label<TAB>text'`);
  return lines.slice(1).map((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const tab = line.indexOf('\t');
    const label = Number(line.slice(0, tab));
    const t = line.slice(tab + 1);
    if (tab < 0 || !Number.isInteger(label) || label < 0 || !t.trim()) throw new DataError(`${file}:${i + 2}: expected 'LABEL<TAB>TEXT' with a non-negative integer label and non-empty text`);
    return { label, text: t };
  });
}

export const readLabelled = (file: string): Example[] => parseLabelled(readFileSync(file, 'utf8'), file);

export const formatLabelled = (rows: readonly Example[]): string => ['label\ttext', ...rows.map((r) => `${r.label}\t${r.text.replace(/[\t\n\r]+/g, ' ')}`)].join('\n') + '\n';
