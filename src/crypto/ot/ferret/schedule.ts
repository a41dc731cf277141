// When the Ferret pool refills, and what each refill sends: a deterministic function of the COTs
// drawn so far in one direction and of the current call's need. The backend (cot.ts) runs these
// steps; the cost model (FerretReplay) replays the same state machine, so predicted bytes and
// rounds equal the channel's counts, refills included, charged to the call that triggers them.
//
// Per direction (COT sender → receiver):
// 1. While the direction has drawn at most `iknpUpTo` COTs in all (this call included), a refill
//    is exactly the shortfall in SoftSpokenOT random COTs (softspoken.ts: 128/k − 1 bits each, and
//    the punctured-PRF sums once per direction): small programs never pay for a Ferret iteration.
// 2. Beyond that, once: SoftSpokenOT makes the M = k + t·h COTs of a setup iteration (the
//    bootstrap; IKNP's 16 B per COT before, docs/ot.md "SoftSpokenOT").
// 3. Then iterations, while the call needs more than the pool holds: `setupIterations` with the
//    setup parameters (more while the direction has drawn under `mainFrom`), then main ones. Each keeps the first M' of its outputs as the next
//    iteration's input (M' of the parameters it will use), the rest joins the pool.
// Under a schedule, refills run between steps for the step's demand (CotSource.prefill; docs/ot.md,
// "Refills between steps"); a standalone engine refills at the start of the call that needs it
// (CotSource.ensure), before the call's own messages.
import type { Party } from '../../../transport/channel.ts';
import type { RefillFlight, RefillMessage } from '../cot-source.ts';
import { softSpokenChunkBytes } from '../softspoken.ts';
import { PPRF_BYTES } from '../softspoken-vole.ts';
import { consumedBy, FERRET_MAIN, FERRET_SETUP, iterationBytes, type LpnParams } from './params.ts';

export interface FerretSchedule {
  /** Parameters of the first iterations (seeded by SoftSpokenOT). */
  setup: LpnParams;
  /** Parameters of every later iteration. */
  main: LpnParams;
  /** A direction serves its first COTs from the bootstrap extension (SoftSpokenOT) directly, up to this many in all. */
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
  /**
   * `n` SoftSpokenOT random COTs, into the pool or as the next iteration's input; `first`: the
   * direction's first such step (its first message carries the punctured-PRF sums).
   */
  | { kind: 'softspoken'; n: number; into: 'pool' | 'reserve'; first: boolean }
  /** One iteration with `params`; its first `keep` outputs are the next iteration's input. */
  | { kind: 'iterate'; params: LpnParams; keep: number };

/** The pool of one direction, as counts (what cot.ts holds as blocks). */
export class PoolState {
  usable = 0;
  drawn = 0;
  private booted = false;
  /** Whether a SoftSpokenOT step ran in this direction (its punctured PRF is set up). */
  private extended = false;
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
        steps.push(this.extend(n - this.usable, 'pool'));
        this.usable = n;
        return steps;
      }
      this.booted = true;
      steps.push(this.extend(consumedBy(s.setup), 'reserve'));
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

  private extend(n: number, into: 'pool' | 'reserve'): RefillStep {
    const first = !this.extended;
    this.extended = true;
    return { kind: 'softspoken', n, into, first };
  }

  /**
   * After refill(n): true when, once `n` are drawn, this direction would hold less than half of
   * its next iteration's output, so it would refill soon (a booted direction only).
   */
  lowAfter(n: number): boolean {
    return this.booted && this.usable - n < (this.next.n - consumedBy(this.next)) / 2;
  }

  /** A copy to plan on without moving this state. */
  clone(): PoolState {
    return Object.assign(new PoolState(this.schedule), this);
  }

  /** `n` COTs leave the pool (after refill(n)). */
  take(n: number): void {
    if (n > this.usable) throw new Error(`internal: Ferret pool has ${this.usable} COTs, ${n} drawn`);
    this.usable -= n;
    this.drawn += n;
  }
}

