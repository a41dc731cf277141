// The concurrent runner (src/exec/concurrent.ts): invocations that run exchanges side by side get
// the peer's messages in the order they asked for them, and a superstep waits for a side-by-side
// flow that is still on its way to its send (it only waits on microtasks), so each exchange is
// one round. Before the fix, a virtual channel kept one pending receive, so the second of two
// side-by-side receives took the first's message: GPT-2 CipherPrune's `reveal kh` grouped with
// LayerNorm's rsqrt (whose clamp and B2A share a flight) fell out of step.
import { describe, expect, it } from 'vitest';
import { runConcurrently } from '../../src/exec/concurrent.ts';
import { MemoryChannel, type Channel } from '../../src/transport/channel.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/twins.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { compile, makeInputs } from './helpers.ts';

/** One exchange: send `len` bytes tagged `tag`, then receive the peer's, checked. */
async function exchange(ch: Channel, tag: number, len: number, delay = 0): Promise<number> {
  for (let i = 0; i < delay; i++) await Promise.resolve();
  ch.send(new Uint8Array(len).fill(tag));
  const got = await ch.recv();
  if (got.length !== len || got[0] !== tag) throw new Error(`exchange ${tag}: got ${got.length} bytes tagged ${got[0]}`);
  return tag;
}

describe('runConcurrently', () => {
  it('serves side-by-side receives in call order, one round per exchange', async () => {
    const [c, s] = MemoryChannel.pair();
    // Invocation 0: two exchanges side by side (the second a few microtasks late), then one more.
    // Invocation 1: a single exchange (a reveal).
    const body = (party: 'client' | 'server') => async (i: number, ch: Channel) => {
      if (i === 1) return [await exchange(ch, 9, 4)];
      const first = await Promise.all([exchange(ch, 1, 37), exchange(ch, 2, 203, party === 'client' ? 5 : 0)]);
      return [...first, await exchange(ch, 3, 70)];
    };
    const [rc, rs] = await Promise.all([runConcurrently(c, 2, body('client')), runConcurrently(s, 2, body('server'))]);
    expect(rc).toEqual([[1, 2, 3], [9]]);
    expect(rs).toEqual([[1, 2, 3], [9]]);
    expect(c.totals.bytesSent).toBe(37 + 203 + 70 + 4);
    expect(Math.max(c.totals.rounds, s.totals.rounds)).toBe(2);
  });
});

describe('a revealed run-time size beside rsqrt in one concurrent group', () => {
  const p = compile('test/exec/programs/reveal-group.cpl', 'reveal_beside_rsqrt');
  const schedule = buildSchedule(p);

  it('the schedule groups them (no special case for run-time sizes)', () => {
    const rsqrt = schedule.steps.find((st) => st.op === 'rsqrt')!;
    const reveal = schedule.steps.find((st) => st.op === 'reveal')!;
    expect(rsqrt.group).not.toBeNull();
    expect(reveal.group).toBe(rsqrt.group);
  });

  it('runs merged with the twin results, and the predicted bytes and rounds', async () => {
    for (const seed of [1, 2, 3]) {
      const inputs = makeInputs(p, seed);
      const twin = interpret(p, inputs, 'fixed');
      const run = await runBoth(p, inputs, MemoryChannel.pair(), { schedule });
      expect(run.client.revealed).toEqual(twin.revealed);
      for (const o of run.client.outputs) {
        const want = realValues(twin.outputs.find((x) => x.id === o.id)!.tensor, 'fixed');
        const got = realValues(o.tensor, 'fixed');
        // rsqrt: 2 ULP + 3·2^-F relative of its twin (docs/schedule.md), r ≤ 0.5 here, plus the
        // product's truncation (1 ULP) times rsqrt's slope (≤ 1/16); compact: exact.
        got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(0.002));
      }
      const predicted = predictSchedule(schedule, run.client.dims);
      expect([run.totals.client.bytesSent, run.totals.server.bytesSent]).toEqual([predicted.bytesC2S, predicted.bytesS2C]);
      expect(Math.max(run.totals.client.rounds, run.totals.server.rounds)).toBe(predicted.rounds);
    }
  }, 120_000);
});
