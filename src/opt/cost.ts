// Predicted communication of a schedule: each step's message flights (from the op table: one op's
// `cost`, or a merged step's `batch.cost`), in execution order, with rounds found by replaying the
// channel's round clock (src/transport/round-clock.ts): a party stamps a message with 1 + the
// highest stamp it has received, and the rounds are the highest stamp. Session setup (HE keys,
// base OTs) is charged to the first step that needs it. Prediction == measurement is tested for
// every bundled program, merged and unmerged.
import { heKeyPlan } from './he-keys.ts';
import type { Party } from '../transport/channel.ts';
import { RoundClock } from '../transport/round-clock.ts';
import type { DimEnv } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import { makeCostParams, opRow } from '../ir/ops/table.ts';
import type { CostParams, Flight } from '../ir/ops/types.ts';
import type { CotDemand, OtCostModel, RefillFlight } from '../crypto/ot/index.ts';
import { opCall } from '../ir/ops/call.ts';
import { buildSchedule, unitLabel, units, type Schedule, type Step } from './schedule.ts';
import { exactOtModel } from '../crypto/nonlinear/context.ts';

/** A flight with the round stamp of each sender's messages. */
export interface TimedFlight extends Flight {
  stamps: Partial<Record<Party, number>>;
}

export interface OpCost {
  /** The step's index in the schedule. */
  step: number;
  /** The channel scope its bytes and rounds are measured under (a concurrent group's, for members). */
  label: string;
  /** The first op of the step, and all of them (more than one when merged). */
  id: number;
  ids: number[];
  op: string;
  bytesC2S: number;
  bytesS2C: number;
  /** Round-clock advance while this step ran, as each party's channel counts it. */
  rounds: Record<Party, number>;
  /** Rounds the step added to the program's total (its share of the critical path). */
  added: number;
  flights: TimedFlight[];
  /** A batch backend's top-up for the next unit ran beside this step (its flights are among `flights`). */
  topUp?: true;
}

export interface ProgramCost {
  /** Steps that communicate, in execution order. */
  ops: OpCost[];
  bytesC2S: number;
  bytesS2C: number;
  rounds: number;
}

/**
 * The session setups a unit's steps use (base OTs; HE keys per ring width): what their cost
 * functions ask for. A concurrent group does them first, on the session channel.
 */
export function setupsOf(s: Schedule, unit: Step[], dims: DimEnv): { ot: boolean; he: number[] } {
  let ot = false;
  const he = new Set<number>();
  const probe: CostParams = {
    ...makeCostParams(),
    otSetup: () => ((ot = true), []),
    heSetup: (ell) => (he.add(ell), []),
  };
  for (const st of unit) stepFlights(s, st, dims, probe);
  return { ot, he: [...he] };
}

/** The exact flights of one step. */
export function stepFlights(s: Schedule, step: Step, dims: DimEnv, given: CostParams): Flight[] {
  const p = s.program, row = opRow(step.op);
  // Exact mode: the session's cost model marked, so every op's cost function prices it (context.ts).
  const params = p.exact ? { ...given, otModel: exactOtModel(given.otModel) } : given;
  const calls = step.ops.map((id) => opCall(p, p.ops[id], dims));
  if (step.ops.length === 1) return row.cost(calls[0], params);
  if (!row.batch) throw new Error(`internal: merged step #${step.index} of '${step.op}', which has no batched implementation`);
  return row.batch.cost(calls, params);
}

/**
 * COTs a step draws per direction (keyed by the COT sender), from its cost functions: what a batch
 * OT backend (Ferret) prefills before the step (docs/ot.md, "Refills between steps"). `model`: a
 * counting model (OtCostModel.drawn); its count is reset here.
 */
export function stepDemand(s: Schedule, step: Step, dims: DimEnv, model: OtCostModel): CotDemand {
  const d = model.drawn;
  if (!d) throw new Error('internal: stepDemand needs a cost model that counts COTs');
  d.client = d.server = 0;
  stepFlights(s, step, dims, { ...makeCostParams({ otModel: model }), otSetup: () => [], heSetup: () => [] });
  return { client: d.client, server: d.server };
}

/** A refill flight as a flight of the schedule (both send at once when both have bytes). */
const refillFlight = ({ c2s, s2c }: RefillFlight): Flight => ({ from: c2s && s2c ? 'both' : c2s ? 'client' : 'server', c2s, s2c });

/** A batch backend's refill before a step (or a concurrent group), as flights on the session clock. */
export function refillFlights(model: OtCostModel, need: CotDemand): Flight[] {
  if (!model.pool || need.client + need.server === 0) return [];
  return model.pool.step(need).map(refillFlight);
}

