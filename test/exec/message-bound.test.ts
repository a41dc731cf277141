// The message bound that serve/connect derive from the cost model (src/opt/message-bound.ts)
// is sound: no message of a real run is larger, so an honest peer is never refused. Programs that
// reveal sizes (pruning) are bounded with every revealed count at its largest value.
import { describe, expect, it } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { RUNTIME_SIZE_MARGIN, largestRevealedSizes, recvBound } from '../../src/opt/message-bound.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { DimEnv } from '../../src/ir/dim-env.ts';
import type { Dim } from '../../src/front/dims.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { compile, makeInputs, recording } from './helpers.ts';

describe('recvBound', () => {
  it.each(['test/exec/programs/he.cpl', 'test/exec/programs/layer.cpl', 'test/exec/programs/local.cpl'])('%s: every received message fits the bound', async (file) => {
    const p = compile(file);
    const [c, s] = MemoryChannel.pair().map(recording);
    await runBoth(p, makeInputs(p, 5), [c.ch, s.ch]);
    const bc = recvBound(p, 'client')!, bs = recvBound(p, 'server')!;
    expect(bc).not.toBeNull();
    expect(c.largest()).toBeLessThanOrEqual(bc);
    expect(s.largest()).toBeLessThanOrEqual(bs);
  }, 60_000);
});

describe('recvBound with sizes revealed at run time', () => {
  it.each([['protocols/bert.cpl', 'bert_cipherprune'], ['protocols/gpt2.cpl', 'gpt2_cipherprune']])('%s %s: the bound (every count at its largest) covers every flight for any kept counts', (file, model) => {
    const p = compile(file, model);
    expect(p.runtimeDims.length).toBeGreaterThan(0);
    const largest = largestRevealedSizes(p)!;
    expect(largest).not.toBeNull();
    const bound = { client: recvBound(p, 'client')!, server: recvBound(p, 'server')! };
    // was the 1 GiB fallback; the round-lean protocols send each comparison's OT preparations in
    // its first flight, and recip/rsqrt/GELU evaluate their candidates beside their comparisons
    // (side.ts), so GPT-2's largest flight is about 8.7 MB
    expect(bound.server).toBeLessThan(2 ** 24);
    const schedule = buildSchedule(p); // the merged schedule, as serve and connect run it
    // Deterministic random counts, each between 1 and its largest value given the earlier ones.
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // Counts the program cannot reveal are skipped: BERT's kh counts a mask that implies the keep
    // mask (compact_split's precondition kh ≤ k), which the sampler does not know.
    let tried = 0;
    for (let trial = 0; trial < 80 && tried < 40; trial++) {
      const dims = new DimEnv();
      for (const rd of p.runtimeDims) {
        const n = dims.eval(p.ops[p.ops[rd.op].args[0]].attrs.n as Dim);
        dims.bindReveal(p, rd.op, [1 + Math.floor(rand() * n)]);
      }
      let c2s = 0, s2c = 0, cost;
      try {
        cost = predictSchedule(schedule, dims);
      } catch (e) {
        if (e instanceof RangeError && /k1 = \d+ is out of range: the first rows are kept rows/.test(e.message)) continue;
        throw e;
      }
      tried++;
      for (const op of cost.ops) for (const f of op.flights) (c2s = Math.max(c2s, f.c2s)), (s2c = Math.max(s2c, f.s2c));
      // Without the margin: the largest counts give the largest messages on this program.
      expect(c2s).toBeLessThanOrEqual(bound.server / RUNTIME_SIZE_MARGIN);
      expect(s2c).toBeLessThanOrEqual(bound.client / RUNTIME_SIZE_MARGIN);
    }
    expect(tried).toBeGreaterThanOrEqual(20);
  });
});
