// Bench only: OT backends by name for the benchmarks' workers. `ferret:setup` runs every Ferret
// iteration with the paper's setup parameters (a secret that fits in L2; more bytes per COT);
// `ferret:js-lpn` is Ferret with the LPN map's JavaScript reference gather instead of the
// WebAssembly kernel (lpn.ts; the worker sets CIPHERPRUNE_LPN=js): before/after in one run.
import type { OtChoice } from '../../src/crypto/ot/backends.ts';
import { DEFAULT_SCHEDULE } from '../../src/crypto/ot/ferret/schedule.ts';
import { FERRET_SETUP } from '../../src/crypto/ot/ferret/params.ts';

export function benchBackend(name: string): OtChoice {
  if (name === 'ferret:setup') return { backend: 'ferret', schedule: { ...DEFAULT_SCHEDULE, main: FERRET_SETUP } };
  if (name === 'ferret:js-lpn') return 'ferret'; // the party worker sets CIPHERPRUNE_LPN (party.ts)
  if (name !== 'iknp' && name !== 'ferret') throw new Error(`unknown OT backend '${name}' (iknp, ferret, ferret:setup, ferret:js-lpn)`);
  return name;
}
