// What a `serve` process is left with after its sessions end (issue 14): every kind of ending —
// a good run, a program mismatch, a client that drops during HE setup, a client that connects and
// sends nothing — frees every SEAL object of the session, and the server goes on serving; a silent
// client never makes the server allocate an HE context at all; stopping the server returns at once.
// Client and server run in this process, so `sealLive` counts both sides.
import { describe, expect, it } from 'vitest';
import { runServe } from '../../src/cli/two-party.ts';
import { randomInputs } from '../../src/cli/inputs.ts';
import { sealLive } from '../../src/crypto/he/seal.ts';
import { execute } from '../../src/exec/executor.ts';
import { programHash } from '../../src/ir/hash.ts';
import { realValues } from '../../src/ir/twins.ts';
import { interpret } from '../../src/interp/interpret.ts';
import { connect } from '../../src/transport/ws-channel.ts';
import { compile } from '../exec/helpers.ts';

const PROG = 'test/exec/programs/he.cpl';
const SERVER_SEED = 7;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
  return cond();
}

describe('serve after its sessions end', () => {
  it('frees every SEAL object however a session ends, keeps serving, and stops at once', async () => {
    const p = compile(PROG);
    const hash = programHash(p);
    const before = { ...sealLive };
    let log = '';
    const io = { out: (s: string) => void (log += s), err: (s: string) => void (log += s), color: false, tty: false };
    const stop = new AbortController();
    const served = runServe([PROG, '--listen', '127.0.0.1:0', '--random-inputs', String(SERVER_SEED), '--idle-timeout', '1'], io, stop.signal);
    expect(await until(() => /on ws:\/\/127\.0\.0\.1:\d+/.test(log), 20_000)).toBe(true);
    const url = `ws://127.0.0.1:${/on ws:\/\/127\.0\.0\.1:(\d+)/.exec(log)![1]}`;
    const clean = () => sealLive.contexts === before.contexts && sealLive.sessions === before.sessions;

    const inference = async (seed: number) => {
      const ch = await connect(url, { programHash: hash });
      try {
        const res = await execute(p, { party: 'client', ch, inputs: randomInputs(p, seed, 'client') });
        const twin = interpret(p, { ...randomInputs(p, seed, 'client'), ...randomInputs(p, SERVER_SEED, 'server') }, 'fixed');
        expect(Array.from(realValues(res.outputs[0].tensor, 'fixed'))).toEqual(Array.from(realValues(twin.outputs.find((o) => o.to === 'client')!.tensor, 'fixed')));
      } finally {
        ch.close();
      }
    };

    // 1. a good run
    await inference(1);
    expect(await until(clean, 5000)).toBe(true);

    // 2. another program: refused in the handshake
    await expect(connect(url, { programHash: new Uint8Array(32).fill(1) })).rejects.toMatchObject({ kind: 'mismatch' });

    // 3. a client that drops when it is about to send its HE public key
    {
      const ch = await connect(url, { programHash: hash });
      const send = ch.send.bind(ch);
      let sent = 0;
      ch.send = (m) => void (++sent === 2 ? ch.destroy() : send(m));
      await expect(execute(p, { party: 'client', ch, inputs: randomInputs(p, 2, 'client') })).rejects.toThrow(/destroyed/);
      expect(await until(clean, 5000)).toBe(true);
    }

    // 4. a client that completes the handshake and sends nothing: closed at the idle timeout, and
    // the server never set up HE for it (it waits for the client's key before allocating).
    {
      const ch = await connect(url, { programHash: hash, waitTimeoutMs: 0 });
      await sleep(500);
      expect(sealLive).toEqual(before);
      const err = await ch.ended;
      expect(err.kind).toBe('timeout');
      expect(err.message).toMatch(/idle session: waited 1\.\d+ s/);
    }

    // 5. the server goes on serving
    await inference(3);
    expect(await until(clean, 5000)).toBe(true);
    expect(log).toMatch(/session 1: done[\s\S]*session 2 failed: [\s\S]*session 3 failed: idle session[\s\S]*session 4: done/);
    expect(log).toMatch(/connection rejected: program mismatch/);

    const t0 = Date.now();
    stop.abort();
    expect(await served).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(sealLive).toEqual(before);
  }, 60_000);
});
