// Products by a broadcast vector: lowering leaves a row ([..., 1]) or trailing ([d]) vector
// unexpanded as the second operand of mul_ss / mul_sx (src/ir/fuse-broadcast.ts), the op table
// hands the broadcast to the protocol (src/ir/ops/mul.ts), merged products of the same layout run
// as one protocol, and the results stay within the stated bounds of the twins and of float64.
// (Twin equality and predicted == measured bytes and rounds over every channel: run.test.ts.)
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/twins.ts';
import { bcastOf } from '../../src/ir/tensor.ts';
import { makeCostParams, opRow } from '../../src/ir/ops/table.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { compile, makeInputs } from '../exec/helpers.ts';
import type { OpCall } from '../../src/ir/ops/types.ts';

const FILE = 'test/exec/programs/broadcast.cpl';

describe('bcastOf', () => {
  it('reads rows, trailing vectors and scalars, and refuses other shapes', () => {
    expect(bcastOf([3, 4], [3, 4])).toBeUndefined();
    expect(bcastOf([3, 4], [3, 1])).toEqual({ kind: 'row', cols: 4 });
    expect(bcastOf([2, 3, 4], [2, 3, 1])).toEqual({ kind: 'row', cols: 4 });
    expect(bcastOf([3, 4], [4])).toEqual({ kind: 'col', cols: 4 });
    expect(bcastOf([3, 4], [1, 4])).toEqual({ kind: 'col', cols: 4 });
    expect(bcastOf([2, 3, 4], [3, 4])).toEqual({ kind: 'col', cols: 12 });
    expect(bcastOf([3, 4], [])).toEqual({ kind: 'col', cols: 1 });
    expect(() => bcastOf([3, 4], [3])).toThrow(/does not broadcast over \[3, 4\]/);
    expect(() => bcastOf([3, 4], [2, 1])).toThrow(/does not broadcast/);
  });
});

describe('products by a broadcast vector', () => {
  const p = compile(FILE);
  const inputs = makeInputs(p, 5);
  const products = p.ops.filter((op) => op.op === 'mul_ss' || op.op === 'mul_sx');

  it('lowering keeps the vector unexpanded, second', () => {
    const shapes = products.map((op) => op.args.map((a) => p.ops[a].type.shape.length));
    // s * r, r * s (moved second), s * g, s * c, q * w (a [2, n, d/2] by [n, d/2]), s * v, v * c
    expect(shapes).toEqual([[2, 2], [2, 2], [2, 1], [2, 1], [3, 2], [2, 2], [2, 1]]);
    for (const op of products) for (const a of op.args) expect(p.ops[a].op).not.toBe('broadcast');
  });

  it('merged products of one layout run as one step (rows; trailing vectors, transposed)', () => {
    const s = buildSchedule(p, { merge: true });
    const sizes = s.steps.filter((st) => st.op === 'mul_ss').map((st) => st.ops.length).sort();
    expect(sizes).toEqual([1, 1, 2, 2]);
  });

  it('costs a fraction of the expanded product (LayerNorm rows of 768, 128 rows)', () => {
    const cost = (call: OpCall) => {
      const cp = makeCostParams();
      cp.otSetup();
      return opRow('mul_ss').cost(call, cp).reduce((t, f) => t + f.c2s + f.s2c, 0);
    };
    const enc = { kind: 'fix', ell: 32, scale: 12 } as const;
    const arg = (shape: number[]) => ({ vis: 'secret' as const, enc, shape });
    const full = cost({ args: [arg([128, 768]), arg([128, 768])], type: arg([128, 768]), attrs: {} });
    const row = cost({ args: [arg([128, 768]), arg([128, 1])], type: arg([128, 768]), attrs: {} });
    // Expanded: 2ℓ COTs per element; by rows: 2ℓ ring elements per element (+ the truncation).
    expect(row / full).toBeLessThan(0.4);
  });

  it('secure results are within 9 ULP of the fixed-point twin and 2^-8 of float64', async () => {
    const fixed = interpret(p, inputs, 'fixed'), float = interpret(p, inputs, 'float');
    const run = await runBoth(p, inputs, MemoryChannel.pair());
    for (const o of p.outputs) {
      const got = realValues(run[o.to].outputs.find((x) => x.id === o.id)!.tensor, 'fixed');
      const twin = realValues(fixed.outputs.find((x) => x.id === o.id)!.tensor, 'fixed');
      const real = realValues(float.outputs.find((x) => x.id === o.id)!.tensor, 'float');
      expect(got.length).toBe(real.length);
      // The twin: the operands r, c (div_sp) and v (mul_sp) are each within 1 ULP of the twin's
      // (their truncations are probabilistic), and the product truncates once more (≤ 1 ULP):
      // with operands below 4 in magnitude, |a·b − a'·b'| ≤ 4 + 4 ULP, + 1 ULP. Float64: input
      // quantisation (2^-13 per input), the division's and the product's truncations.
      expect(Math.max(...got.map((v, i) => Math.abs(v - twin[i])))).toBeLessThanOrEqual(9 * 2 ** -12);
      expect(Math.max(...got.map((v, i) => Math.abs(v - real[i])))).toBeLessThanOrEqual(2 ** -8);
    }
  });
});
