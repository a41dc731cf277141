// One secure two-party run beside the plaintext float reference model on the same checkpoint
// and input: the labels (or top-1 next tokens), the largest logit difference and, for
// CipherPrune, the kept counts per layer of each.
import { realValues } from '../../src/ir/twins.ts';
import { bertCipherPrune, bertDense } from '../../src/model/bert.ts';
import { gpt2CipherPrune, gpt2Dense } from '../../src/model/gpt2.ts';
import type { LoadedBert, LoadedGpt2 } from '../../src/model/load.ts';
import { idInputs, textInputs } from '../../src/model/text-inputs.ts';
import type { LocalSession } from '../../src/exec/session.ts';
import { argmax } from '../../src/train/evaluate.ts';

export interface Comparison {
  secure: number;
  float: number;
  agree: boolean;
  maxLogitError: number;
  /** Float top-1 minus runner-up logit (how close a call it was). */
  floatMargin: number;
  /** Kept tokens per layer: revealed by the secure run, and computed by the reference. */
  keptSecure: number[];
  keptFloat: number[];
  seconds: number;
  bytes: number;
  rounds: number;
}

function compare(logits: Float64Array, ref: ArrayLike<number>, run: Awaited<ReturnType<LocalSession['run']>>, keptFloat: number[], layers: number): Comparison {
  const f = argmax(ref);
  const rest = Array.from(ref).filter((_, i) => i !== f);
  const keptSecure = Array.from({ length: layers }, (_, l) => run.client.revealed[`k@l=${l}`]).filter((x) => x !== undefined);
  return {
    secure: argmax(logits),
    float: f,
    agree: argmax(logits) === f,
    maxLogitError: Math.max(...Array.from(logits, (v, i) => Math.abs(v - ref[i]))),
    floatMargin: ref[f] - Math.max(...rest),
    keptSecure,
    keptFloat,
    seconds: run.seconds,
    bytes: run.own.client.bytesSent + run.own.server.bytesSent,
    rounds: Math.max(run.own.client.rounds, run.own.server.rounds),
  };
}

export async function compareBert(m: LoadedBert, session: LocalSession, text: string): Promise<Comparison> {
  const t = textInputs(m.program, m.tokenizer, text);
  const pruned = m.program.model === 'bert_cipherprune';
  const ref = pruned ? bertCipherPrune(m.weights, m.config, t.ids, t.padding, m.thresholds!) : { logits: bertDense(m.weights, m.config, [t.ids], [t.padding]), steps: [] };
  const run = await session.run(m.program, { ...m.serverInputs, ...t.inputs });
  return compare(realValues(run.client.outputs[0].tensor, 'fixed'), ref.logits.data, run, ref.steps.map((s) => s.k), m.config.num_hidden_layers);
}

export async function compareGpt2(m: LoadedGpt2, session: LocalSession, ids: number[]): Promise<Comparison> {
  const pruned = m.program.model === 'gpt2_cipherprune';
  const ref = pruned ? gpt2CipherPrune(m.weights, m.config, ids, m.theta!) : { logits: gpt2Dense(m.weights, m.config, [ids]), steps: [] };
  const run = await session.run(m.program, { ...m.serverInputs, ...idInputs(m.program, ids) });
  return compare(realValues(run.client.outputs[0].tensor, 'fixed'), ref.logits.data, run, ref.steps.map((s) => s.k), m.config.n_layer);
}
