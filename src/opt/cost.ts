// Predicted communication of a schedule: each step's message flights (from the op table: one op's
// `cost`, or a merged step's `batch.cost`), in execution order, with rounds found by replaying the
// channel's round clock (src/transport/round-clock.ts): a party stamps a message with 1 + the
// highest stamp it has received, and the rounds are the highest stamp. Session setup (HE keys,
// base OTs) is charged to the first step that needs it. Prediction == measurement is tested for
// every bundled program, merged and unmerged.
import type { Party } from '../transport/channel.ts';
import { RoundClock } from '../transport/round-clock.ts';
import type { DimEnv } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import { makeCostParams, opRow } from '../ir/ops/table.ts';
import type { CostParams, Flight } from '../ir/ops/types.ts';
import type { CotDemand, OtCostModel } from '../crypto/ot/index.ts';
import { opCall } from '../ir/ops/call.ts';
import { buildSchedule, unitLabel, units, type Schedule, type Step } from './schedule.ts';

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
export function stepFlights(s: Schedule, step: Step, dims: DimEnv, params: CostParams): Flight[] {
  const p = s.program, row = opRow(step.op);
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

/** A batch backend's refill before a step (or a concurrent group), as flights on the session clock. */
export function refillFlights(model: OtCostModel, need: CotDemand): Flight[] {
  if (!model.pool || need.client + need.server === 0) return [];
  return model.pool.step(need).map(({ c2s, s2c }) => ({ from: c2s && s2c ? 'both' : c2s ? 'client' : 'server', c2s, s2c }));
}

/**
 * A step's flights with a batch backend's refill: base OTs (if this step sets them up) first, then
 * the refill, then the step's own work, as the executor runs them.
 */
function withRefill(s: Schedule, step: Step, dims: DimEnv, params: CostParams): Flight[] {
  const d = params.otModel.drawn;
  if (!params.otModel.pool || !d) return stepFlights(s, step, dims, params);
  d.client = d.server = 0;
  const flights = stepFlights(s, step, dims, params);
  const refill = refillFlights(params.otModel, { client: d.client, server: d.server });
  if (refill.length === 0) return flights;
  return [...flights.filter((f) => f.setup === 'ot'), ...refill, ...flights.filter((f) => f.setup !== 'ot')];
}

/**
 * Predict bytes and rounds of a schedule. `dims` must know every size revealed at run time (from a
 * run, or assumed values for `inspect`).
 */
export function predictSchedule(s: Schedule, dims: DimEnv, params: CostParams = makeCostParams()): ProgramCost {
  const clock = new RoundClock();
  const ops: OpCost[] = [];
  let c2s = 0, s2c = 0;
  const sum = (fs: Flight[], k: 'c2s' | 's2c') => fs.reduce((a, f) => a + f[k], 0);
  for (const unit of units(s)) {
    if (unit[0].comm === 'local') continue;
    const label = unitLabel(s, unit);
    const before = { ...clock.high }, total = clock.rounds;
    const rounds = () => ({ client: clock.high.client - before.client, server: clock.high.server - before.server });
    if (unit.length === 1) {
      const step = unit[0], flights = withRefill(s, step, dims, params);
      if (flights.length === 0) continue;
      const timed = flights.map((f) => ({ ...f, stamps: clock.flight(f) }));
      c2s += sum(flights, 'c2s');
      s2c += sum(flights, 's2c');
      ops.push({ step: step.index, label, id: step.ops[0], ids: step.ops, op: step.op, bytesC2S: sum(flights, 'c2s'), bytesS2C: sum(flights, 's2c'), rounds: rounds(), added: clock.rounds - total, flights: timed });
      continue;
    }
    // A concurrent group (src/exec/concurrent.ts): setups first, then supersteps; a member's
    // flight with stamp j (its own rounds, from equal clocks) goes out in superstep j.
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
      const flights = stepFlights(s, step, dims, forked), rc = new RoundClock();
      if (d) (need.client += d.client), (need.server += d.server);
      return { step, flights, rel: flights.map((f) => rc.flight(f)), span: 0 };
    });
    const setup = [...(needs.ot ? params.otSetup() : []), ...[...needs.he].flatMap((ell) => params.heSetup(ell)), ...refillFlights(params.otModel, need)];
    const setupTimed = setup.map((f) => ({ ...f, stamps: clock.flight(f) }));
    for (const m of members) m.span = Math.max(0, ...m.rel.flatMap((r) => Object.values(r)));
    const S = Math.max(...members.map((m) => m.span));
    const at: Record<Party, number>[] = [];
    for (let j = 1; j <= S; j++) {
      const part = (side: Party) => members.reduce((a, m) => a + m.flights.reduce((b, f, k) => b + (m.rel[k][side] === j ? (side === 'client' ? f.c2s : f.s2c) : 0), 0), 0);
      const superstep: Flight = { from: 'both', c2s: part('client'), s2c: part('server') };
      at[j] = clock.flight(superstep) as Record<Party, number>;
    }
    const critical = members.reduce((a, m) => (m.span > a.span ? m : a), members[0]);
    const added = clock.rounds - total;
    for (const [k, m] of members.entries()) {
      const timed: TimedFlight[] = m.flights.map((f, i) => ({ ...f, stamps: Object.fromEntries(Object.entries(m.rel[i]).map(([side, j]) => [side, at[j][side as Party]])) }));
      if (k === 0) timed.unshift(...setupTimed);
      const own = k === 0 ? [...setup, ...m.flights] : m.flights;
      c2s += sum(own, 'c2s');
      s2c += sum(own, 's2c');
      ops.push({ step: m.step.index, label, id: m.step.ops[0], ids: m.step.ops, op: m.step.op, bytesC2S: sum(own, 'c2s'), bytesS2C: sum(own, 's2c'), rounds: rounds(), added: m === critical ? added : 0, flights: timed });
    }
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
