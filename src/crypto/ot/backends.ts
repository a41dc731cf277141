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

/**
 * What sessions use unless told otherwise (docs/ot.md, "Choosing a backend"): Ferret, for its bytes.
 * The environment variable CIPHERPRUNE_OT (iknp or ferret) overrides it for a process (the test
 * suite runs programs that are not about OT on IKNP, whose setup is cheaper for tiny programs).
 */
export const DEFAULT_OT_BACKEND: OtBackend = defaultBackend();

function defaultBackend(): OtBackend {
  const v = typeof process === 'undefined' ? undefined : process.env.CIPHERPRUNE_OT;
  if (v === undefined || v === '') return 'ferret';
  if (!isOtBackend(v)) throw new Error(`CIPHERPRUNE_OT must be one of ${OT_BACKENDS.join(', ')}, got '${v}'`);
  return v;
}

export function isOtBackend(s: string): s is OtBackend {
  return (OT_BACKENDS as readonly string[]).includes(s);
}

/** A backend by name, or Ferret with another schedule (toy parameters are for tests only). */
export type OtChoice = OtBackend | { backend: 'ferret'; schedule: FerretSchedule };

export function makeCotSource(choice: OtChoice, ch: Channel, opts: { chunk?: number; random?: RandomBytes; inlineRefills?: boolean } = {}): CotSource {
  if (choice === 'iknp') return new IknpCot(ch, { chunk: opts.chunk, random: opts.random });
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
