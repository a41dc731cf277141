// Both parties in one process for several runs of one session: the HE keys and base OTs are set
// up once (ExecuteOptions.engines) and reused by every later run, as a long-lived connection
// would. Each run reports its own bytes and rounds (channel counters are cumulative, so the
// differences) and its prediction, where session setup is charged only to the run that paid it.
import type { InputValues } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import { predictSchedule, type ProgramCost } from '../opt/cost.ts';
import { makeCostParams } from '../ir/ops/table.ts';
import type { CostParams } from '../ir/ops/types.ts';
import { zeroCounters, type Channel, type Counters, type Party } from '../transport/channel.ts';
import { SessionEngines } from './engines.ts';
import type { OtChoice } from '../crypto/ot/index.ts';
import type { ExecuteOptions } from './executor.ts';
import { runBoth, type BothResult, type RunBothOptions } from './run-both.ts';

export interface SessionRun extends BothResult {
  /** This run's own counters (differences of the channels' totals). */
  own: Record<Party, Counters>;
  predicted: ProgramCost;
}

function minus(a: Readonly<Counters>, b: Readonly<Counters>): Counters {
  const out = zeroCounters();
  for (const k of Object.keys(out) as (keyof Counters)[]) out[k] = a[k] - b[k];
  return out;
}

export class LocalSession {
  readonly pair: [Channel, Channel];
  private readonly engines: Record<Party, SessionEngines>;
  private readonly costParams: CostParams;

  /** `ot`: the correlated-OT backend (default DEFAULT_OT_BACKEND). */
  constructor(pair: [Channel, Channel], opts: { ot?: OtChoice } = {}) {
    this.pair = pair;
    this.engines = { client: new SessionEngines('client', pair[0], opts), server: new SessionEngines('server', pair[1], opts) };
    this.costParams = makeCostParams(opts);
  }

  /** One run; `schedule` as in ExecuteOptions (default: the merged schedule). The prediction is
   * of the schedule that ran. `trace`: each party's hook (benchmarks that open intermediate
   * values, e.g. bench/accuracy's importance scores). */
  async run(p: IrProgram, inputs: InputValues, opts: Pick<ExecuteOptions, 'onProgress' | 'schedule'> & Pick<RunBothOptions, 'trace'> = {}): Promise<SessionRun> {
    const before = { client: { ...this.pair[0].totals }, server: { ...this.pair[1].totals } };
    const r = await runBoth(p, inputs, this.pair, { ...opts, engines: this.engines });
    const own = { client: minus(r.totals.client, before.client), server: minus(r.totals.server, before.server) };
    return { ...r, own, predicted: predictSchedule(r.client.schedule, r.client.dims, this.costParams) };
  }

  /** Free every SEAL object of the session and close the channels. */
  async close(): Promise<void> {
    await Promise.all([this.engines.client.close(), this.engines.server.close()]);
    this.pair[0].close();
    this.pair[1].close();
  }
}
