// The op table and stdlib/prelude.cpl agree: one row per prim (and only builtins otherwise);
// the bundled programs lower to IR that verifies; the IR text form is stable (golden).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/front/index.ts';
import { formatIr } from '../../src/ir/ir.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import { opTable } from '../../src/ir/ops/table.ts';
import { verifyIr } from '../../src/ir/verify.ts';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/twins.ts';
import { makeInputs } from '../exec/helpers.ts';

const prelude = check([{ path: 'stdlib/prelude.cpl' }]);
const prims = prelude.modules.find((m) => m.isPrelude)!.ast.items.flatMap((i) => (i.kind === 'Fn' && i.prim ? [i] : []));
const arity = new Map(prims.map((p) => [p.name, p.params.length]));

describe('op table', () => {
  it('has exactly one non-builtin row per prelude prim', () => {
    const rows = [...opTable.values()];
    expect(rows.filter((r) => !r.builtin).map((r) => r.name).sort()).toEqual(prims.map((p) => p.name).sort());
    for (const r of rows.filter((x) => x.builtin)) expect(arity.has(r.name), `builtin ${r.name} must not shadow a prim`).toBe(false);
  });

  it('every row has a class, a cost function and a twin; missing implementations say why', () => {
    for (const r of opTable.values()) {
      expect(['local', 'open', 'ot', 'he']).toContain(r.comm);
      expect(typeof r.cost).toBe('function');
      expect(typeof r.twin).toBe('function');
      if (!r.impl) expect(r.pending, r.name).toMatch(/needs/);
      if (r.comm === 'local') expect(r.mergeKey).toBeNull();
    }
  });
});

describe('bundled programs lower to verified IR', () => {
  const r = check([{ path: 'protocols/bert.cpl' }, { path: 'protocols/gpt2.cpl' }]);
  for (const m of r.models) {
    it(`${m.name}`, () => {
      const p = lowerModel(r, m);
      expect(verifyIr(p, arity)).toEqual([]);
      expect(p.outputs.length).toBe(1);
      // The plaintext reference runs it in both modes; fixed point stays close to float64.
      const inputs = makeInputs(p, 5);
      for (const k of Object.keys(inputs)) if (k.startsWith('theta') || k === 'pad') inputs[k] = Array.from(inputs[k], () => 0);
      for (const k of Object.keys(inputs)) if (/_g$/.test(k)) inputs[k] = Array.from(inputs[k], () => 1);
      const fixed = interpret(p, inputs, 'fixed');
      const float = interpret(p, inputs, 'float');
      const a = realValues(fixed.outputs[0].tensor, 'fixed');
      const b = realValues(float.outputs[0].tensor, 'float');
      const err = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      expect(err).toBeLessThan(0.05);
      if (m.name.includes('cipherprune')) expect(Object.keys(fixed.revealed).length).toBeGreaterThan(0);
    });
  }

  it('IR text form (golden; UPDATE_GOLDEN=1 regenerates)', () => {
    const rr = check([{ path: 'test/exec/programs/he.cpl' }]);
    const text = formatIr(lowerModel(rr, rr.models[0]));
    const golden = 'test/ir/he.ir.expected';
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  it('a malformed program fails verification', () => {
    const rr = check([{ path: 'test/exec/programs/he.cpl' }]);
    const p = lowerModel(rr, rr.models[0]);
    const bad = { ...p, ops: p.ops.map((o) => (o.op === 'output' ? { ...o, op: 'add', args: [o.args[0], 999] } : o)) };
    expect(verifyIr(bad, arity).map((e) => e.message).join('\n')).toMatch(/uses %999 before it is defined/);
    const leak = { ...p, ops: p.ops.map((o) => (o.op === 'colsum' ? { ...o, type: { ...o.type, vis: 'public' as const } } : o)) };
    expect(verifyIr(leak, arity).map((e) => e.message).join('\n')).toMatch(/secret argument .* flows into a public result without a reveal/);
  });
});
