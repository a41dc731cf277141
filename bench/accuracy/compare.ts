// One secure two-party run beside the plaintext float reference model on the same checkpoint
// and input: the labels (or top-1 next tokens), the largest logit difference and, for
// CipherPrune, the kept counts per layer of each. Without a session, compareBert and compareGpt2
// put the program's fixed-point reference (the twins, which the secure ops are tested equal to)
// in the secure run's place, for a variant this build cannot run securely yet.
import type { InputValues } from '../../src/ir/dim-env.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import { realValues } from '../../src/ir/twins.ts';
import { interpret } from '../../src/interp/interpret.ts';
import { bertCipherPrune, bertDense } from '../../src/model/bert.ts';
import { gpt2CipherPrune, gpt2Dense } from '../../src/model/gpt2.ts';
import type { LoadedBert, LoadedGpt2 } from '../../src/model/load.ts';
import { idInputs, textInputs } from '../../src/model/text-inputs.ts';
import type { LocalSession } from '../../src/exec/session.ts';
import { argmax } from '../../src/train/evaluate.ts';
import { importanceOps } from '../../src/interp/thresholds.ts';
import type { ExecValue } from '../../src/ir/ops/types.ts';
import { ringOf, type RingArray } from '../../src/crypto/ring.ts';

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
  /** Accurate-polynomial tokens per layer (BERT's kh), the same two ways. */
  highSecure: number[];
  highFloat: number[];
  seconds: number;
  bytes: number;
  rounds: number;
  /** With `scores`: each layer's importance scores (prune.importance) — opened from the secure
   * run's shares (bench-only: the product path never opens them), or the fixed-point
   * reference's — and the float reference's, for the layers the run reached. */
  scoresSecure?: number[][];
  scoresFloat?: number[][];
}

/** What a run gives back: the client's logits, the sizes it revealed, and its cost (none for
 * the fixed-point reference). */
interface Outcome {
  logits: Float64Array;
  revealed: Record<string, number>;
  seconds: number;
  bytes: number;
  rounds: number;
  scores?: number[][];
}

function compare(o: Outcome, ref: ArrayLike<number>, keptFloat: number[], layers: number, highFloat: number[] = []): Comparison {
  const f = argmax(ref);
  const rest = Array.from(ref).filter((_, i) => i !== f);
  const revealed = (name: string) => Array.from({ length: layers }, (_, l) => o.revealed[`${name}@l=${l}`]).filter((x) => x !== undefined);
  const keptSecure = revealed('k');
  return {
    secure: argmax(o.logits),
    float: f,
    agree: argmax(o.logits) === f,
    maxLogitError: Math.max(...Array.from(o.logits, (v, i) => Math.abs(v - ref[i]))),
    floatMargin: ref[f] - Math.max(...rest),
    keptSecure,
    keptFloat,
    highSecure: revealed('kh'),
    highFloat,
    seconds: o.seconds,
    bytes: o.bytes,
    rounds: o.rounds,
  };
}

/** A run of the program: secure over `session`, or its fixed-point reference without one; with
 * `scores`, each layer's importance scores too (the secure run's opened from both traces). */
async function outcome(p: IrProgram, inputs: InputValues, session: LocalSession | undefined, scores = false): Promise<Outcome> {
  const ids = scores ? importanceOps(p) : [];
  if (!session) {
    const t0 = performance.now();
    const r = interpret(p, inputs, 'fixed');
    const s = ids.filter((id) => r.values[id]).map((id) => Array.from(realValues(r.values[id], 'fixed')));
    return { logits: realValues(r.outputs[0].tensor, 'fixed'), revealed: r.revealed, seconds: (performance.now() - t0) / 1000, bytes: 0, rounds: 0, scores: scores ? s : undefined };
  }
  const traces = { client: new Map<number, ExecValue>(), server: new Map<number, ExecValue>() };
  const want = new Set(ids);
  const keep = (m: Map<number, ExecValue>) => (op: { id: number }, v: ExecValue) => void (want.has(op.id) && m.set(op.id, v));
  const run = await session.run(p, inputs, scores ? { trace: { client: keep(traces.client), server: keep(traces.server) } } : {});
  const opened = ids.filter((id) => traces.client.has(id)).map((id) => {
    const c = traces.client.get(id)!, sv = traces.server.get(id)!;
    const sum = ringOf((c.enc as { ell: number }).ell).add(c.data as RingArray, sv.data as RingArray);
    return Array.from(realValues({ shape: c.shape, enc: c.enc, data: sum }, 'fixed'));
  });
  return {
    logits: realValues(run.client.outputs[0].tensor, 'fixed'),
    revealed: run.client.revealed,
    seconds: run.seconds,
    bytes: run.own.client.bytesSent + run.own.server.bytesSent,
    rounds: Math.max(run.own.client.rounds, run.own.server.rounds),
    scores: scores ? opened : undefined,
  };
}

/** `session` undefined: the fixed-point reference instead of a secure run. `scores`: also each
 * layer's importance scores (CipherPrune only). */
export async function compareBert(m: LoadedBert, session: LocalSession | undefined, text: string, scores = false): Promise<Comparison> {
  const t = textInputs(m.program, m.tokenizer, text);
  const pruned = m.program.model === 'bert_cipherprune';
  const ref = pruned ? bertCipherPrune(m.weights, m.config, t.rows, t.padding, m.thresholds!) : { logits: bertDense(m.weights, m.config, [t.rows], [t.padding]), steps: [] };
  const o = await outcome(m.program, { ...m.serverInputs, ...t.inputs }, session, scores && pruned);
  const c = compare(o, ref.logits.data, ref.steps.map((s) => s.k), m.config.num_hidden_layers, ref.steps.map((s) => s.kh));
  return o.scores ? { ...c, scoresSecure: o.scores, scoresFloat: ref.steps.map((s) => s.scores) } : c;
}

/** `session` undefined: the fixed-point reference instead of a secure run. */
export async function compareGpt2(m: LoadedGpt2, session: LocalSession | undefined, ids: number[]): Promise<Comparison> {
  const pruned = m.program.model === 'gpt2_cipherprune';
  const ref = pruned ? gpt2CipherPrune(m.weights, m.config, ids, m.theta!) : { logits: gpt2Dense(m.weights, m.config, [ids]), steps: [] };
  const o = await outcome(m.program, { ...m.serverInputs, ...idInputs(m.program, ids) }, session);
  return compare(o, ref.logits.data, ref.steps.map((s) => s.k), m.config.n_layer);
}
