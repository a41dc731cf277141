// The executor: both parties run the same schedule of an IR program with their role (SPMD).
// Inputs enter from their owner only; outputs reach only their recipient; each step runs its
// op-table implementation (a merged step: the row's batched implementation) inside a channel
// scope, so bytes and rounds are attributed to steps and, through them, to ops.
import { heKeyPlan } from '../opt/he-keys.ts';
import { randomBytes } from 'node:crypto';
import { DimEnv, encodeInput, type InputValues } from '../ir/dim-env.ts';
import type { Tensor } from '../ir/tensor.ts';
import { OpError, type IrOp, type IrProgram } from '../ir/ir.ts';
import { opCall } from '../ir/ops/call.ts';
import { opRow } from '../ir/ops/table.ts';
import type { BatchItem, ConcreteType, Engines, ExecCtx, ExecValue, OpCall } from '../ir/ops/types.ts';
import type { Data } from '../ir/tensor.ts';
import { buildSchedule, unitLabel, units, type Schedule, type Step } from '../opt/schedule.ts';
import { aheadDemand, setupsOf, stepDemand } from '../opt/cost.ts';
import { runConcurrently } from './concurrent.ts';
import type { CotDemand, OtChoice } from '../crypto/ot/index.ts';
import { Prg } from '../crypto/prg.ts';
import { ChannelError, type Channel, type Counters, type Party } from '../transport/channel.ts';
import { SessionEngines } from './engines.ts';

export class ExecError extends OpError {
  override name = 'ExecError';
}

export interface ExecuteOptions {
  party: Party;
  ch: Channel;
  /** This party's own inputs (real numbers, row-major), by input name. */
  inputs: InputValues;
  prg?: Prg;
  engines?: Engines & { close?(): Promise<void> };
  /** The correlated-OT backend of the session's engines (default DEFAULT_OT_BACKEND; ignored with `engines`). */
  ot?: OtChoice;
  /** Called after each op that communicates, and every 200 ops. */
  onProgress?: (done: number, total: number, op: IrOp) => void;
  /** Called after every op with this party's value (its share when secret): for tests that open
   * intermediate values by combining both parties' traces. A returned promise holds this party
   * until it settles (src/exec/fit-thresholds.ts sets thresholds from both parties' scores before
   * they are used). `call` is the op's call with sizes evaluated (to compute a local op again). */
  trace?: (op: IrOp, value: ExecValue, call: OpCall) => unknown;
  /** The schedule to run (both parties must run the same); default: the merged schedule. */
  schedule?: Schedule;
}

export interface ExecuteResult {
  /** Outputs this party received (others are absent). */
  outputs: { id: number; to: Party; tensor: Tensor }[];
  revealed: Record<string, number>;
  /** Sizes known after the run (to predict its cost, `predictCost(program, dims)`). */
  dims: DimEnv;
  /** Scope label of each op that communicated (its step's), for matching with predictions. */
  scopes: Map<number, string>;
  byScope: ReadonlyMap<string, Readonly<Counters>>;
  schedule: Schedule;
}


/** Ops of a program that cannot run securely yet, with the reason (checked before a run starts). */
export function unsupportedOps(p: IrProgram): { op: IrOp; reason: string }[] {
  const out: { op: IrOp; reason: string }[] = [];
  const dims = new DimEnv();
  for (const op of p.ops) {
    const row = opRow(op.op);
    if (!row.impl) out.push({ op, reason: `it ${row.pending}` });
    else if (row.unsupported) {
      // Sizes revealed at run time do not matter for support: check with them unbound if possible.
      try {
        const why = row.unsupported(opCall(p, op, dims));
        if (why) out.push({ op, reason: why });
      } catch {
        // shape not known before the run; checked again when the op runs
      }
    }
  }
  return out;
}

/** Give the event loop a turn (keepalive pings on ws) at most every `ms` of busy time. */
function yielder(ms = 50) {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < ms) return;
    await new Promise<void>((r) => setImmediate(r));
    last = performance.now();
  };
}

