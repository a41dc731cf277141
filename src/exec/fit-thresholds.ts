// CipherPrune thresholds fitted during a secure run to the run's own importance scores, so that
// it keeps chosen numbers of tokens (bench/e2e; src/interp/thresholds.ts does the same in the
// reference interpreter). For measurements only: whoever holds both parties' traces opens each
// layer's scores (the protocol never does), chooses θ_l and θ_hi_l between two of them, and
// writes them into the server's threshold input before anything that communicates uses them.
// Thresholds are server inputs: their values change which tokens are kept, not the work, so the
// run costs what a run given these thresholds in advance costs.
//
// The schedule hoists the server's local work on the thresholds (the reads theta[l], a
// server-local max(θ_l, θ_hi_l), their sharing and broadcast: anything that needs no message) to
// the program's start, long before layer l's scores exist. So the fitting follows the data flow
// (thresholdDeps): every value the server already computed from θ_l or θ_hi_l is computed again,
// in the order it ran, by the op's own secure implementation, which for these ops is local and
// deterministic. An op that communicates and reads them must not have run yet: the server is held
// at its layer-l scores until the fitting is done, and a use before that fails the run.
import type { IrOp, IrProgram } from '../ir/ir.ts';
import { opRow } from '../ir/ops/table.ts';
import type { ExecCtx, ExecValue, OpCall } from '../ir/ops/types.ts';
import { realValues } from '../ir/twins.ts';
import { ringOf, type RingArray } from '../crypto/ring.ts';
import { dependsOn, importanceOps, KEEP_NONE, layerThresholds, THRESHOLD_INPUTS, thresholdDeps, writeThreshold, type LayerCounts, type Pinned } from '../interp/thresholds.ts';

type Trace = (op: IrOp, value: ExecValue, call: OpCall) => void | Promise<void>;

export interface InRunFit {
  /** Initial threshold inputs (KEEP_NONE: the fitting overwrites them layer by layer). */
  inputs: { theta: number[]; theta_hi: number[] };
  /** The parties' trace hooks (ExecuteOptions.trace / RunBothOptions.trace). */
  trace: { client: Trace; server: Trace };
  /** What trace.server hands the chooser: for a server on another thread (its own serverFitting
   * asks over a port; this answers). */
  serverShare: (layer: number, share: ExecValue) => Promise<LayerThresholds>;
  /** Thresholds chosen so far, and the gap (in units of the scores) each one sits in. */
  result(): { theta: number[]; thetaHi: number[]; gaps: { keep: number; hi: number }[] };
}

/** Whether the server computes the op alone, without messages: a local op, or a value it sees
 * computed from values it sees (in the clear). */
const isLocal = (sp: IrProgram, op: IrOp): boolean => {
  const row = opRow(op.op);
  if (row.comm === 'local') return true;
  return row.comm !== 'open' && op.type.vis !== 'secret' && op.args.every((a) => sp.ops[a].type.vis !== 'secret');
};

/** A context for computing a local op again: touching the channel, randomness or engines fails. */
const offline: ExecCtx = {
  party: 'server',
  ...Object.fromEntries(['ch', 'prg', 'engines'].map((k) => [k, new Proxy({}, { get: () => { throw new Error(`internal: recomputing a threshold-derived value needed the ${k}: it is not local`); } })])),
} as ExecCtx;

/** Layer l's two thresholds. */
export interface LayerThresholds {
  theta: number;
  thetaHi: number;
}

/**
 * The server's half of the fitting: its trace hook. At layer l's scores it hands its share to
 * `ask` and waits for the thresholds chosen from both shares (the same thread, or another one
 * when each party runs on its own: bench/e2e), then writes them into its threshold input and
 * computes again what it already computed from them (see the top of the file).
 */
export function serverFitting(sp: IrProgram, ask: (layer: number, share: ExecValue) => Promise<LayerThresholds>): Trace {
  const layerOf = new Map(importanceOps(sp).map((id, l) => [id, l]));
  const layers = layerOf.size;
  const deps = thresholdDeps(sp);
  // What the server computes from the thresholds without messages (their reads, and local ops on
  // those: the values to compute again), and the ops that communicate with those values (which
  // must not run before the fitting). The server keeps its values of the first kind and of their
  // arguments (small: scalars and per-token vectors).
  const inputs = new Set(sp.inputs.filter((i) => THRESHOLD_INPUTS.includes(i.name)).map((i) => i.id));
  const local = new Set<number>(), uses = new Set<number>();
  for (const op of sp.ops) {
    if (inputs.has(op.id) || !op.args.some((a) => inputs.has(a) || local.has(a))) continue;
    (isLocal(sp, op) ? local : uses).add(op.id);
  }
  const kept = new Set([...inputs, ...[...local].flatMap((id) => [id, ...sp.ops[id].args])]);
  const server: ExecValue[] = [];
  const ran: { op: IrOp; call: OpCall }[] = [];
  const used = new Map<number, IrOp>();
  const set = async (l: number, t: LayerThresholds) => {
    const early = used.get(l);
    if (early) throw new Error(`fitting layer ${l}'s thresholds: %${early.id} ${early.op} (${early.where.file}:${early.where.line}) already used them before the layer's scores existed`);
    writeThreshold(sp, server, 'theta', l, t.theta);
    writeThreshold(sp, server, 'theta_hi', l, t.thetaHi);
    // Everything computed from them so far, again, in the order it ran (the executor reads the
    // same value objects: later ops get the new data).
    for (const { op, call } of ran) {
      if (!dependsOn(deps[op.id], l)) continue;
      server[op.id].data = await opRow(op.op).impl!(offline, op.args.map((a) => server[a]), call);
    }
  };
  return (op, v, call) => {
    if (kept.has(op.id)) server[op.id] = v;
    if (local.has(op.id)) ran.push({ op, call });
    else if (uses.has(op.id)) for (let l = 0; l < layers; l++) if (dependsOn(deps[op.id], l) && !used.has(l)) used.set(l, op);
    const l = layerOf.get(op.id);
    return l === undefined ? undefined : ask(l, v).then((t) => set(l, t));
  };
}