/**
 * A step's flights with a batch backend's refill, as the executor runs them: base OTs (if this
 * step sets them up) first, then the refill, then the step's own work (`own`, HE setups included).
 */
function withRefill(s: Schedule, step: Step, dims: DimEnv, params: CostParams): { pre: Flight[]; own: Flight[] } {
  const d = params.otModel.drawn;
  if (!params.otModel.pool || !d) return { pre: [], own: stepFlights(s, step, dims, params) };
  d.client = d.server = 0;
  const flights = stepFlights(s, step, dims, params);
  const refill = refillFlights(params.otModel, { client: d.client, server: d.server });
  return { pre: [...flights.filter((f) => f.setup === 'ot'), ...refill], own: flights.filter((f) => f.setup !== 'ot') };
}

/**
 * The COTs of the communicating unit after unit `u`, for a batch backend's top-up beside `u`
 * (docs/ot.md, "Refills ahead of steps"): known before `u` runs unless `u` reveals a size (the
 * next unit's sizes may depend on it). Null then, at the end, or when it draws none. The executor
 * asks the same question at the same point.
 */
export function aheadDemand(s: Schedule, all: Step[][], u: number, dims: DimEnv, model: OtCostModel): CotDemand | null {
  if (all[u].some((st) => st.op === 'reveal')) return null;
  const next = all.slice(u + 1).find((v) => v[0].comm !== 'local');
  if (!next) return null;
  const d = { client: 0, server: 0 };
  for (const st of next) {
    const x = stepDemand(s, st, dims, model);
    d.client += x.client;
    d.server += x.server;
  }
  return d.client + d.server > 0 ? d : null;
}

/** One member of a concurrent group: its flights and their stamps from equal clocks. */
interface Member {
  step: Step | null;
  flights: Flight[];
  rel: Partial<Record<Party, number>>[];
  span: number;
}

function member(step: Step | null, flights: Flight[]): Member {
  const rc = new RoundClock(), rel = flights.map((f) => rc.flight(f));
  return { step, flights, rel, span: Math.max(0, ...rel.flatMap((r) => Object.values(r))) };
}

/**
 * Predict bytes and rounds of a schedule. `dims` must know every size revealed at run time (from a
 * run, or assumed values for `inspect`).
 */
