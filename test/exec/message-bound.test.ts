// The message bound that serve/connect derive from the cost model (src/opt/message-bound.ts)
// is sound: no message of a real run is larger, so an honest peer is never refused.
import { describe, expect, it } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { recvBound } from '../../src/opt/message-bound.ts';
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