/**
 * The other half: layer l's thresholds from both parties' shares of its scores, so that it keeps
 * `counts(l, scores)`. `server(l, share)` resolves when the client's share is in too; `client`
 * takes the client's share (and fails when the choice does: the client's trace then fails its run).
 */
export function thresholdChooser(pinned: Pinned, counts: (layer: number, scores: Float64Array) => LayerCounts, log?: (line: string) => void) {
  const theta: number[] = [], thetaHi: number[] = [];
  const gaps: { keep: number; hi: number }[] = [];
  const waiting = new Map<number, { client?: ExecValue; server?: ExecValue; done?: (t: LayerThresholds | null, e?: unknown) => void }>();
  const choose = (l: number, c: ExecValue, s: ExecValue): LayerThresholds => {
    const ell = (c.enc as { ell: number }).ell;
    const scores = realValues({ shape: c.shape, enc: c.enc, data: ringOf(ell).add(c.data as RingArray, s.data as RingArray) }, 'fixed');
    const want = counts(l, scores), t = layerThresholds(scores, pinned, want);
    [theta[l], thetaHi[l], gaps[l]] = [t.theta, t.thetaHi, t.gaps];
    const ulp = (g: number) => (Number.isFinite(g) ? `${Math.round(g * 2 ** ((c.enc as { scale?: number }).scale ?? 0))}` : 'none');
    log?.(`l=${l}: thresholds from the run's scores: keep ${want.keep}, accurate ${want.hi} (gaps ${ulp(t.gaps.keep)} and ${ulp(t.gaps.hi)} ULP)`);
    return { theta: t.theta, thetaHi: t.thetaHi };
  };
  const arrive = (party: 'client' | 'server', l: number, v: ExecValue): Promise<LayerThresholds> | null => {
    const e = waiting.get(l) ?? {};
    waiting.set(l, e);
    e[party] = v;
    const pending = e.client && e.server ? null : party === 'server' ? new Promise<LayerThresholds>((ok, fail) => (e.done = (t, err) => (t ? ok(t) : fail(err)))) : null;
    if (!e.client || !e.server) return pending;
    waiting.delete(l);
    let t: LayerThresholds;
    try {
      t = choose(l, e.client, e.server);
    } catch (err) {
      e.done?.(null, err); // the waiting server fails too (no party left waiting)
      if (party === 'server') return Promise.reject(err);
      throw err;
    }
    e.done?.(t);
    return party === 'server' ? Promise.resolve(t) : null;
  };
  return {
    client: (l: number, share: ExecValue): void => void arrive('client', l, share),
    server: (l: number, share: ExecValue): Promise<LayerThresholds> => arrive('server', l, share)!,
    result: () => ({ theta: theta.slice(), thetaHi: thetaHi.slice(), gaps: gaps.slice() }),
  };
}

/**
 * Both halves on one thread, for a run of schedule program `sp` (the schedule's program: its op
 * ids are the trace's). `counts(l, scores)` gives layer l's wanted counts from its opened scores;
 * `log` gets one line per layer.
 */
export function fitThresholdsInRun(sp: IrProgram, pinned: Pinned, counts: (layer: number, scores: Float64Array) => LayerCounts, log?: (line: string) => void): InRunFit {
  const layerOf = new Map(importanceOps(sp).map((id, l) => [id, l]));
  const chooser = thresholdChooser(pinned, counts, log);
  const none = new Array<number>(layerOf.size).fill(KEEP_NONE);
  return {
    inputs: { theta: none.slice(), theta_hi: none.slice() },
    trace: {
      client: (op, v) => {
        const l = layerOf.get(op.id);
        if (l !== undefined) chooser.client(l, v);
      },
      server: serverFitting(sp, chooser.server),
    },
    serverShare: chooser.server,
    result: chooser.result,
  };
}