/** Checks before a run: inputs this party owns, and every op has a secure implementation. */
function checkRunnable(p: IrProgram, party: Party, inputs: InputValues): void {
  const foreign = Object.keys(inputs).filter((n) => p.inputs.find((i) => i.name === n)?.owner !== party);
  if (foreign.length) throw new ExecError(`the ${party} was given input${foreign.length > 1 ? 's' : ''} it does not own: ${foreign.join(', ')}`);
  const missing = p.inputs.filter((i) => i.owner === party && !(i.name in inputs)).map((i) => i.name);
  if (missing.length) throw new ExecError(`missing ${party} input${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  const unsupported = unsupportedOps(p);
  if (unsupported.length) {
    const kinds = [...new Set(unsupported.map((u) => u.op.op))];
    const first = unsupported[0];
    throw new ExecError(`this program cannot run securely yet: ${unsupported.length} op${unsupported.length > 1 ? 's' : ''} (${kinds.join(', ')}) lack a secure implementation; the first, '${first.op.op}': ${first.reason}`, first.op);
  }
}

/** True when `e` is (or wraps) a failure of the channel itself: the peer already knows or is gone. */
function fromChannel(e: unknown): boolean {
  for (let c = e; c; c = (c as { cause?: unknown }).cause) if (c instanceof ChannelError) return true;
  return false;
}

export async function execute(p: IrProgram, opts: ExecuteOptions): Promise<ExecuteResult> {
  const { party, ch } = opts;
  const ownEngines = !opts.engines;
  const engines = opts.engines ?? new SessionEngines(party, ch, { ot: opts.ot });
  const ctx: ExecCtx = { party, ch, prg: opts.prg ?? new Prg(randomBytes(16)), engines, exact: p.exact === true };
  const s = opts.schedule ?? buildSchedule(p);
  ch.startRun?.();
  const sp = s.program;
  const dims = new DimEnv();
  const values: ExecValue[] = [];
  const scopes = new Map<number, string>();
  const outputs: ExecuteResult['outputs'] = [];
  const breathe = yielder();
  let current: IrOp | undefined;
  let done = 0;
  const total = s.steps.reduce((n, st) => n + st.ops.length, 0);
  /** This party's arguments of an op (an input's value enters at its owner). */
  const argsOf = (op: IrOp, type: ConcreteType): ExecValue[] => {
    if (op.op !== 'input') return op.args.map((a) => values[a]);
    const name = op.attrs.name as string;
    const own = p.inputs.find((i) => i.name === name)!.owner === party;
    return own ? [{ ...type, data: encodeInput(p, name, opts.inputs[name], 'fixed', dims).data }] : [];
  };
  const finish = async (op: IrOp, call: OpCall, data: Data | null) => {
    const type = call.type;
    values[op.id] = { ...type, data };
    const held = opts.trace?.(op, values[op.id], call);
    if (held instanceof Promise) await held;
    dims.bindReveal(sp, op.id, data as ArrayLike<number> | null);
    if (op.op === 'output' && data) outputs.push({ id: op.id, to: op.attrs.to as Party, tensor: { shape: type.shape, enc: type.enc, data } });
    done++;
    if (opRow(op.op).comm !== 'local' || op.id % 200 === 0) opts.onProgress?.(done, total, op);
    await breathe();
  };
  /** One step's calls, checked; its results on this party. */
  const prepare = (step: Step) => {
    const row = opRow(step.op);
    const ops = step.ops.map((id) => sp.ops[id]);
    current = ops[0];
    const calls = ops.map((op) => opCall(sp, op, dims));
    for (let i = 0; i < ops.length; i++) {
      const why = !row.impl ? `it ${row.pending}` : row.unsupported?.(calls[i]);
      if (why || !row.impl) throw new ExecError(`op '${ops[i].op}' cannot run securely yet: ${why}`, ops[i]);
    }
    const run = async (c: ExecCtx): Promise<(Data | null)[]> => {
      if (ops.length === 1) return [await row.impl!(c, argsOf(ops[0], calls[0].type), calls[0])];
      return row.batch!.impl(c, ops.map((op, i): BatchItem => ({ args: argsOf(op, calls[i].type), call: calls[i] })));
    };
    return { row, ops, calls, run };
  };
  /** Counts a step's COTs when the session's OT backend refills between steps (Ferret). */
  const demandModel = engines.otDemand?.() ?? null;
  /** Refill for steps' demands (none: nothing to do); base OTs first if a step needs them. */
  const prefill = async (needs: CotDemand[]) => {
    if (!demandModel) return null;
    const need = needs.reduce((a, d) => ({ client: a.client + d.client, server: a.server + d.server }), { client: 0, server: 0 });
    if (need.client + need.server === 0) return null;
    const ot = await engines.ot();
    await ot.prefill?.(need);
    return ot;
  };
  /**
   * A batch backend's top-up for the next unit's demand `ahead`, beside this unit (docs/ot.md,
   * "Refills ahead of steps"), decided after this unit's prefill from `taken` (its members' COTs):
   * the engine to run it, or null. The prediction (src/opt/cost.ts) decides the same way.
   */
  const topUpBeside = (taken: CotDemand[], ahead: CotDemand | null) => {
    const ot = ahead ? engines.otIfReady?.() : null;
    if (!ot || !ahead) return null;
    const t = taken.reduce((a, d) => ({ client: a.client + d.client, server: a.server + d.server }), { client: 0, server: 0 });
    return ot.topUpAhead?.(t, ahead) ? { ot, ahead } : null;
  };
  /** Steps side by side on virtual channels (forks of the engines: slices of Ferret's pools), and a top-up after them. */
  const group = async (parts: ReturnType<typeof prepare>[], member: CotDemand[], top: ReturnType<typeof topUpBeside>) => {
    const n = parts.length;
    const out = await runConcurrently(ch, n + (top ? 1 : 0), (i, vch) => (i < n ? parts[i].run({ ...ctx, ch: vch, engines: engines.fork(vch, member[i]) }) : top!.ot.topUp!(vch, top!.ahead).then(() => [])));
    return out.slice(0, n);
  };
  try {
    checkRunnable(p, party, opts.inputs);
    // Which Galois keys (and whether packed results) each ring width's HE setup sends: a function of
    // the schedule both parties hold, as the cost model computes it (src/opt/he-keys.ts), after the
    // checks above (their errors are the clearer ones) and before any message.
    // Computed once per session (later runs keep the first plan; GPT-2 generation runs once per token).
    engines.planHeKeys?.(() => heKeyPlan(s));
    const all = units(s);
    for (const [u, unit] of all.entries()) {
      const parts = unit.map(prepare);
      if (parts[0].row.comm === 'local') {
        const { ops, calls, run } = parts[0];
        await finish(ops[0], calls[0], (await run(ctx))[0]);
        continue;
      }
      const label = unitLabel(s, unit);
      for (const st of unit) for (const id of st.ops) scopes.set(id, label);
      const end = ch.scope(label);
      let results: (Data | null)[][];
      try {
        // The next unit's COTs, when a batch backend may top up for them beside this unit.
        const ahead = demandModel ? aheadDemand(s, all, u, dims, demandModel) : null;
        if (unit.length === 1) {
          // A batch OT backend (Ferret) refills here, between steps, for what the step will draw.
          const need = demandModel ? [stepDemand(s, unit[0], dims, demandModel)] : [];
          const ot = await prefill(need);
          const top = topUpBeside(need, ahead);
          if (top) {
            // The step and the top-up side by side: HE setups first (base OTs are up).
            for (const ell of setupsOf(s, unit, dims).he) await engines.he(ell);
            results = await group(parts, need, top);
          } else {
            results = [await parts[0].run(ctx)];
            await ot?.settle?.();
          }
        } else {
          // A concurrent group: setups on the session channel first (and a batch OT backend's
          // refill for every member), then every step on its own virtual channel and OT fork
          // (forked in step order, the same on both sides; with Ferret, a slice of the pools).
          const needs = setupsOf(s, unit, dims);
          if (needs.ot) await engines.ot();
          for (const ell of needs.he) await engines.he(ell);
          const member = demandModel ? unit.map((st) => stepDemand(s, st, dims, demandModel)) : [];
          await prefill(member);
          results = await group(parts, member, topUpBeside(member, ahead));
        }
      } finally {
        end();
      }
      for (const [k, { ops, calls }] of parts.entries()) {
        for (let i = 0; i < ops.length; i++) {
          current = ops[i];
          await finish(ops[i], calls[i], results[k][i]);
        }
      }
    }
    await ch.flush();
  } catch (e) {
    // End the session so the peer stops too instead of waiting for messages that never come. It
    // learns only that this side failed: the local message may hold private values.
    if (fromChannel(e)) ch.close();
    else ch.abort(`the ${party}'s side of the session failed`);
    if (e instanceof ExecError) throw e;
    const err = new ExecError((e as Error).message, current);
    (err as { cause?: unknown }).cause = e;
    throw err;
  } finally {
    if (ownEngines) await (engines as SessionEngines).close();
  }
  // A schedule may run outputs out of program order; they are reported in program order.
  outputs.sort((a, b) => a.id - b.id);
  return { outputs, revealed: dims.revealed, dims, scopes, byScope: ch.byScope, schedule: s };
}
