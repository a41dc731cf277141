// Channels for the run commands: in-memory (default) or a simulated link (--network).
import { MemoryChannel, type Channel } from '../transport/channel.ts';
import { parseNetwork, SimChannel, type NetworkProfile } from '../transport/sim-channel.ts';
import { UsageError } from './args.ts';

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
