// Accuracy of a classifier checkpoint with the float reference model, as the secure program
// sees its inputs (every sentence padded to seq_len): dense, and CipherPrune with given
// thresholds (tokens kept per layer, agreement with dense).
import { bertCipherPrune, bertDense, type Thresholds } from '../model/bert.ts';
import { gpt2CipherPrune, gpt2Dense } from '../model/gpt2.ts';
import type { LoadedBert, LoadedGpt2 } from '../model/load.ts';
import { modelIds } from '../model/text-inputs.ts';
import { encodeBert, endOfText } from '../text/tokenizer.ts';
import type { Example } from './data.ts';

/** Index of the largest value (the first, on ties). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

export interface PrunedEvaluation {
  accuracy: number;
  /** Fraction of sentences labelled as the dense model labels them. */
  agreement: number;
  /** Mean tokens kept (k) and in the accurate group (kh) per layer; mean real tokens in. */
  meanKept: number[];
  meanHigh: number[];
  meanTokens: number;
  predictions: number[];
}

export interface ClassifierEvaluation {
  sentences: number;
  /** Share of the most frequent label (the accuracy of always guessing it). */
  majority: number;
  dense: { accuracy: number; predictions: number[] };
  cipherprune?: PrunedEvaluation;
}

export function evaluateClassifier(m: LoadedBert, rows: readonly Example[], th: Thresholds | undefined = m.thresholds): ClassifierEvaluation {
  const c = m.config;
  const enc = rows.map((r) => {
    const e = encodeBert(m.tokenizer, r.text, c.seq_len);
    return { ...e, ids: modelIds(m.program, m.tokenizer, e.ids) };
  });
  const dense: number[] = [];
  for (let b = 0; b < enc.length; b += 64) {
    const part = enc.slice(b, b + 64);
    const logits = bertDense(m.weights, c, part.map((e) => e.ids), part.map((e) => e.padding)).data;
    for (let i = 0; i < part.length; i++) dense.push(argmax(logits.subarray(i * c.num_labels, (i + 1) * c.num_labels)));
  }
  const acc = (pred: number[]) => pred.filter((p, i) => p === rows[i].label).length / rows.length;
  const counts = new Map<number, number>();
  for (const r of rows) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  const out: ClassifierEvaluation = { sentences: rows.length, majority: Math.max(...counts.values()) / rows.length, dense: { accuracy: acc(dense), predictions: dense } };
  if (!th) return out;
  const L = c.num_hidden_layers;
  const kept = new Array<number>(L).fill(0), high = new Array<number>(L).fill(0);
  const pred = enc.map((e) => {
    const r = bertCipherPrune(m.weights, c, e.ids, e.padding, th);
    r.steps.forEach((s, l) => ((kept[l] += s.k), (high[l] += s.kh)));
    return argmax(r.logits.data);
  });
  out.cipherprune = {
    accuracy: acc(pred),
    agreement: pred.filter((p, i) => p === dense[i]).length / rows.length,
    meanKept: kept.map((k) => k / rows.length),
    meanHigh: high.map((k) => k / rows.length),
    meanTokens: enc.reduce((s, e) => s + e.length, 0) / rows.length,
    predictions: pred,
  };
  return out;
}

/** Held-out prompts: <|endoftext|> and the first half of each sentence's tokens (at least one),
 * left-padded to seq_len; `next` is the sentence's actual next token. */
export function halfPrompts(tok: LoadedGpt2['tokenizer'], rows: readonly Example[], seqLen: number): { ids: number[]; next: number }[] {
  const eot = endOfText(tok);
  return rows.map((r) => {
    const t = [eot, ...tok.encode(r.text), eot];
    const cut = Math.max(2, Math.ceil(t.length / 2));
    const kept = t.slice(Math.max(0, cut - seqLen), cut);
    return { ids: [...new Array<number>(seqLen - kept.length).fill(eot), ...kept], next: t[cut] };
  });
}

export interface LmEvaluation {
  prompts: number;
  /** Top-1 equals the sentence's next token. */
  dense: { nextTokenAccuracy: number; predictions: number[] };
  cipherprune?: { nextTokenAccuracy: number; agreement: number; meanKept: number[]; predictions: number[] };
}

export function evaluateLm(m: LoadedGpt2, rows: readonly Example[], theta: ArrayLike<number> | undefined = m.theta): LmEvaluation {
  const c = m.config;
  const prompts = halfPrompts(m.tokenizer, rows, c.seq_len);
  const dense: number[] = [];
  for (let b = 0; b < prompts.length; b += 32) {
    const part = prompts.slice(b, b + 32);
    const logits = gpt2Dense(m.weights, c, part.map((p) => p.ids)).data;
    const V = logits.length / part.length;
    for (let i = 0; i < part.length; i++) dense.push(argmax(logits.subarray(i * V, (i + 1) * V)));
  }
  const acc = (pred: number[]) => pred.filter((p, i) => p === prompts[i].next).length / prompts.length;
  const out: LmEvaluation = { prompts: prompts.length, dense: { nextTokenAccuracy: acc(dense), predictions: dense } };
  if (!theta) return out;
  const kept = new Array<number>(c.n_layer).fill(0);
  const pred = prompts.map((p) => {
    const r = gpt2CipherPrune(m.weights, c, p.ids, theta);
    r.steps.forEach((s, l) => (kept[l] += s.k));
    return argmax(r.logits.data);
  });
  out.cipherprune = { nextTokenAccuracy: acc(pred), agreement: pred.filter((p, i) => p === dense[i]).length / prompts.length, meanKept: kept.map((k) => k / prompts.length), predictions: pred };
  return out;
}