export function predictSchedule(s: Schedule, dims: DimEnv, params: CostParams = makeCostParams()): ProgramCost {
  // The session's HE key plan, as the executor fixes it before its run (src/opt/he-keys.ts).
  params.heKeys.plan ??= heKeyPlan(s);
  const clock = new RoundClock();
  const ops: OpCost[] = [];
  let c2s = 0, s2c = 0;
  const sum = (fs: Flight[], k: 'c2s' | 's2c') => fs.reduce((a, f) => a + f[k], 0);
  const all = units(s), pool = params.otModel.pool, counting = pool?.topUp ? params.otModel.forked() : null;
  /**
   * A concurrent group (src/exec/concurrent.ts): setups first, then supersteps; a member's flight
   * with stamp j (its own rounds, from equal clocks) goes out in superstep j. `extra`: a top-up's
   * flights, a member without a step (its bytes are charged to the first member).
   */
  const group = (label: string, members: Member[], setup: Flight[], extra: Flight[] | null) => {
    const before = { ...clock.high }, total = clock.rounds;
    const setupTimed = setup.map((f) => ({ ...f, stamps: clock.flight(f) }));
    const everyone = extra ? [...members, member(null, extra)] : members;
    const S = Math.max(...everyone.map((m) => m.span));
    const at: Record<Party, number>[] = [];
    for (let j = 1; j <= S; j++) {
      const part = (side: Party) => everyone.reduce((a, m) => a + m.flights.reduce((b, f, k) => b + (m.rel[k][side] === j ? (side === 'client' ? f.c2s : f.s2c) : 0), 0), 0);
      const superstep: Flight = { from: 'both', c2s: part('client'), s2c: part('server') };
      at[j] = clock.flight(superstep) as Record<Party, number>;
    }
    const critical = members.reduce((a, m) => (m.span > a.span ? m : a), members[0]);
    const added = clock.rounds - total;
    const rounds = { client: clock.high.client - before.client, server: clock.high.server - before.server };
    const stamped = (m: Member): TimedFlight[] => m.flights.map((f, i) => ({ ...f, stamps: Object.fromEntries(Object.entries(m.rel[i]).map(([side, j]) => [side, at[j][side as Party]])) }));
    for (const [k, m] of members.entries()) {
      const timed = stamped(m);
      if (k === 0) timed.unshift(...setupTimed);
      if (k === 0 && extra) timed.push(...stamped(everyone.at(-1)!));
      const own = k === 0 ? [...setup, ...m.flights, ...(extra ?? [])] : m.flights;
      c2s += sum(own, 'c2s');
      s2c += sum(own, 's2c');
      const step = m.step!;
      ops.push({ step: step.index, label, id: step.ops[0], ids: step.ops, op: step.op, bytesC2S: sum(own, 'c2s'), bytesS2C: sum(own, 's2c'), rounds, added: m === critical ? added : 0, flights: timed, ...(k === 0 && extra ? { topUp: true as const } : {}) });
    }
  };
  for (const [u, unit] of all.entries()) {
    if (unit[0].comm === 'local') continue;
    const label = unitLabel(s, unit);
    // A batch backend's top-up for the next unit runs beside this one when its demand is known.
    const ahead = counting ? aheadDemand(s, all, u, dims, counting) : null;
    if (unit.length === 1) {
      const step = unit[0], { pre, own } = withRefill(s, step, dims, params);
      const top = ahead ? pool!.topUp!(ahead) : null;
      if (top) {
        // Run as a group of the step and the top-up: base OTs and the refill, then HE setups.
        group(label, [member(step, own.filter((f) => !f.setup))], [...pre, ...own.filter((f) => f.setup)], top.map(refillFlight));
        continue;
      }
      const flights = [...pre, ...own];
      if (flights.length === 0) continue;
      const before = { ...clock.high }, total = clock.rounds;
      const timed = flights.map((f) => ({ ...f, stamps: clock.flight(f) }));
      c2s += sum(flights, 'c2s');
      s2c += sum(flights, 's2c');
      const rounds = { client: clock.high.client - before.client, server: clock.high.server - before.server };
      ops.push({ step: step.index, label, id: step.ops[0], ids: step.ops, op: step.op, bytesC2S: sum(flights, 'c2s'), bytesS2C: sum(flights, 's2c'), rounds, added: clock.rounds - total, flights: timed });
      continue;
    }
    // Members run on forks of the session's OT engine, whose cost model is the fork's (a Ferret
    // session hands each member a slice of its pools, prefilled for all of them on the session
    // channel after the setups: docs/ot.md, "Refills between steps"). The setups the members ask
    // for are recorded while their flights are computed (once) and happen first.
    const needs = { ot: false, he: new Set<number>() };
    const forked: CostParams = { ...params, otModel: params.otModel.forked(), otSetup: () => ((needs.ot = true), []), heSetup: (ell) => (needs.he.add(ell), []) };
    const need: CotDemand = { client: 0, server: 0 };
    const members = unit.map((step) => {
      const d = forked.otModel.drawn;
      if (d) d.client = d.server = 0;
      const m = member(step, stepFlights(s, step, dims, forked));
      if (d) (need.client += d.client), (need.server += d.server);
      return m;
    });
    const setup = [...(needs.ot ? params.otSetup() : []), ...[...needs.he].flatMap((ell) => params.heSetup(ell)), ...refillFlights(params.otModel, need)];
    const top = ahead ? pool!.topUp!(ahead) : null;
    group(label, members, setup, top ? top.map(refillFlight) : null);
  }
  return { ops, bytesC2S: c2s, bytesS2C: s2c, rounds: clock.rounds };
}

/** Predict the sequential (unmerged) execution of a program: every op on its own, in program order. */
export function predictCost(p: IrProgram, dims: DimEnv, params: CostParams = makeCostParams()): ProgramCost {
  return predictSchedule(buildSchedule(p, { merge: false }), dims, params);
}

/**
 * Upper bounds on single messages, per channel scope (step or concurrent group) in execution
 * order: no message a party receives while the unit runs can be larger than the largest flight
 * the peer sends in it. A transport may refuse a larger message at once as a protocol error.
 */
export function messageBounds(cost: ProgramCost): { label: string; maxC2S: number; maxS2C: number }[] {
  const out: { label: string; maxC2S: number; maxS2C: number }[] = [];
  for (const oc of cost.ops) {
    let b = out.at(-1);
    if (!b || b.label !== oc.label) out.push((b = { label: oc.label, maxC2S: 0, maxS2C: 0 }));
    for (const f of oc.flights) {
      b.maxC2S = Math.max(b.maxC2S, f.c2s);
      b.maxS2C = Math.max(b.maxS2C, f.s2c);
    }
  }
  return out;
}
