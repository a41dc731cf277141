// Calibration (docs/execution.md, "What is checked"): run the fixed-point reference on sample
// inputs with every op's range checks recorded instead of enforced, and compare with float64.
// The secure protocols cannot see the values they work on, so a server runs this on its own
// weights (and representative client inputs) before it deploys a model: it shows each op's
// largest value against its safe range (headroom in bits), the ops at risk, and an encoding
// that holds what was seen. The seam for other input sources (checkpoints, text): anything that
// produces `InputValues` for the compiled program.
import { extraBits, headroomBits, widerEnc, type RangeRecord } from '../crypto/ranges.ts';
import type { IrOp, IrProgram } from '../ir/ir.ts';
import type { InputValues } from '../ir/dim-env.ts';
import { realValues } from '../ir/values.ts';
import { interpret } from './interpret.ts';

/** One checked quantity of one op in the source, over every loop iteration and sample. */
export interface RangeSummary {
  op: string;
  /** file:line:col of the op. */
  where: string;
  /** Inlined calls, outermost first. */
  stack: string[];
  what: string;
  enc: string;
  lo: number;
  hi: number;
  hiIncl: boolean;
  min: number;
  max: number;
  /** log2(bound / largest magnitude); negative: the range was left; −Infinity (null in JSON): a
   * one-sided domain was left (exp's x ≤ 0, recip's x > 0); Infinity (null): nothing near a bound. */
  headroomBits: number;
  /** Elements outside the range (all samples and iterations) and how many were checked. */
  bad: number;
  count: number;
  /** Loop iterations (e.g. 'l=3') where the headroom is smallest. */
  worstAt: string;
  /** An encoding that holds the largest value seen with one bit to spare, when the range
   * grows with the ring; or advice for domains that a wider ring does not fix. */
  suggestion: string | null;
  ids: number[];
}

/** Fixed-point error against float64 per op in the source (its result values). */
export interface ErrorSummary {
  op: string;
  where: string;
  stack: string[];
  maxAbs: number;
  maxErr: number;
  /** maxErr / maxAbs. */
  relErr: number;
  /** One unit in the last place of the result's encoding (2^-s; 1 for integers). */
  ulp: number;
}

export interface CalibrationReport {
  model: string;
  samples: number;
  ranges: RangeSummary[];
  /** Ranges with less than `riskBits` of headroom (violations first). */
  atRisk: RangeSummary[];
  /** Outputs: the fixed-point reference against float64. */
  outputs: { id: number; where: string; maxAbs: number; maxErr: number }[];
  errors: ErrorSummary[];
}

export interface CalibrateOptions {
  /** Headroom below which a range is reported at risk (bits, default 1). */
  riskBits?: number;
  /** Also run float64 and measure the fixed-point error (default true). */
  float?: boolean;
}

const loc = (op: IrOp): string => `${op.where.file}:${op.where.line}:${op.where.col}`;

/** Run the reference on every sample and summarise ranges and errors per source location. */
export function calibrate(p: IrProgram, samples: InputValues[], opts: CalibrateOptions = {}): CalibrationReport {
  const riskBits = opts.riskBits ?? 1;
  const groups = new Map<string, { rec: RangeRecord; op: IrOp; worst: number; worstAt: string; ids: Set<number> }>();
  const errs = new Map<string, ErrorSummary>();
  const outputs = new Map<number, { id: number; where: string; maxAbs: number; maxErr: number }>();
  for (const inputs of samples) {
    const fixed = interpret(p, inputs, 'fixed', {
      probe: (op) => (r) => {
        const key = `${loc(op)}|${op.op}|${op.where.stack.join('>')}|${r.what}`;
        const h = headroomBits(r), g = groups.get(key);
        if (!g) return void groups.set(key, { rec: { ...r }, op, worst: h, worstAt: op.where.loops.join(' '), ids: new Set([op.id]) });
        g.rec.min = Math.min(g.rec.min, r.min);
        g.rec.max = Math.max(g.rec.max, r.max);
        g.rec.bad += r.bad;
        g.rec.count += r.count;
        g.rec.first ??= r.first;
        g.ids.add(op.id);
        if (h < g.worst) [g.worst, g.worstAt] = [h, op.where.loops.join(' ')];
      },
    });
    if (opts.float === false) continue;
    const float = interpret(p, inputs, 'float');
    for (const op of p.ops) {
      const a = fixed.values[op.id], b = float.values[op.id];
      if (!a || !b || a.enc.kind === 'bool' || a.enc.kind === 'lit' || op.op === 'input' || op.op === 'const') continue;
      const va = realValues(a, 'fixed'), vb = realValues(b, 'float');
      let maxAbs = 0, maxErr = 0;
      for (let i = 0; i < va.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(vb[i]));
        maxErr = Math.max(maxErr, Math.abs(va[i] - vb[i]));
      }
      const key = `${loc(op)}|${op.op}|${op.where.stack.join('>')}`;
      const e = errs.get(key) ?? { op: op.op, where: loc(op), stack: op.where.stack, maxAbs: 0, maxErr: 0, relErr: 0, ulp: a.enc.kind === 'fix' ? 2 ** -a.enc.scale : 1 };
      e.maxAbs = Math.max(e.maxAbs, maxAbs);
      e.maxErr = Math.max(e.maxErr, maxErr);
      e.relErr = e.maxAbs > 0 ? e.maxErr / e.maxAbs : 0;
      errs.set(key, e);
      if (op.op === 'output') {
        const o = outputs.get(op.id) ?? { id: op.id, where: loc(op), maxAbs: 0, maxErr: 0 };
        o.maxAbs = Math.max(o.maxAbs, maxAbs);
        o.maxErr = Math.max(o.maxErr, maxErr);
        outputs.set(op.id, o);
      }
    }
  }
  const ranges: RangeSummary[] = [...groups.values()].map(({ rec, op, worst, worstAt, ids }) => ({
    op: op.op,
    where: loc(op),
    stack: op.where.stack,
    what: rec.what,
    enc: rec.enc,
    lo: rec.lo,
    hi: rec.hi,
    hiIncl: !!rec.hiIncl,
    min: rec.min,
    max: rec.max,
    headroomBits: headroomBits(rec),
    bad: rec.bad,
    count: rec.count,
    worstAt: worst === Infinity ? '' : worstAt,
    suggestion: suggest(rec, riskBits),
    ids: [...ids],
  }));
  ranges.sort((a, b) => a.headroomBits - b.headroomBits || a.where.localeCompare(b.where));
  return {
    model: p.model,
    samples: samples.length,
    ranges,
    atRisk: ranges.filter((r) => r.headroomBits < riskBits),
    outputs: [...outputs.values()],
    errors: [...errs.values()].sort((a, b) => b.relErr - a.relErr),
  };
}

/** An encoding with `riskBits` to spare over what was seen, or the domain's advice. */
function suggest(r: RangeRecord, riskBits: number): string | null {
  const h = headroomBits(r);
  if (h >= riskBits) return null;
  if (!r.widen || h === -Infinity) return r.hint ?? null;
  const margin = { ...r, max: r.max * 2 ** riskBits, min: r.min * 2 ** riskBits };
  const k = Math.max(1, extraBits(margin));
  return `${widerEnc(margin)} (${k} more bit${k > 1 ? 's' : ''} in the ring)`;
}
