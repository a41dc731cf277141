// serve / connect in different modes (exact or default; part of the program hash): the handshake
// still refuses, and both sides say which mode each runs and what to change, instead of a bare
// "program mismatch". Both parties run in this process (runServe, runConnect).
import { describe, expect, it } from 'vitest';
import { runConnect, runServe } from '../../src/cli/two-party.ts';
import { ChannelError } from '../../src/transport/channel.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One refused session: the server's log and exit status, and the client's error. */
async function mismatch(serverArgs: string[], clientArgs: string[]): Promise<{ server: string; code: number; client: string }> {
  let log = '';
  const io = { out: (s: string) => void (log += s), err: (s: string) => void (log += s), color: false, tty: false };
  const served = runServe([...serverArgs, '--listen', '127.0.0.1:0', '--once', '--no-prepare'], io);
  for (let i = 0; i < 1000 && !/on ws:\/\/127\.0\.0\.1:\d+/.test(log); i++) await sleep(20);
  const port = /on ws:\/\/127\.0\.0\.1:(\d+)/.exec(log)![1];
  const quiet = { out: () => {}, err: () => {}, color: false, tty: false };
  const err = await runConnect([...clientArgs, '--to', `127.0.0.1:${port}`], quiet).then(() => null, (e: Error) => e);
  expect(err).toBeInstanceOf(ChannelError);
  expect((err as ChannelError).kind).toBe('mismatch');
  return { server: log, code: await served, client: err!.message };
}

describe('serve and connect in different modes', () => {
  it("a server in exact mode from its checkpoint's thresholds.json, a client without --exact: both say so", async () => {
    const prog = ['protocols/bert.cpl', '-m', 'bert_cipherprune'];
    const r = await mismatch([...prog, '--checkpoint', 'models/bert-sentiment'], [...prog, '--tokenizer', 'models/bert-sentiment', '--text', 'Loved it.']);
    expect(r.code).toBe(6);
    expect(r.client).toMatch(/program mismatch: the server runs exact mode \(--exact, or a checkpoint whose thresholds\.json says "exact": true\), the client default mode; pass --exact$/);
    expect(r.server).toMatch(/connection rejected: program mismatch: this server runs program [0-9a-f]{64}, the client runs [0-9a-f]{64}; the client runs default mode, this server exact mode \(its checkpoint's thresholds\.json says "exact": true\); the client must pass --exact\n/);
  }, 60_000);

  it('the reverse: a client with --exact, a server in default mode', async () => {
    const prog = ['test/exec/programs/he.cpl'];
    const r = await mismatch([...prog, '--random-inputs', '7'], [...prog, '--random-inputs', '7', '--exact']);
    expect(r.code).toBe(6);
    expect(r.client).toMatch(/program mismatch: the server runs default mode, the client exact mode; leave out --exact \(or the server must run in exact mode too\)$/);
    expect(r.server).toMatch(/; the client runs exact mode, this server default mode; the client must leave out --exact, or the server run with --exact\n/);
  }, 60_000);

  it('a server with --exact names the flag; other differences keep the generic message', async () => {
    const prog = ['test/exec/programs/he.cpl', '--random-inputs', '7'];
    const r = await mismatch([...prog, '--exact'], prog);
    expect(r.server).toMatch(/this server exact mode \(--exact\); the client must pass --exact\n/);
    expect(r.client).toMatch(/the server runs exact mode .*; pass --exact$/);
    const g = await mismatch([...prog, '--exact'], [...prog, '--config', 'm=5']);
    expect(g.client).toMatch(/program mismatch: the server runs a different program or config; both must compile the same program$/);
    expect(g.server).not.toMatch(/exact mode/);
  }, 60_000);
});
