// BERT-base and GPT-2-small shapes with BERT-like random weights for bench/e2e: N(0, 0.02) for
// weight matrices and embeddings, zero biases, LayerNorm γ = 1, β = 0 (Devlin et al. 2019's
// initialisation), random token ids, no padding. Weights are generated per input and layer from a
// seed, so the first N layers are the same whatever the number of layers compiled.
import { check } from '../../src/front/index.ts';
import { DimEnv, type InputValues } from '../../src/ir/dim-env.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import { size } from '../../src/ir/tensor.ts';
import { Prg } from '../../src/crypto/prg.ts';

export const LAYERS = 12;
/** Tokens each layer of BERT-base processes with CipherPrune (PROTOCOLS.md, from the paper). */
export const SCHEDULE = [128, 55, 54, 52, 49, 45, 24, 14, 5, 2, 1, 1];

export const bertConfig = (layers: number, vocab: number, seq: number) => ({
  vocab_size: vocab, hidden_size: 768, num_hidden_layers: layers, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 512, num_labels: 2, seq_len: seq,
});
export const gpt2Config = (layers: number, vocab: number, seq: number) => ({
  vocab_size: vocab, n_embd: 768, n_layer: layers, n_head: 12, n_inner: 3072, n_positions: 1024, seq_len: seq,
});

export function compile(file: string, model: string, config: Record<string, number>): IrProgram {
  const r = check([{ path: file }]);
  if (!r.ok) throw new Error(`${file} does not check`);
  return lowerModel(r, r.models.find((m) => m.name === model)!, { config });
}

/** Kept counts per layer (k@l): layer l keeps the tokens layer l + 1 processes; the last keeps 1.
 * For other sequence lengths (quick trials) the schedule is scaled. */
export const keptCounts = (schedule: number[], seq = schedule[0]): number[] => schedule.slice(1).concat([1]).map((c) => Math.max(1, Math.round((c * seq) / schedule[0])));
/** Accurate-polynomial counts: half the kept tokens (rounded up), as the paper models it. */
export const hiCounts = (kept: number[]): number[] => kept.map((k) => Math.max(1, Math.ceil(k / 2)));

function gaussian(prg: Prg, n: number, std: number): Float32Array {
  const u = new Uint32Array(prg.bytes(4 * (n + (n & 1))).buffer), out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const a = (u[i] + 1) / 4294967297, b = u[i + 1] / 4294967296, r = Math.sqrt(-2 * Math.log(a)) * std;
    out[i] = r * Math.cos(2 * Math.PI * b);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * b);
  }
  return out;
}

const seedOf = (name: string, seed: number, layer: number): number => {
  let h = seed * 1000 + layer;
  for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return h;
};

/** Inputs for a compiled BERT or GPT-2 program (thresholds excluded), or only one party's. */
export function bertLikeInputs(p: IrProgram, seed: number, vocab: number, owner?: 'client' | 'server'): InputValues {
  const out: InputValues = {};
  for (const inp of p.inputs) {
    if (owner && inp.owner !== owner) continue;
    const shape = new DimEnv().shape(inp.type.shape);
    const n = size(shape);
    const name = inp.name;
    if (name === 'ids') out[name] = Array.from(new Uint32Array(Prg.fromInt(seed).bytes(4 * n).buffer), (v) => v % vocab);
    else if (name === 'pad') out[name] = new Float32Array(n);
    else if (name.startsWith('theta')) continue;
    else if (/_g$/.test(name)) out[name] = new Float32Array(n).fill(1);
    else if (/(^b|_b$)/.test(name)) out[name] = new Float32Array(n);
    else {
      // Stacked per layer ([L, ...]): each layer from its own seed, so slices agree across L.
      const stacked = /^(wq|wk|wv|wo|wi|wf)$/.test(name);
      const layers = stacked ? shape[0] : 1, per = n / layers, data = new Float32Array(n);
      for (let l = 0; l < layers; l++) data.set(gaussian(Prg.fromInt(seedOf(name, seed, l)), per, 0.02), l * per);
      out[name] = data;
    }
  }
  return out;
}