/**
 * What a prefill runs in each direction (keyed by COT sender) for `need`: each direction's refill,
 * and, when only one direction refills, an iteration of the other too if that one runs low: the
 * two run side by side (pairedFlights), so the top-up adds no round now and saves a refill's two
 * rounds later. `states` move as if the steps ran.
 */
export function planPrefill(states: Record<Party, PoolState>, need: Record<Party, number>): Record<Party, RefillStep[]> {
  const steps = { client: states.client.refill(need.client), server: states.server.refill(need.server) };
  for (const [a, b] of [['client', 'server'], ['server', 'client']] as const) {
    if (steps[a].some((st) => st.kind === 'iterate') && steps[b].length === 0 && states[b].lowAfter(need[b])) steps[b] = states[b].refill(states[b].usable + 1);
  }
  return steps;
}

/**
 * A top-up beside a step (docs/ot.md, "Refills ahead of steps"): the iterations that would make
 * `ahead` COTs usable (the next step's demand, per COT sender) once `taken` has left the pools,
 * as planPrefill plans them; the states do not move (planPrefill(states, ahead) after the takes
 * does, with the same steps). Null when nothing is to do, or when a direction would have to
 * bootstrap (SoftSpokenOT, on the session channel): that refill then runs before the step that needs it.
 */
export function topUpSteps(states: Record<Party, PoolState>, ahead: Record<Party, number>, taken: Record<Party, number>): Record<Party, RefillStep[]> | null {
  const trial = { client: states.client.clone(), server: states.server.clone() };
  for (const side of ['client', 'server'] as const) trial[side].take(taken[side]);
  const steps = planPrefill(trial, ahead);
  const all = [...steps.client, ...steps.server];
  return all.length === 0 || all.some((st) => st.kind !== 'iterate') ? null : steps;
}

/** The messages of one refill step, in order (SoftSpokenOT: one per chunk of `chunk` COTs, softSpokenCost). */
export function stepMessages(st: RefillStep, chunk: number): RefillMessage[] {
  if (st.kind === 'iterate') {
    const b = iterationBytes(st.params);
    return [{ from: 'receiver', bytes: b.receiverToSender }, { from: 'sender', bytes: b.senderToReceiver }];
  }
  const out: RefillMessage[] = [];
  for (let from = 0; from < st.n; from += chunk) out.push({ from: 'receiver', bytes: softSpokenChunkBytes(Math.min(chunk, st.n - from)) + (st.first && from === 0 ? PPRF_BYTES : 0) });
  return out;
}

/** The messages of refill steps, in order. */
export function refillMessages(steps: RefillStep[], chunk: number): RefillMessage[] {
  return steps.flatMap((st) => stepMessages(st, chunk));
}

/**
 * The flights of a prefill that runs both directions' refill steps side by side (cot.ts, prefill):
 * step k of each direction shares flights with step k of the other, first the receivers' messages
 * (SoftSpokenOT corrections, tree choices), then the senders' replies (tree sums).
 */
export function pairedFlights(steps: Record<Party, RefillStep[]>, chunk: number): RefillFlight[] {
  const out: RefillFlight[] = [];
  const n = Math.max(steps.client.length, steps.server.length);
  for (let k = 0; k < n; k++) {
    const f = [{ c2s: 0, s2c: 0 }, { c2s: 0, s2c: 0 }];
    for (const sender of ['client', 'server'] as const) {
      const st = steps[sender][k];
      if (!st) continue;
      for (const m of stepMessages(st, chunk)) {
        const fromClient = (m.from === 'sender') === (sender === 'client');
        const fl = f[m.from === 'receiver' ? 0 : 1];
        if (fromClient) fl.c2s += m.bytes;
        else fl.s2c += m.bytes;
      }
    }
    out.push(...f.filter((x) => x.c2s + x.s2c > 0));
  }
  return out;
}
