// `serve` prepares its HE weights before it accepts clients (issue 16, item 2): a rehearsal session
// fills the process's prepared-weights cache, the report gives blocks and MiB, and a real session
// afterwards takes its weight blocks from the cache (hits, no new blocks) and is exact.
import { afterAll, describe, expect, it } from 'vitest';
import { runServe } from '../../src/cli/two-party.ts';
import { servePrepare } from '../../src/cli/serve-prepare.ts';
import { randomInputs } from '../../src/cli/inputs.ts';
import { closeProcessPool, heConfig, processWeightCache } from '../../src/crypto/he/index.ts';
import { execute } from '../../src/exec/executor.ts';
import { programHash } from '../../src/ir/hash.ts';
import { realValues } from '../../src/ir/twins.ts';
import { interpret } from '../../src/interp/interpret.ts';
import { connect } from '../../src/transport/ws-channel.ts';
import { compile } from '../exec/helpers.ts';

const PROG = 'test/exec/programs/he.cpl';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('serve prepares its weights', () => {
  afterAll(async () => {
    heConfig.threads = 1;
    heConfig.weightCacheBytes = 0;
    servePrepare.minWeightElements = 2 ** 19;
    await closeProcessPool();
  });

  it('before the first client; the session hits the cache and is exact', async () => {
    servePrepare.minWeightElements = 0; // he.cpl's weights are tiny: rehearse anyway
    const p = compile(PROG);
    let out = '';
    const io = { out: (s: string) => void (out += s), err: (s: string) => void (out += s), color: false, tty: false };
    const stop = new AbortController();
    const served = runServe([PROG, '--listen', '127.0.0.1:0', '--random-inputs', '7', '--threads', '1', '--he-cache-mb', '16'], io, stop.signal);
    for (let i = 0; i < 1000 && !/on ws:\/\/127\.0\.0\.1:\d+/.test(out); i++) await sleep(20);
    // The report comes before the server listens.
    const m = /prepared weights: (\d+) blocks of (\d+) weight operands, (\d+) of 16 MiB/.exec(out);
    expect(m, out).not.toBeNull();
    expect(out.indexOf('prepared weights')).toBeLessThan(out.indexOf('on ws://'));
    expect(Number(m![1])).toBeGreaterThan(0);
    const before = processWeightCache()!.report();
    const ch = await connect(`ws://127.0.0.1:${/on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]}`, { programHash: programHash(p) });
    try {
      const res = await execute(p, { party: 'client', ch, inputs: randomInputs(p, 3, 'client') });
      const twin = interpret(p, { ...randomInputs(p, 3, 'client'), ...randomInputs(p, 7, 'server') }, 'fixed');
      expect(Array.from(realValues(res.outputs[0].tensor, 'fixed'))).toEqual(Array.from(realValues(twin.outputs.find((o) => o.to === 'client')!.tensor, 'fixed')));
    } finally {
      ch.close();
    }
    const after = processWeightCache()!.report();
    expect(after.blocks).toBe(before.blocks);
    expect(after.hits - before.hits).toBe(before.blocks);
    stop.abort();
    expect(await served).toBe(0);
  }, 60_000);
});
