// When the Ferret pool refills, and what each refill sends: a deterministic function of the COTs
// drawn so far in one direction and of the current call's need. The backend (cot.ts) runs these
// steps; the cost model (FerretReplay) replays the same state machine, so predicted bytes and
// rounds equal the channel's counts, refills included, charged to the call that triggers them.
//
// Per direction (COT sender → receiver):
// 1. While the direction has drawn at most `iknpUpTo` COTs in all (this call included), a refill
//    is exactly the shortfall in IKNP random COTs (16 B each): small programs never pay for a
//    Ferret iteration.
// 2. Beyond that, once: IKNP makes the M = k + t·h COTs of a setup iteration (the bootstrap).
// 3. Then iterations, while the call needs more than the pool holds: `setupIterations` with the
//    setup parameters (more while the direction has drawn under `mainFrom`), then main ones. Each keeps the first M' of its outputs as the next
//    iteration's input (M' of the parameters it will use), the rest joins the pool.
// Under a schedule, refills run between steps for the step's demand (CotSource.prefill; docs/ot.md,
// "Refills between steps"); a standalone engine refills at the start of the call that needs it
// (CotSource.ensure), before the call's own messages.
import type { RefillMessage } from '../cot-source.ts';
import { iknpCost } from '../iknp.ts';
import { consumedBy, FERRET_MAIN, FERRET_SETUP, iterationBytes, type LpnParams } from './params.ts';

export interface FerretSchedule {
  /** Parameters of the first iterations (seeded by IKNP). */
  setup: LpnParams;
  /** Parameters of every later iteration. */
  main: LpnParams;
  /** A direction serves its first COTs from IKNP directly, up to this many in all. */
  iknpUpTo: number;
  /** Iterations with the setup parameters before the main ones (≥ 1). */
  setupIterations: number;
  /**
   * Main iterations only once the direction has drawn this many COTs (this refill's need
   * included): below, setup iterations keep going (≈ 10 MB of buffers instead of ≈ 180 MB, and a
   * fraction of the CPU, for ≈ 5 bits per COT instead of 0.5). Absent: 0.
   */
  mainFrom?: number;
}

/**
 * The paper's parameters (params.ts), bootstrapped at the first refill: refills run between schedule
 * steps, where an IKNP-only phase would add a flight to every step that draws COTs.
 */
export const DEFAULT_SCHEDULE: FerretSchedule = { setup: FERRET_SETUP, main: FERRET_MAIN, iknpUpTo: 0, setupIterations: 2, mainFrom: 1 << 22 };

export type RefillStep =
  /** `n` IKNP random COTs, into the pool or as the next iteration's input. */
  | { kind: 'iknp'; n: number; into: 'pool' | 'reserve' }
  /** One iteration with `params`; its first `keep` outputs are the next iteration's input. */
  | { kind: 'iterate'; params: LpnParams; keep: number };

/** The pool of one direction, as counts (what cot.ts holds as blocks). */
export class PoolState {
  usable = 0;
  drawn = 0;
  private booted = false;
  private setups = 0;
  private next: LpnParams;
  readonly schedule: FerretSchedule;

  constructor(schedule: FerretSchedule) {
    this.schedule = schedule;
    this.next = schedule.setup;
  }

  /** The steps that make `n` COTs usable (none if they already are); the state moves as if they ran. */
  refill(n: number): RefillStep[] {
    const s = this.schedule, steps: RefillStep[] = [];
    if (this.usable >= n) return steps;
    if (!this.booted) {
      if (this.drawn + n <= s.iknpUpTo) {
        steps.push({ kind: 'iknp', n: n - this.usable, into: 'pool' });
        this.usable = n;
        return steps;
      }
      this.booted = true;
      steps.push({ kind: 'iknp', n: consumedBy(s.setup), into: 'reserve' });
    }
    while (this.usable < n) {
      const params = this.next;
      if (params === s.setup) this.setups++;
      this.next = this.setups >= s.setupIterations && this.drawn + n >= (s.mainFrom ?? 0) ? s.main : s.setup;
      const keep = consumedBy(this.next);
      steps.push({ kind: 'iterate', params, keep });
      this.usable += params.n - keep;
    }
    return steps;
  }

  /** `n` COTs leave the pool (after refill(n)). */
  take(n: number): void {
    if (n > this.usable) throw new Error(`internal: Ferret pool has ${this.usable} COTs, ${n} drawn`);
    this.usable -= n;
    this.drawn += n;
  }
}

/** The messages of refill steps, in order (IKNP: one per chunk of `chunk` COTs). */
export function refillMessages(steps: RefillStep[], chunk: number): RefillMessage[] {
  const out: RefillMessage[] = [];
  for (const st of steps) {
    if (st.kind === 'iknp') {
      for (let from = 0; from < st.n; from += chunk) out.push({ from: 'receiver', bytes: iknpCost(Math.min(chunk, st.n - from), chunk).bytesReceiverToSender });
    } else {
      const b = iterationBytes(st.params);
      out.push({ from: 'receiver', bytes: b.receiverToSender }, { from: 'sender', bytes: b.senderToReceiver });
    }
  }
  return out;
}
