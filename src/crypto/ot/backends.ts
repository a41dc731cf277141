// The correlated-OT backends a session can use, by name (engine option, CLI `--ot`): IKNP
// (iknp.ts, 16 bytes per COT) and Ferret silent OT (ferret/cot.ts, well under 1 bit per COT in
// steady state). Both parties of a session must use the same one.
import type { Channel } from '../../transport/channel.ts';
import type { RandomBytes } from './base-ot.ts';
import type { CotSource } from './cot-source.ts';
import { makeOtCost, type OtCostModel } from './cost.ts';
import { FerretCot, ferretCost, FerretReplay } from './ferret/cot.ts';
import { DEFAULT_SCHEDULE, type FerretSchedule } from './ferret/schedule.ts';
import { DEFAULT_CHUNK, IknpCot } from './iknp.ts';

export const OT_BACKENDS = ['iknp', 'ferret'] as const;
export type OtBackend = (typeof OT_BACKENDS)[number];

/** What sessions use unless told otherwise (docs/ot.md, "Choosing a backend"). */
export const DEFAULT_OT_BACKEND: OtBackend = 'iknp';

/**
 * Why the executor refuses Ferret for now (docs/ot.md, "Ferret and the round-lean protocols"): its
 * refills run inline at the first call that needs them, and the round-lean protocols split calls
 * (otNRecvStart, startChoosers) and issue the two directions' calls in different orders on the two
 * parties, so a refill can read the reply of a call still open; their cost functions also prepare
 * choosers without replaying the pools.
 */
export const FERRET_NOT_IN_EXECUTOR =
  "the Ferret OT backend cannot run programs yet: its pool refills are not synchronised with the round-lean protocols' split OT calls (docs/ot.md, \"Ferret and the round-lean protocols\"); use --ot iknp";

/** Backends the executor (run, serve, connect, compile --emit cost) accepts. */
export function executorBackend(choice: OtChoice): boolean {
  return choice === 'iknp';
}

export function isOtBackend(s: string): s is OtBackend {
  return (OT_BACKENDS as readonly string[]).includes(s);
}

/** A backend by name, or Ferret with another schedule (toy parameters are for tests only). */
export type OtChoice = OtBackend | { backend: 'ferret'; schedule: FerretSchedule };

export function makeCotSource(choice: OtChoice, ch: Channel, opts: { chunk?: number; random?: RandomBytes } = {}): CotSource {
  if (choice === 'iknp') return new IknpCot(ch, opts);
  return new FerretCot(ch, { ...opts, schedule: choice === 'ferret' ? DEFAULT_SCHEDULE : choice.schedule });
}

/** A fresh cost model (pools as after setup) of a backend. */
export function otCostModel(choice: OtChoice = DEFAULT_OT_BACKEND, chunk = DEFAULT_CHUNK): OtCostModel {
  if (choice === 'iknp') return makeOtCost(chunk);
  const schedule = choice === 'ferret' ? DEFAULT_SCHEDULE : choice.schedule;
  return makeOtCost(chunk, {
    chosen: (m) => ferretCost(m, chunk).bytesReceiverToSender,
    random: () => 0,
    replay: () => new FerretReplay(schedule, chunk),
  });
}
