// Hugging Face `tokenizer.json` documents for the two classic tokenizer layouts, so that
// `vocab.txt` (BERT WordPiece) and `vocab.json` + `merges.txt` (GPT-2 byte-level BPE) load
// through the same library as a `tokenizer.json`. The pipelines are the standard ones of
// bert-base-uncased (BertNormalizer, BertPreTokenizer, WordPiece "##", [CLS] A [SEP]) and of
// gpt2 (ByteLevel pre-tokenizer and decoder, BPE, no special tokens added).

const special = (id: number, content: string, normalized = false) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized, special: true });

/** tokenizer.json for a BERT WordPiece vocabulary (one token per line, id = line number). */
export function wordPieceTokenizerJson(vocabLines: readonly string[], options: { lowercase?: boolean } = {}): Record<string, unknown> {
  const lowercase = options.lowercase ?? true;
  const vocab: Record<string, number> = {};
  vocabLines.forEach((t, i) => {
    if (!(t in vocab)) vocab[t] = i;
  });
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].filter((t) => t in vocab);
  for (const t of ['[UNK]', '[CLS]', '[SEP]']) if (!(t in vocab)) throw new Error(`vocab.txt has no ${t} token`);
  const tok = (t: string) => ({ id: t, ids: [vocab[t]], tokens: [t] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => special(vocab[t], t)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': tok('[CLS]'), '[SEP]': tok('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

export const wordPieceTokenizerConfig = (lowercase = true) => ({
  tokenizer_class: 'BertTokenizer',
  do_lower_case: lowercase,
  model_max_length: 512,
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
  clean_up_tokenization_spaces: true,
});

/** Merge rules from a merges.txt (an optional `#version` header line, then "a b" per line). */
export function parseMerges(text: string): string[] {
  return text.split('\n').filter((l, i) => l.length > 0 && !(i === 0 && l.startsWith('#version')));
}

/** tokenizer.json for a GPT-2 byte-level BPE (vocab.json token -> id, merges in rank order). */
export function byteLevelBpeTokenizerJson(vocab: Record<string, number>, merges: readonly string[]): Record<string, unknown> {
  const eot = '<|endoftext|>';
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: eot in vocab ? [special(vocab[eot], eot, true)] : [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: [...merges] },
  };
}

export const byteLevelBpeTokenizerConfig = () => ({
  tokenizer_class: 'GPT2Tokenizer',
  model_max_length: 1024,
  bos_token: '<|endoftext|>',
  eos_token: '<|endoftext|>',
  unk_token: '<|endoftext|>',
  add_prefix_space: false,
  clean_up_tokenization_spaces: false,
});
