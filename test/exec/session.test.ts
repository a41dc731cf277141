// One session, several runs: HE keys and base OTs are set up once; every run's own bytes and
// rounds equal its prediction (setup charged to the first run only), and results stay right.
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/twins.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { LocalSession } from '../../src/exec/session.ts';
import { compile, makeInputs } from './helpers.ts';

describe('LocalSession', () => {
  it('reuses the engines across runs; per-run cost == prediction; outputs == twin', async () => {
    const p = compile('test/exec/programs/layer.cpl');
    const session = new LocalSession(MemoryChannel.pair());
    try {
      const sent: number[] = [];
      for (const seed of [1, 2]) {
        const inputs = makeInputs(p, seed);
        const r = await session.run(p, inputs);
        const twin = realValues(interpret(p, inputs, 'fixed').outputs[0].tensor, 'fixed');
        const got = realValues(r.client.outputs[0]?.tensor ?? r.server.outputs[0].tensor, 'fixed');
        expect(Math.max(...got.map((v, i) => Math.abs(v - twin[i])))).toBeLessThan(0.01);
        expect([r.own.client.bytesSent, r.own.server.bytesSent, Math.max(r.own.client.rounds, r.own.server.rounds)]).toEqual([r.predicted.bytesC2S, r.predicted.bytesS2C, r.predicted.rounds]);
        sent.push(r.own.client.bytesSent + r.own.server.bytesSent);
      }
      expect(sent[1]).toBeLessThan(sent[0]); // the second run pays no setup
    } finally {
      await session.close();
    }
  });
});
