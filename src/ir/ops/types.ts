// The shape of an op-table row (ARCHITECTURE §3): every op is data — its communication class,
// merge key, exact cost, plaintext twin and secure implementation. The optimizer, the cost
// model, `inspect` and the conformance tests read rows; nothing special-cases an op by name.
import type { Enc, Vis } from '../../front/types.ts';
import type { Party, Channel } from '../../transport/channel.ts';
import type { Prg } from '../../crypto/prg.ts';
import type { ObliviousTransfer } from '../../crypto/ot/types.ts';
import type { CotDemand } from '../../crypto/ot/cot-source.ts';
import type { Data } from '../tensor.ts';
import type { Twin } from '../twins.ts';

export type CommClass = 'local' | 'open' | 'ot' | 'he';

/** One flight of messages: sent by one party (or by both without waiting), then received. */
export interface Flight {
  from: Party | 'both';
  /** Payload bytes client -> server and server -> client in this flight. */
  c2s: number;
  s2c: number;
  /** Session setup (base OTs, HE keys) rather than an op's own work. */
  setup?: 'ot' | 'he';
}

export interface ConcreteType {
  vis: Vis;
  enc: Enc;
  shape: number[];
}

export interface OpCall {
  args: ConcreteType[];
  type: ConcreteType;
  /** Attributes with sizes evaluated. */
  attrs: Record<string, unknown>;
}

/** A value as one party holds it during a secure run: plain data when it may see the value,
 * its additive (ring) or XOR (bool) share when secret, null when the value is the other party's. */
export interface ExecValue extends ConcreteType {
  data: Data | null;
}

export interface ExecCtx {
  party: Party;
  ch: Channel;
  prg: Prg;
  /** Lazily set-up cryptographic engines (base OTs / HE keys happen once per session). */
  engines: Engines;
  /** Exact mode (IrProgram.exact): every truncation floors exactly (ProtoCtx.exact). */
  exact?: boolean;
}

/**
 * Per ring width, the HE context a session sets up (src/opt/he-keys.ts; docs/he.md "Galois keys"):
 * unpacked, or packed with Galois keys for `galoisDepth` tree levels, merged at `galoisLevel` (0 or
 * 1). Widths not listed: the defaults (DEFAULT_HE_PARAMS: packed, every level, tree at level 0).
 * Both parties derive it from the schedule.
 */
export type HeKeyPlan = ReadonlyMap<number, HeKeyChoice>;
export type HeKeyChoice = { packed: boolean; galoisDepth?: number; galoisLevel?: 0 | 1 };

export interface Engines {
  he(ell: number): Promise<HeEngine>;
  /** Fix the HE key plan before any HE setup: the first call's `plan()` sticks for the session
   * (later calls do not compute theirs). */
  planHeKeys?(plan: () => HeKeyPlan): void;
  /** The session's OT engine (base OTs in both directions on first use). */
  ot(): Promise<ObliviousTransfer>;
  /**
   * Engines for work that runs concurrently with other work of the session, on its own channel
   * (src/exec/concurrent.ts): a fork of the OT engine, and HE on the session's keys. Whatever
   * setup the work needs (base OTs, HE keys for its ring widths) must be done before. Both
   * parties must fork in the same order (forks are numbered).
   */
  fork(ch: Channel, need?: CotDemand): Engines;
  /**
   * Sessions whose OT backend refills between steps (Ferret): a model that counts COTs, for the
   * executor to size each step's prefill (`ObliviousTransfer.prefill`); null or absent otherwise.
   */
  otDemand?(): import('../../crypto/ot/cost.ts').OtCostModel | null;
  /** The session's OT engine if it is set up already (no messages), else null: for a top-up beside a step. */
  otIfReady?(): ObliviousTransfer | null;
}

export interface HeEngine {
  /** `blocking`: overrides the HE policy's (both parties pass the same; the lookup's plan does). */
  matmul(a: ExecValue, b: ExecValue, n: number, k: number, m: number, blocking?: import('../../crypto/he/index.ts').Blocking): Promise<Data>;
  /** Products of two secret matrices per head (B given transposed when `transposeB`). */
  batch(a: ExecValue, b: ExecValue, shape: { heads: number; n: number; k: number; m: number; transposeB?: boolean }): Promise<Data>;
}

export type Impl = (ctx: ExecCtx, args: ExecValue[], call: OpCall) => Promise<Data | null>;

/** One op of a batched invocation: its arguments (this party's view) and its concrete call. */
export interface BatchItem {
  args: ExecValue[];
  call: OpCall;
}

/**
 * Several ops with equal batch keys run as one invocation (one protocol run on concatenated
 * inputs, one HE product with stacked weights, one flight of openings): results in item order.
 */
export interface Batch {
  impl: (ctx: ExecCtx, items: BatchItem[]) => Promise<(Data | null)[]>;
  /** Exact flights of the batched invocation (as `cost` gives them for one op). */
  cost: (calls: OpCall[], params: CostParams) => Flight[];
}

/** An op's type signature before sizes are known (sizes revealed at run time stay symbolic). */
export interface OpSignature {
  /** Argument types, rendered with symbolic sizes (`showType`). */
  args: { vis: Vis; enc: Enc; shape: string[] }[];
  type: { vis: Vis; enc: Enc; shape: string[] };
  /** Attributes, rendered. */
  attrs: Record<string, string>;
  /** The argument op ids (ops on the same operand can share work, e.g. one HE upload). */
  argIds: number[];
}

export interface OpRow {
  name: string;
  /** True for ops that lowering introduces (input, const, share, ...); false for prelude prims. */
  builtin: boolean;
  comm: CommClass;
  /** Ops at the same communication depth with the same key can be merged into one batch. */
  mergeKey: string | null;
  /** Exact message flights of one execution (empty for local ops). */
  cost: (call: OpCall, params: CostParams) => Flight[];
  twin: Twin;
  /** The secure implementation; absent while the protocol is not implemented yet. */
  impl?: Impl;
  /** Why `impl` is absent (shown to users who run such a program). */
  pending?: string;
  /** For ops implemented for some operand types only: why this call is not supported, or null. */
  unsupported?: (call: OpCall) => string | null;
  /**
   * Batching (src/opt, "merge"): ops at the same communication depth whose rows have `batch` and
   * whose `mergeKey` + `batchKey` are equal run as one invocation. The key must capture every
   * protocol parameter, so that the concatenated inputs can go through one protocol run.
   */
  batchKey?: (sig: OpSignature) => string;
  batch?: Batch;
}

/**
 * Session state for one cost prediction. Setup (HE keys per ring width, base OTs) happens
 * inside the first op that needs it, at the point it is needed: the `*Setup` functions return
 * its flights the first time and nothing afterwards, so costs list flights in execution order.
 */
export interface CostParams {
  heSetup(ell: number): Flight[];
  /** `blocking`: a fixed blocking (the lookup's plan), its merge width P resolved under the session's keys. */
  heMatmul(n: number, k: number, m: number, ell: number, blocking?: import('../../crypto/he/index.ts').Blocking): Flight[];
  heBatch(shape: { heads: number; n: number; k: number; m: number; transposeB?: boolean }, ell: number): Flight[];
  otSetup(): Flight[];
  /**
   * The session's HE key plan (src/opt/he-keys.ts): null until the first prediction fixes it from
   * the schedule it predicts, as the executor does before its run (SessionEngines.planHeKeys).
   */
  heKeys: { plan: HeKeyPlan | null };
  /** The cost model of the session's OT engine (message plans per flavour). */
  otModel: import('../../crypto/ot/cost.ts').OtCostModel;
}
