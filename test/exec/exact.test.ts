// Exact mode (IrProgram.exact; docs/tuning.md, "Exact mode"): a secure run of CipherPrune BERT
// (tiny default config, random weights, random thresholds: no calibration away from the
// thresholds is needed) equals the fixed-point reference bit for bit — every value both parties'
// traces open (HE products, softmax's exp / recip / products, LayerNorm, GELU, the importance
// scores, the keep masks, the logits) is the interpreter's — and its bytes and rounds are the
// prediction's. The same program without the mode differs (the control: the check can fail).
// The mode is part of the program's identity (its hash).
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interp/interpret.ts';
import { importanceOps } from '../../src/interp/thresholds.ts';
import { programHash } from '../../src/ir/hash.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import { makeCostParams } from '../../src/ir/ops/table.ts';
import type { ExecValue } from '../../src/ir/ops/types.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { compile, openTrace, pruneInputs } from './helpers.ts';

/** Secure run vs the fixed-point reference: the ops whose opened value differs, and how many were compared. */
async function compareRun(p: IrProgram, seed: number) {
  const inputs = pruneInputs(p, seed);
  const traces = { client: new Map<number, ExecValue>(), server: new Map<number, ExecValue>() };
  const pair = MemoryChannel.pair();
  const run = await runBoth(p, inputs, pair, { ot: 'ferret', trace: { client: (op, v) => traces.client.set(op.id, v), server: (op, v) => traces.server.set(op.id, v) } });
  // The reference of the program that ran (the schedule's, whose fusions change some ops, e.g.
  // LayerNorm's Σx² with its division): op ids are the traces'.
  const sp = run.client.schedule.program, ref = interpret(sp, inputs, 'fixed');
  const differ: string[] = [], seen = new Set<string>();
  let compared = 0;
  for (const op of sp.ops) {
    const c = traces.client.get(op.id), s = traces.server.get(op.id), want = ref.values[op.id];
    if (!c || !s || !want || (c.data === null && s.data === null)) continue;
    const got = Array.from(openTrace(c, s) as ArrayLike<number | bigint>).map(Number), exp = Array.from(want.data as ArrayLike<number | bigint>).map(Number);
    compared++;
    seen.add(op.op);
    if (got.length !== exp.length || got.some((v, i) => v !== exp[i])) differ.push(`%${op.id} ${op.op} (${op.where.file}:${op.where.line})`);
  }
  const predicted = predictSchedule(run.client.schedule, run.client.dims, makeCostParams({ ot: 'ferret' }));
  const measured = [pair[0].totals.bytesSent, pair[1].totals.bytesSent, Math.max(pair[0].totals.rounds, pair[1].totals.rounds)];
  return { differ, compared, seen, ref, run, predicted, measured, scores: importanceOps(sp) };
}

/** One input by default (≈ 15 s here at load 10); four with CIPHERPRUNE_SLOW=1. */
const SLOW = process.env.CIPHERPRUNE_SLOW === '1';

describe('exact mode: CipherPrune BERT (tiny) equals its fixed-point reference', () => {
  const faithful = compile('protocols/bert.cpl', 'bert_cipherprune');
  const exact: IrProgram = { ...faithful, exact: true };

  it('is part of the program hash', () => {
    expect(Buffer.from(programHash(exact)).toString('hex')).not.toBe(Buffer.from(programHash(faithful)).toString('hex'));
  });

  it('every opened value bit for bit, revealed counts and logits too; bytes and rounds as predicted', { timeout: 180_000 }, async () => {
    for (const seed of SLOW ? [1, 2, 3, 4] : [1]) {
      const r = await compareRun(exact, seed);
      expect(r.differ, `seed ${seed}`).toEqual([]);
      for (const op of ['matmul_sx', 'bmm_t_ss', 'exp_hi', 'recip', 'rsqrt', 'mul_ss', 'gelu_hi', 'gelu_lo', 'exp_lo']) expect(r.seen.has(op), `${op} compared`).toBe(true);
      for (const id of r.scores) expect(r.differ.some((d) => d.startsWith(`%${id} `))).toBe(false);
      expect(r.compared).toBeGreaterThan(300);
      expect(r.run.client.revealed).toEqual(r.ref.revealed);
      expect(Array.from(r.run.client.outputs[0].tensor.data as ArrayLike<number>)).toEqual(Array.from(r.ref.outputs[0].tensor.data as ArrayLike<number>));
      expect(r.measured).toEqual([r.predicted.bytesC2S, r.predicted.bytesS2C, r.predicted.rounds]);
    }
  });

  it('control: without the mode the same run differs from the reference (faithful truncations)', { timeout: 120_000 }, async () => {
    const r = await compareRun(faithful, 1);
    expect(r.differ.length).toBeGreaterThan(10);
    expect(r.measured).toEqual([r.predicted.bytesC2S, r.predicted.bytesS2C, r.predicted.rounds]);
  });
});
