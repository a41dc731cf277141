// Predicted time of a schedule on a network profile: the predicted flights replayed through the
// simulated link's model (src/transport/sim-channel.ts), so that, without compute, the prediction
// is the simulated link's time exactly:
//   a message of b bytes sent by p at its virtual time T_p starts when the link direction is free,
//   takes 8·b / bandwidth, and arrives one one-way latency (RTT / 2) later; a receiver's clock
//   moves to the arrival. Both directions are independent (full duplex).
// Compute: each step's local work is `perByte[class] · bytes + perStep` seconds (a model
// calibrated by a short benchmark on the running machine, src/exec/calibrate.ts), spent by each
// flight's senders before they send, in proportion to the flight's bytes.
import type { Party } from '../transport/channel.ts';
import type { NetworkProfile } from '../transport/sim-channel.ts';
import type { CommClass } from '../ir/ops/types.ts';
import type { ProgramCost } from './cost.ts';
import type { Schedule } from './schedule.ts';

export interface ComputeModel {
  /** Seconds of local work (both parties together) per byte a step sends, by communication class. */
  perByte: Partial<Record<CommClass, number>>;
  /** The client's share of a class's work (default: half); the rest is the server's. */
  clientShare?: Partial<Record<CommClass, number>>;
  /** Seconds of local work per communicating step (dispatch, local ops around it). */
  perStep: number;
  /** Session setup, both parties together: base OTs, and HE keys (per ring width). */
  setup: { ot: number; he: number };
  /** The client's share of each setup's work (default: half). */
  setupClientShare?: Partial<Record<'ot' | 'he', number>>;
  /** Where the figures come from (e.g. "calibrated on this machine in 3.1 s"). */
  source: string;
}

export interface PredictedTime {
  /** Elapsed seconds (the later party's clock). */
  seconds: number;
  /** Without compute: network time alone. */
  networkSeconds: number;
  computeSeconds: number;
  /** Clock (the later party's) after each costed step, in `cost.ops` order. */
  stepEnd: number[];
}

class LinkClock {
  readonly now: Record<Party, number> = { client: 0, server: 0 };
  private readonly free: Record<Party, number> = { client: 0, server: 0 };
  private readonly profile: NetworkProfile;
  constructor(profile: NetworkProfile) {
    this.profile = profile;
  }

  /** One flight: each sender spends its `work` seconds, sends its bytes; then receivers receive,
   * and a receiver that did not send spends its work after the flight arrived. */
  flight(from: Party | 'both', c2s: number, s2c: number, work: Record<Party, number>): void {
    const senders: Party[] = from === 'both' ? ['client', 'server'] : [from];
    const arrivals: [Party, number][] = [];
    for (const p of senders) {
      this.now[p] += work[p];
      const bytes = p === 'client' ? c2s : s2c;
      const start = Math.max(this.now[p], this.free[p]);
      this.free[p] = start + (8 * bytes) / this.profile.bitsPerSecond;
      arrivals.push([p === 'client' ? 'server' : 'client', this.free[p] + this.profile.rttSeconds / 2]);
    }
    for (const [r, at] of arrivals) this.now[r] = Math.max(this.now[r], at);
    if (from !== 'both') {
      const r: Party = from === 'client' ? 'server' : 'client';
      this.now[r] += work[r];
    }
  }

  get elapsed(): number {
    return Math.max(this.now.client, this.now.server);
  }
}

export function predictTime(s: Schedule, cost: ProgramCost, profile: NetworkProfile, compute?: ComputeModel): PredictedTime {
  const withWork = new LinkClock(profile), bare = new LinkClock(profile);
  const stepEnd: number[] = [];
  let computeSeconds = 0;
  for (const oc of cost.ops) {
    const cls = s.steps[oc.step].comm;
    const own = oc.flights.filter((f) => !f.setup);
    const total = own.reduce((a, f) => a + f.c2s + f.s2c, 0);
    const work = compute ? (compute.perByte[cls] ?? 0) * total + compute.perStep : 0;
    computeSeconds += work;
    for (const f of oc.flights) {
      // Setup work is charged to its first flight; an op's work to its flights by their bytes.
      const setupWork = compute && f.setup && f === oc.flights.find((g) => g.setup === f.setup) ? compute.setup[f.setup] : 0;
      computeSeconds += setupWork;
      const share = f.setup ? setupWork : total > 0 ? (work * (f.c2s + f.s2c)) / total : work / own.length;
      const c = f.setup ? (compute?.setupClientShare?.[f.setup] ?? 0.5) : (compute?.clientShare?.[cls] ?? 0.5);
      const split: Record<Party, number> = { client: share * c, server: share * (1 - c) };
      withWork.flight(f.from, f.c2s, f.s2c, split);
      bare.flight(f.from, f.c2s, f.s2c, { client: 0, server: 0 });
    }
    stepEnd.push(withWork.elapsed);
  }
  return { seconds: withWork.elapsed, networkSeconds: bare.elapsed, computeSeconds, stepEnd };
}
