// What `cipherprune inspect` shows, as data (the JSON form; docs/schedule.md lists the keys):
// per round the messages in each direction with bytes, primitive and layer; per step the bytes,
// rounds and predicted time; totals beside the unmerged schedule's; the critical path; breakdowns
// by layer and by primitive; and, given a run report, predicted beside measured.
import type { Party } from '../transport/channel.ts';
import type { NetworkProfile } from '../transport/sim-channel.ts';
import type { IrProgram } from '../ir/ir.ts';
import type { ProgramCost } from '../opt/cost.ts';
import type { Schedule } from '../opt/schedule.ts';
import { predictTime, type ComputeModel } from '../opt/time.ts';

export interface InspectStep {
  index: number;
  op: string;
  ops: number[];
  depth: number;
  /** Loop iterations of the step's ops (e.g. "l=3"); "top" outside loops. */
  layer: string;
  /** The innermost function the ops come from (e.g. "nn.softmax"), or the model. */
  fn: string;
  where: string;
  bytesC2S: number;
  bytesS2C: number;
  /** Rounds this step added to the total. */
  rounds: number;
  /** First and last round stamp of the step's messages. */
  firstRound: number;
  lastRound: number;
  /** Session setup (base OTs, HE keys) happened in this step. */
  setup: boolean;
  /** Predicted clock (seconds) when the step ends, with a network profile. */
  endSeconds?: number;
}

export interface InspectMessage {
  from: Party;
  bytes: number;
  step: number;
}

export interface InspectRound {
  round: number;
  c2s: number;
  s2c: number;
  messages: InspectMessage[];
}

export interface Breakdown {
  key: string;
  bytesC2S: number;
  bytesS2C: number;
  rounds: number;
  steps: number;
  seconds?: number;
}

export interface Totals {
  bytesC2S: number;
  bytesS2C: number;
  rounds: number;
}

/** What a run measured (from `cipherprune run --report`), per step label. */
export interface MeasuredRun {
  totals: Totals;
  /** Counters per channel scope label, each party's. */
  scopes: Record<string, Partial<Record<Party, { bytesSent: number; rounds: number }>>>;
  simulatedSeconds?: number;
  network?: string;
  seconds?: number;
}

export interface Inspection {
  program: string;
  model: string;
  config: Record<string, number>;
  /** Sizes revealed at run time, as assumed (or as a run revealed them). */
  sizes: Record<string, number>;
  merged: boolean;
  network: NetworkProfile | null;
  compute: ComputeModel | null;
  totals: Totals & { steps: number; commSteps: number; seconds?: number; networkSeconds?: number; computeSeconds?: number };
  /** The other schedule (unmerged when this one is merged, and vice versa), for comparison. */
  other: Totals & { merged: boolean };
  steps: InspectStep[];
  rounds: InspectRound[];
  byLayer: Breakdown[];
  byPrimitive: Breakdown[];
  /** Steps in the order they add rounds, the largest first. */
  criticalPath: { step: number; rounds: number }[];
  measured?: {
    totals: Totals;
    steps: { step: number; label: string; predicted: Totals; measured: Totals }[];
    /** Steps whose measured bytes or rounds differ from the prediction. */
    mismatches: number;
    simulatedSeconds?: number;
    network?: string;
    seconds?: number;
  };
}

export interface InspectInput {
  file: string;
  schedule: Schedule;
  cost: ProgramCost;
  other: ProgramCost;
  sizes: Record<string, number>;
  network?: NetworkProfile;
  compute?: ComputeModel;
  measured?: MeasuredRun;
}

const layerOf = (p: IrProgram, ids: number[]): string => [...new Set(ids.map((id) => p.ops[id].where.loops.join(' ') || 'top'))].join(', ');
const fnOf = (p: IrProgram, id: number): string => p.ops[id].where.stack.at(-1) ?? p.model;

function breakdown(steps: InspectStep[], keyOf: (s: InspectStep) => string, seconds: (s: InspectStep) => number | undefined): Breakdown[] {
  const by = new Map<string, Breakdown>();
  for (const s of steps) {
    const k = keyOf(s);
    const b = by.get(k) ?? { key: k, bytesC2S: 0, bytesS2C: 0, rounds: 0, steps: 0 };
    b.bytesC2S += s.bytesC2S;
    b.bytesS2C += s.bytesS2C;
    b.rounds += s.rounds;
    b.steps++;
    const t = seconds(s);
    if (t !== undefined) b.seconds = (b.seconds ?? 0) + t;
    by.set(k, b);
  }
  return [...by.values()];
}

