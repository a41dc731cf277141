// The schedule: the order in which both parties run a program's ops, and which ops run together
// as one batched invocation. Built by named passes over the IR (docs/schedule.md):
//
//   fold      public scalars computed from constants become constants
//   fuse      a conversion that drops fractional bits moves into the recip / rsqrt it converts
//   dce       ops that reach no output or reveal are dropped
//   depth     communication depth of every op
//   merge     OT protocols and openings at one depth with equal merge keys: one invocation
//   hegroup   HE products at one depth that share their secret operand: one product
//   otbatch   the remaining steps of one depth run concurrently, in lockstep rounds: each round
//             one message per direction per step (src/exec/concurrent.ts)
//
// Unmerged (`merge: false`, for comparison) every op is its own step, in program order: the
// sequential execution. Merged, steps run depth by depth: at each depth first the communicating
// steps (ordered by their first op), then the local ops that depend on them.
import { formatIr, type IrOp, type IrProgram } from '../ir/ir.ts';
import { opRow } from '../ir/ops/table.ts';
import type { CommClass } from '../ir/ops/types.ts';
import { deadOps } from './dce.ts';
import { commDepths } from './depth.ts';
import { foldPublic } from './fold.ts';
import { fuseConverts } from './fuse.ts';
import { mergeKeys } from './merge.ts';

export interface Step {
  /** Position in execution order. */
  index: number;
  /** Communication depth of the step's ops (0: local ops needing no communication). */
  depth: number;
  comm: CommClass;
  /** The op name (every op of a step has the same). */
  op: string;
  /** Op ids, in program order; more than one for a merged step. */
  ops: number[];
  /** Merge key of a merged step. */
  key: string | null;
  /** Steps with the same group (the index of the group's first step) run concurrently. */
  group: number | null;
}

export interface Schedule {
  /** The program after public folding (ids unchanged). */
  program: IrProgram;
  /** Ops the schedule does not run (dead). */
  dead: ReadonlySet<number>;
  /** Communication depth per op id. */
  depths: number[];
  steps: Step[];
  merged: boolean;
}

export const PASSES = ['fold', 'fuse', 'dce', 'depth', 'merge', 'hegroup', 'otbatch'] as const;
export type PassName = (typeof PASSES)[number];

export interface ScheduleOptions {
  /** Merge rounds (default true); false gives the sequential schedule, for comparison. */
  merge?: boolean;
}

interface State {
  program: IrProgram;
  dead: Set<number>;
  depths?: number[];
  keys: Map<number, string>;
  concurrent: boolean;
}

/** The passes in order, each a function of the state so far. */
function runPasses(p: IrProgram, merge: boolean, stop?: PassName): State {
  const st: State = { program: p, dead: new Set(), keys: new Map(), concurrent: false };
  const passes: Record<PassName, () => void> = {
    fold: () => (st.program = foldPublic(st.program).program),
    fuse: () => (st.program = fuseConverts(st.program).program),
    dce: () => (st.dead = deadOps(st.program)),
    depth: () => (st.depths = commDepths(st.program, st.dead)),
    merge: () => merge && addKeys(st, mergeKeys(st.program, st.dead, ['ot', 'open'])),
    hegroup: () => merge && addKeys(st, mergeKeys(st.program, st.dead, ['he'])),
    otbatch: () => (st.concurrent = merge),
  };
  for (const name of PASSES) {
    passes[name]();
    if (name === stop) break;
  }
  return st;
}

function addKeys(st: State, keys: Map<number, string>): void {
  for (const [id, k] of keys) st.keys.set(id, k);
}

export function buildSchedule(p: IrProgram, opts: ScheduleOptions = {}): Schedule {
  const merged = opts.merge ?? true;
  const st = runPasses(p, merged);
  const depths = st.depths!;
  return { program: st.program, dead: st.dead, depths, steps: orderSteps(st.program, st.dead, depths, st.keys, merged, st.concurrent), merged };
}

