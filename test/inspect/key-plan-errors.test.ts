// The HE key plan (src/opt/he-keys.ts) prices the schedule with every revealed size at its largest
// (a run that prunes nothing). When that fails, the plan does not fall back to the default keys
// unseen: it is an error naming the model, the sizes and the cause; `inspect` prints it and exits
// with status 1 (not an internal error), and a run still reports the op's own error first.
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { heKeyPlan } from '../../src/opt/he-keys.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { compile } from '../exec/helpers.ts';

const PROG = 'test/exec/programs/prune-count.cpl';
const WHY = /cannot plan the HE keys of model 'not_a_size': predicting its cost with every size revealed at run time at its largest \(k=8\) failed: partition: the count 'k1' must be a size/;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), color: false, tty: false });
  return { code, out, err };
}

describe('HE key plan that cannot be priced', () => {
  it('is an error naming the model, the sizes and the cause, not the default keys', () => {
    expect(() => heKeyPlan(buildSchedule(compile(PROG, 'not_a_size')))).toThrow(WHY);
    // A program that prices at its largest sizes still plans (the count k of partition is a size).
    expect(() => heKeyPlan(buildSchedule(compile(PROG, 'wrong_count')))).not.toThrow();
  });

  it('inspect: exit status 1 with that message', async () => {
    const r = await cli(['inspect', PROG, '-m', 'not_a_size', '--assume', 'k=3', '--no-rounds']);
    expect(r.err).not.toMatch(/internal error/);
    expect(r.err).toMatch(WHY);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\n {2}at %\d+ = partition \(test\/exec\/programs\/prune-count\.cpl:35:/);
    // Without sizes revealed at run time: the cause and the op, no empty size list.
    const t = await cli(['inspect', PROG, '-m', 'too_many', '--no-rounds']);
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/cannot plan the HE keys of model 'too_many': predicting its cost failed: compact: k = 9 is out of range[\s\S]*prune-count\.cpl:18:/);
  });

  it('run: the op check before the plan keeps its clearer message (op and line)', async () => {
    const r = await cli(['run', PROG, '-m', 'not_a_size', '--random-inputs', '1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/'partition': its count 'k1' must be a constant, a config size or a revealed count[\s\S]*prune-count\.cpl:35:/);
  }, 30_000);
});