export function inspect(i: InspectInput): Inspection {
  const { schedule: s, cost } = i;
  const p = s.program;
  const time = i.network ? predictTime(s, cost, i.network, i.compute) : undefined;
  const steps: InspectStep[] = cost.ops.map((oc, k) => {
    const st = s.steps[oc.step];
    const stamps = oc.flights.flatMap((f) => Object.values(f.stamps));
    const w = p.ops[oc.id].where;
    return {
      index: oc.step,
      op: oc.op,
      ops: oc.ids,
      depth: st.depth,
      layer: layerOf(p, oc.ids),
      fn: fnOf(p, oc.id),
      where: `${w.file}:${w.line}`,
      bytesC2S: oc.bytesC2S,
      bytesS2C: oc.bytesS2C,
      rounds: oc.added,
      firstRound: Math.min(...stamps),
      lastRound: Math.max(...stamps),
      setup: oc.flights.some((f) => f.setup),
      endSeconds: time?.stepEnd[k],
    };
  });
  const rounds: InspectRound[] = Array.from({ length: cost.rounds }, (_, r) => ({ round: r + 1, c2s: 0, s2c: 0, messages: [] }));
  for (const oc of cost.ops) {
    for (const f of oc.flights) {
      for (const [party, stamp] of Object.entries(f.stamps) as [Party, number][]) {
        const bytes = party === 'client' ? f.c2s : f.s2c;
        const r = rounds[stamp - 1];
        if (party === 'client') r.c2s += bytes;
        else r.s2c += bytes;
        const last = r.messages.at(-1);
        if (last && last.from === party && last.step === oc.step) last.bytes += bytes;
        else r.messages.push({ from: party, bytes, step: oc.step });
      }
    }
  }
  const duration = (st: InspectStep): number | undefined => {
    if (st.endSeconds === undefined) return undefined;
    const k = steps.indexOf(st);
    return st.endSeconds - (k > 0 ? steps[k - 1].endSeconds! : 0);
  };
  const comm = s.steps.filter((x) => x.comm !== 'local');
  const out: Inspection = {
    program: i.file,
    model: p.model,
    config: p.config,
    sizes: i.sizes,
    merged: s.merged,
    network: i.network ?? null,
    compute: i.compute ?? null,
    totals: {
      bytesC2S: cost.bytesC2S,
      bytesS2C: cost.bytesS2C,
      rounds: cost.rounds,
      steps: s.steps.length,
      commSteps: comm.length,
      seconds: time?.seconds,
      networkSeconds: time?.networkSeconds,
      computeSeconds: time ? time.computeSeconds : undefined,
    },
    other: { merged: !s.merged, bytesC2S: i.other.bytesC2S, bytesS2C: i.other.bytesS2C, rounds: i.other.rounds },
    steps,
    rounds,
    byLayer: breakdown(steps, (x) => x.layer, duration),
    byPrimitive: breakdown(steps, (x) => x.op, duration).sort((a, b) => b.rounds - a.rounds || b.bytesC2S + b.bytesS2C - a.bytesC2S - a.bytesS2C),
    criticalPath: steps.filter((x) => x.rounds > 0).map((x) => ({ step: x.index, rounds: x.rounds })).sort((a, b) => b.rounds - a.rounds || a.step - b.step),
  };
  if (i.measured) out.measured = compare(i.measured, cost);
  return out;
}

function compare(m: MeasuredRun, cost: ProgramCost): NonNullable<Inspection['measured']> {
  // Per channel scope: a step, or a concurrent group (its members' bytes together).
  const byLabel = new Map<string, { step: number; predicted: Totals }>();
  for (const oc of cost.ops) {
    const e = byLabel.get(oc.label);
    if (e) {
      e.predicted.bytesC2S += oc.bytesC2S;
      e.predicted.bytesS2C += oc.bytesS2C;
    } else byLabel.set(oc.label, { step: oc.step, predicted: { bytesC2S: oc.bytesC2S, bytesS2C: oc.bytesS2C, rounds: Math.max(oc.rounds.client, oc.rounds.server) } });
  }
  const steps = [...byLabel].map(([label, { step, predicted }]) => {
    const c = m.scopes[label] ?? {};
    return { step, label, predicted, measured: { bytesC2S: c.client?.bytesSent ?? 0, bytesS2C: c.server?.bytesSent ?? 0, rounds: Math.max(c.client?.rounds ?? 0, c.server?.rounds ?? 0) } };
  });
  const differs = (a: Totals, b: Totals) => a.bytesC2S !== b.bytesC2S || a.bytesS2C !== b.bytesS2C || a.rounds !== b.rounds;
  return { totals: m.totals, steps, mismatches: steps.filter((x) => differs(x.predicted, x.measured)).length, simulatedSeconds: m.simulatedSeconds, network: m.network, seconds: m.seconds };
}
