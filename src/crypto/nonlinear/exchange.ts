// One exchange of the non-linear protocols: both parties send their message, then receive the peer's.
import { ChannelError } from '../../transport/channel.ts';
import type { ProtoCtx } from './context.ts';

/** Both parties send their message (if non-empty), then receive the peer's (if non-empty). */
export async function exchange(ctx: ProtoCtx, mine: Uint8Array, peerBytes: number): Promise<Uint8Array> {
  return exchangeSend(ctx, mine, peerBytes)();
}

/** `exchange` in two halves: this party's message goes out now; the returned function receives the peer's. */
export function exchangeSend(ctx: ProtoCtx, mine: Uint8Array, peerBytes: number): () => Promise<Uint8Array> {
  if (mine.length > 0) ctx.ch.send(mine);
  return async () => {
    if (peerBytes === 0) return new Uint8Array(0);
    const got = await ctx.ch.recv();
    if (got.length !== peerBytes) throw new ChannelError('mismatch', `nonlinear: expected a ${peerBytes}-byte message from the peer, got ${got.length} (parties out of step)`);
    return got;
  };
}
