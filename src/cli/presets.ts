// Published model shapes for `--config NAME`: the sizes of each model's Hugging Face
// config.json, under the names the bundled programs declare (keys a program does not declare are
// ignored, as with --config-file). Token count: --tokens (seq_len).
export const PRESETS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // BERT-base (Devlin et al., NAACL 2019): 12 layers, width 768, 12 heads, FFN 3072.
  'bert-base': { vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 512, num_labels: 2, seq_len: 128 },
  // BERT-large: 24 layers, width 1024, 16 heads, FFN 4096.
  'bert-large': { vocab_size: 30522, hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096, max_position_embeddings: 512, num_labels: 2, seq_len: 128 },
  // GPT-2 small (Radford et al. 2019): 12 layers, width 768, 12 heads, FFN 3072, 1024 positions.
  gpt2: { vocab_size: 50257, n_embd: 768, n_layer: 12, n_head: 12, n_inner: 3072, n_positions: 1024, seq_len: 128 },
};

/**
 * Published per-layer token counts of CipherPrune (ICLR 2025, BERT models on 128 tokens): the
 * tokens each layer processes (the first is the input length).
 */
export const PUBLISHED_KEPT: Readonly<Record<string, readonly number[]>> = {
  'bert-base': [128, 55, 54, 52, 49, 45, 24, 14, 5, 2, 1, 1],
  'bert-large': [128, 55, 55, 55, 55, 55, 54, 43, 39, 35, 28, 21, 16, 10, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1],
};