function orderSteps(p: IrProgram, dead: ReadonlySet<number>, depths: number[], keys: Map<number, string>, merged: boolean, concurrent = false): Step[] {
  const live = p.ops.filter((op) => !dead.has(op.id));
  const single = (id: number): Omit<Step, 'index'> => ({ depth: depths[id], comm: opRow(p.ops[id].op).comm, op: p.ops[id].op, ops: [id], key: null, group: null });
  let steps: Omit<Step, 'index'>[];
  if (!merged) steps = live.map((op) => single(op.id));
  else {
    const maxDepth = Math.max(0, ...live.map((op) => depths[op.id]));
    const comm: Omit<Step, 'index'>[][] = Array.from({ length: maxDepth + 1 }, () => []);
    const local: Omit<Step, 'index'>[][] = Array.from({ length: maxDepth + 1 }, () => []);
    const byKey = new Map<string, Omit<Step, 'index'>>();
    for (const op of live) {
      const d = depths[op.id];
      if (opRow(op.op).comm === 'local') {
        local[d].push(single(op.id));
        continue;
      }
      const k = keys.get(op.id);
      const group = k === undefined ? undefined : byKey.get(`${d} ${k}`);
      if (group) group.ops.push(op.id);
      else {
        const s = { ...single(op.id), key: k ?? null };
        comm[d].push(s);
        if (k !== undefined) byKey.set(`${d} ${k}`, s);
      }
    }
    steps = comm.flatMap((c, d) => [...c, ...local[d]]);
  }
  // otbatch: the communicating steps of one depth (they never depend on each other) run together,
  // openings of run-time sizes included (the concurrent runner serves side-by-side receives in
  // call order: src/exec/concurrent.ts).
  if (concurrent) {
    for (let i = 0; i < steps.length; ) {
      let j = i;
      while (j < steps.length && steps[j].comm !== 'local' && steps[j].depth === steps[i].depth) j++;
      if (j - i >= 2) for (let k = i; k < j; k++) steps[k].group = i;
      i = Math.max(j, i + 1);
    }
  }
  return steps.map((s, index) => ({ ...s, index }));
}

/** What runs as one unit: a step on its own, or the steps of a concurrent group. */
export function units(s: Schedule): Step[][] {
  const out: Step[][] = [];
  for (const st of s.steps) {
    const last = out.at(-1);
    if (st.group !== null && last && last[0].group === st.group) last.push(st);
    else out.push([st]);
  }
  return out;
}

/** Channel scope of a unit: the step's label, or `#first-last group` for a concurrent group. */
export const unitLabel = (s: Schedule, u: Step[]): string => (u.length === 1 ? stepLabel(s, u[0]) : `#${u[0].index}-${u.at(-1)!.index} group`);

/** Channel scope label of an op run on its own. */
export const scopeLabel = (op: IrOp): string => `%${op.id} ${op.op}`;

/** Channel scope of a step: `%id op` for one op, `#index op xN` for a merged step. */
export const stepLabel = (s: Schedule, step: Step): string =>
  step.ops.length === 1 ? scopeLabel(s.program.ops[step.ops[0]]) : `#${step.index} ${step.op} x${step.ops.length}`;

// ---- text forms (compile --dump-after PASS, inspect) ----

const where = (p: IrProgram, id: number): string => {
  const w = p.ops[id].where;
  return `${w.file}:${w.line}${w.loops.length ? ' ' + w.loops.join(' ') : ''}`;
};

/** The steps that communicate, one line each, grouped by depth. */
export function formatSchedule(s: Schedule): string {
  const p = s.program;
  const comm = s.steps.filter((st) => st.comm !== 'local');
  const depth = Math.max(0, ...comm.map((st) => st.depth));
  const lines = [`schedule ${p.model} (${s.merged ? 'merged' : 'unmerged'}): ${s.steps.length} steps, ${comm.length} communicating, depth ${depth}, ${s.dead.size} dead ops`];
  let last = -1;
  for (const st of comm) {
    if (s.merged && st.depth !== last) lines.push(`depth ${(last = st.depth)}${st.group !== null ? ' (concurrent)' : ''}`);
    const ops = st.ops.map((id) => `%${id}`).join(' ');
    lines.push(`  #${st.index} ${st.op}${st.ops.length > 1 ? ` x${st.ops.length}` : ''} [${ops}]  ${where(p, st.ops[0])}`);
  }
  return lines.join('\n') + '\n';
}

/** The program or schedule as it stands after one pass. */
export function dumpAfter(p: IrProgram, pass: PassName, opts: ScheduleOptions = {}): string {
  const merged = opts.merge ?? true;
  const st = runPasses(p, merged, pass);
  if (pass === 'fold' || pass === 'fuse') return formatIr(st.program);
  const live = { ...st.program, ops: st.program.ops.filter((op) => !st.dead.has(op.id)) };
  if (pass === 'dce') return formatIr(live);
  if (pass === 'depth') {
    return formatIr(live)
      .split('\n')
      .map((line) => {
        const m = /^ {2}%(\d+) = /.exec(line);
        return m ? `  d${st.depths![Number(m[1])]} ${line.trimStart()}` : line;
      })
      .join('\n');
  }
  return formatSchedule({ program: st.program, dead: st.dead, depths: st.depths!, steps: orderSteps(st.program, st.dead, st.depths!, st.keys, merged, st.concurrent), merged });
}
