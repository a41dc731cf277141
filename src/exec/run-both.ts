// Both parties in one process over a given channel pair (memory, simulated link, or ws on
// loopback): the default of `cipherprune run`, and what the end-to-end tests use.
import type { InputValues } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import type { Engines } from '../ir/ops/types.ts';
import type { Channel, Counters } from '../transport/channel.ts';
import { buildSchedule } from '../opt/schedule.ts';
import { execute, type ExecuteOptions, type ExecuteResult } from './executor.ts';

export interface BothResult {
  client: ExecuteResult;
  server: ExecuteResult;
  totals: { client: Counters; server: Counters };
  seconds: number;
}

/** Split one inputs object by owner. */
export function splitInputs(p: IrProgram, inputs: InputValues): { client: InputValues; server: InputValues } {
  const out = { client: {} as InputValues, server: {} as InputValues };
  for (const [name, v] of Object.entries(inputs)) {
    const inp = p.inputs.find((i) => i.name === name);
    if (!inp) throw new Error(`the inputs name '${name}', which the program does not declare (inputs: ${p.inputs.map((i) => i.name).join(', ')})`);
    out[inp.owner][name] = v;
  }
  return out;
}

export interface RunBothOptions extends Partial<Pick<ExecuteOptions, 'onProgress' | 'schedule' | 'ot'>> {
  /** Engines of a session that outlives this run (several programs over one OT session and the
   * same HE keys, on the same channel pair); the caller frees them. Default: fresh ones. */
  engines?: { client: Engines; server: Engines };
  /** Each party's trace hook (ExecuteOptions.trace). */
  trace?: { client?: ExecuteOptions['trace']; server?: ExecuteOptions['trace'] };
}

export async function runBoth(p: IrProgram, inputs: InputValues, pair: [Channel, Channel], opts: RunBothOptions = {}): Promise<BothResult> {
  const [c, s] = pair;
  const schedule = opts.schedule ?? buildSchedule(p);
  const split = splitInputs(p, inputs);
  const t0 = performance.now();
  // The first failure closes both ends, so the other party stops at once; it is the one reported.
  let first: unknown = null;
  const guard = (pr: Promise<ExecuteResult>) =>
    pr.catch((e) => {
      if (first === null) {
        first = e;
        c.close();
        s.close();
      }
      throw e;
    });
  const results = await Promise.allSettled([
    guard(execute(p, { party: 'client', ch: c, inputs: split.client, onProgress: opts.onProgress, schedule, engines: opts.engines?.client, ot: opts.ot, trace: opts.trace?.client })),
    guard(execute(p, { party: 'server', ch: s, inputs: split.server, schedule, engines: opts.engines?.server, ot: opts.ot, trace: opts.trace?.server })),
  ]);
  if (first !== null) throw first;
  const [client, server] = results.map((r) => (r as PromiseFulfilledResult<ExecuteResult>).value);
  return { client, server, totals: { client: { ...c.totals }, server: { ...s.totals } }, seconds: (performance.now() - t0) / 1000 };
}
