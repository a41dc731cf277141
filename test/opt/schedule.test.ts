// The schedule: passes, merging and its cost. Secure runs of merged and unmerged schedules are in
// test/exec (run.test.ts, models.test.ts); here, predictions and structure, for every bundled
// program (the pruned ones with assumed kept counts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/front/index.ts';
import { DimEnv } from '../../src/ir/dim-env.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import { opRow } from '../../src/ir/ops/table.ts';
import { messageBounds, predictSchedule } from '../../src/opt/cost.ts';
import { buildSchedule, dumpAfter, formatSchedule, PASSES } from '../../src/opt/schedule.ts';
import { inspect } from '../../src/inspect/inspection.ts';
import { formatInspection } from '../../src/inspect/text.ts';
import { NETWORKS } from '../../src/transport/sim-channel.ts';
import { compile } from '../exec/helpers.ts';

/** Every model of the bundled programs (and the executor's test programs), with revealed sizes
 * assumed (about 2/3 kept per layer). */
function bundled(): { name: string; p: IrProgram; dims: DimEnv }[] {
  const out: { name: string; p: IrProgram; dims: DimEnv }[] = [];
  for (const file of ['protocols/bert.cpl', 'protocols/gpt2.cpl', 'test/exec/programs/layer.cpl', 'test/exec/programs/he.cpl', 'test/exec/programs/local.cpl']) {
    for (const m of check([{ path: file }]).models) {
      const p = compile(file, m.name);
      const dims = new DimEnv();
      let n = p.config.seq_len ?? 1;
      for (const r of p.runtimeDims) {
        if (r.symbol.name.startsWith('k@')) n = Math.max(1, Math.ceil((2 * n) / 3));
        dims.values.set(r.symbol, r.symbol.name.startsWith('kh@') ? Math.ceil(n / 2) : n);
      }
      out.push({ name: `${file} ${m.name}`, p, dims });
    }
  }
  return out;
}

describe.each(bundled())('$name', ({ p, dims }) => {
  const merged = buildSchedule(p);
  const unmerged = buildSchedule(p, { merge: false });

  it('merged rounds <= unmerged rounds, and no more bytes', () => {
    const m = predictSchedule(merged, dims), u = predictSchedule(unmerged, dims);
    expect(m.rounds).toBeLessThanOrEqual(u.rounds);
    expect(m.bytesC2S + m.bytesS2C).toBeLessThanOrEqual(u.bytesC2S + u.bytesS2C);
  });

  it('runs every live op once, each after its arguments; merged steps share op, depth and key', () => {
    for (const s of [merged, unmerged]) {
      const seen = new Set<number>();
      for (const st of s.steps) {
        for (const id of st.ops) {
          for (const a of s.program.ops[id].args) expect(seen.has(a), `%${id} after its argument %${a}`).toBe(true);
          expect(s.program.ops[id].op).toBe(st.op);
          expect(s.depths[id]).toBe(st.depth);
        }
        for (const id of st.ops) seen.add(id);
        if (st.ops.length > 1) expect(opRow(st.op).batch, `${st.op} merged without a batch`).toBeDefined();
      }
      expect(seen.size + s.dead.size).toBe(p.ops.length);
    }
  });

  it('message bounds: per step or group, no flight larger than the bound', () => {
    const c = predictSchedule(merged, dims), bounds = messageBounds(c);
    expect(new Set(bounds.map((b) => b.label)).size).toBe(bounds.length);
    for (const oc of c.ops) {
      const b = bounds.find((x) => x.label === oc.label)!;
      for (const f of oc.flights) expect(f.c2s <= b.maxC2S && f.s2c <= b.maxS2C).toBe(true);
    }
  });

  it('ops at one depth never depend on each other', () => {
    for (const op of merged.program.ops) {
      if (opRow(op.op).comm === 'local' || merged.dead.has(op.id)) continue;
      for (const a of op.args) expect(merged.depths[a]).toBeLessThan(merged.depths[op.id]);
    }
  });
});

describe('passes', () => {
  const text = `type F = fix<32, 12>
config { n = 4 }
model m {
  input x: client F[n]
  input y: server F[n]
  let unused = gt_ss(x, y)
  let a = x * y
  let b = x * (y + 1.0)
  let c = rsqrt_pp(16.0) * 2.0
  output a + b * c to client
}`;
  const r = check([{ path: 'passes.cpl', text }]);
  const p = compile('passes.cpl', undefined, undefined, text);

  it('the program checks', () => expect(r.ok).toBe(true));

  it('fold: public scalars from constants become constants', () => {
    const out = dumpAfter(p, 'fold');
    expect(out).not.toMatch(/rsqrt_pp/);
    expect(out).toMatch(/const\(\) \{value=0\.5\}/);
  });

  it('dce: an op nothing uses is not run', () => {
    const s = buildSchedule(p);
    const dead = [...s.dead].map((id) => p.ops[id].op);
    expect(dead).toContain('gt_ss');
    expect(dumpAfter(p, 'dce')).not.toMatch(/gt_ss/);
  });

  it('depth: communicating ops are numbered by depth', () => {
    expect(dumpAfter(p, 'depth')).toMatch(/ {2}d1 %\d+ = mul_sx/);
  });

  it('merge: the two products at depth 1 run as one step; unmerged they do not', () => {
    const s = buildSchedule(p);
    const mul = s.steps.filter((st) => st.op === 'mul_sx');
    expect(mul.map((st) => st.ops.length)).toEqual([2]);
    expect(buildSchedule(p, { merge: false }).steps.filter((st) => st.op === 'mul_sx')).toHaveLength(2);
    expect(dumpAfter(p, 'merge')).toMatch(/mul_sx x2/);
  });

  it('every pass can be dumped', () => {
    for (const pass of PASSES) expect(dumpAfter(p, pass).length).toBeGreaterThan(0);
  });
});

describe('golden schedule of a small program (UPDATE_GOLDEN=1 regenerates)', () => {
  it('test/exec/programs/layer.cpl: schedule and inspect table', () => {
    const p = compile('test/exec/programs/layer.cpl');
    const s = buildSchedule(p);
    const dims = new DimEnv();
    const x = inspect({
      file: 'test/exec/programs/layer.cpl', schedule: s, cost: predictSchedule(s, dims), other: predictSchedule(buildSchedule(p, { merge: false }), dims),
      sizes: {}, network: NETWORKS.wan,
    });
    const text = formatSchedule(s) + '\n' + formatInspection(x);
    const golden = 'test/opt/layer.schedule.expected';
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});
