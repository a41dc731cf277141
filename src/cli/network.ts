// Channels for the run commands: in-memory (default) or a simulated link (--network).
import { MemoryChannel, type Channel } from '../transport/channel.ts';
import { parseNetwork, SimChannel, type NetworkProfile } from '../transport/sim-channel.ts';
import { UsageError } from './args.ts';
import type { OtBackend } from '../crypto/ot/index.ts';

/**
 * Links slower than this favour Ferret: it trades 1.3-3.5x IKNP's CPU for 2-8x fewer bytes, which
 * pays below roughly 200-700 Mbit/s (docs/ot.md, "Choosing a backend").
 */
export const FERRET_BELOW_BITS_PER_SECOND = 1e9;

/**
 * `run`'s OT backend when --ot is not given: IKNP in memory (no link: bytes cost nothing) and on
 * fast links such as lan; Ferret on slower ones such as wan.
 */
export function runOtDefault(profile: NetworkProfile | undefined): OtBackend {
  return profile && profile.bitsPerSecond < FERRET_BELOW_BITS_PER_SECOND ? 'ferret' : 'iknp';
}

export function channelsFor(network: string | undefined): { pair: [Channel, Channel]; profile?: NetworkProfile; elapsed(): number | undefined } {
  if (!network) return { pair: MemoryChannel.pair(), elapsed: () => undefined };
  let profile: NetworkProfile;
  try {
    profile = parseNetwork(network);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const pair = SimChannel.pair(profile);
  return { pair, profile, elapsed: () => pair[0].link.elapsedSeconds };
}
