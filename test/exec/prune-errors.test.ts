// Bad counts for the routing ops: a clear error with the op's source line, on both parties, at
// once (no hang). Out of range: refused before any message. In range but not the mask's count:
// the opened destinations are not a permutation, which both parties see, so both stop. The
// checker's shape and visibility errors (mask of the wrong length, payload whose first axis is
// not the tokens, a secret or non-scalar count) are golden cases in test/front/cases.
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interp/interpret.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { cli, compile } from './helpers.ts';

const PROG = 'test/exec/programs/prune-count.cpl';
const inputs = { x: Array.from({ length: 24 }, (_, i) => i / 8), s: [1, -1, 1, 1, -1, -1, 1, -1] }; // 4 kept

describe('routing ops with a bad count', () => {
  it('out of range: refused before any message, with the source line', async () => {
    const p = compile(PROG, 'too_many');
    const pair = MemoryChannel.pair();
    const t0 = Date.now();
    const err = await runBoth(p, inputs, pair).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/compact: k = 9 is out of range: the mask has 8 entries, so it must be 0\.\.8\n {2}at %\d+ = compact \(test\/exec\/programs\/prune-count\.cpl:18:/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    // Nothing was sent (not even the OT engine's setup, which compact would start here).
    for (const ch of pair) expect(ch.totals.bytesSent).toBe(0);
    expect(() => interpret(p, inputs, 'fixed')).toThrow(/compact: k = 9 is outside the safe range \[0, 8\] of int; the mask has 8 entries[\s\S]*prune-count\.cpl:18/);
  });

  it('in range but not the mask count: both parties stop at the op, with the source line', async () => {
    const p = compile(PROG, 'wrong_count');
    const t0 = Date.now();
    const err = await runBoth(p, inputs, MemoryChannel.pair()).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/partition: k1 = 3 is not the number of set mask bits \(it must be the revealed count of the mask\)\n {2}at %\d+ = partition \(test\/exec\/programs\/prune-count\.cpl:26:/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(() => interpret(p, inputs, 'fixed')).toThrow(/partition: k1 = 3 is outside the safe range \[4, 4\] of int; 4 mask bits are set[\s\S]*prune-count\.cpl:26/);
  }, 30_000);

  it('calibrate\'s probe receives a wrong count as a violation, and nothing for a right one', () => {
    const records: { what: string; bad: number; lo: number }[] = [];
    const probe = () => (r: { what: string; bad: number; lo: number }) => void records.push(r);
    const ops = (m: string) => compile(PROG, m);
    interpret(ops('wrong_count'), inputs, 'fixed', { probe });
    expect(records.filter((r) => r.what === 'k1')).toEqual([expect.objectContaining({ what: 'k1', bad: 1, lo: 4 })]);
    records.length = 0;
    interpret(ops('not_a_size'), inputs, 'fixed', { probe });
    expect(records.filter((r) => r.what === 'k1' || r.what === 'k')).toEqual([]);
  });

  it('a count that is not a size (its cost would be unknown): refused before the run', async () => {
    const p = compile(PROG, 'not_a_size');
    const pair = MemoryChannel.pair();
    const err = await runBoth(p, inputs, pair).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/'partition': its count 'k1' must be a constant, a config size or a revealed count[\s\S]*prune-count\.cpl:35:/);
    for (const ch of pair) expect(ch.totals.bytesSent).toBe(0);
  });

  it('the command line exits with status 1 and prints the op and its line', async () => {
    const c = cli(['run', PROG, '--model', 'too_many', '--random-inputs', '1']);
    expect(await c.exit).toBe(1);
    expect(c.err()).toMatch(/cipherprune: compact: k = 9 is out(side the safe range| of range)[\s\S]*prune-count\.cpl:18/);
  }, 30_000);
});
