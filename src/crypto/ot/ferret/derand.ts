// Chosen choice bits from random COTs (Beaver's derandomisation), as Ferret's pools serve them:
// the receiver holds t_i = q_i ⊕ r_i·Δ with its random bit r_i in lsb(t_i) and wants choice b_i;
// it sends d_i = b_i ⊕ r_i (one message of ⌈m/8⌉ bytes per chunk of m COTs), and the sender
// outputs q_i ⊕ d_i·Δ. docs/ot.md, "Silent OT (Ferret)".
import type { Channel } from '../../../transport/channel.ts';
import { ChannelError } from '../../../transport/channel.ts';
import { words } from '../bits.ts';
import type { CotCost } from '../cot-source.ts';

/** Sender side: turn pool blocks `q` (16 B each) into the blocks of the receiver's chosen bits, in place. */
export async function derandSend(ch: Channel, q: Uint8Array, delta: Uint8Array, chunk: number): Promise<Uint8Array> {
  const n = q.length >>> 4;
  const qw = words(q), dw = words(delta);
  for (let from = 0; from < n; from += chunk) {
    const m = Math.min(chunk, n - from);
    const d = await ch.recv();
    if (d.length !== Math.ceil(m / 8)) {
      throw new ChannelError('mismatch', `Ferret: expected ${Math.ceil(m / 8)} bytes of choice corrections for ${m} COTs, got ${d.length} (calls out of step, or different chunk sizes)`);
    }
    for (let i = 0; i < m; i++) {
      if ((d[i >>> 3] >>> (i & 7)) & 1) {
        const o = 4 * (from + i);
        qw[o] ^= dw[0];
        qw[o + 1] ^= dw[1];
        qw[o + 2] ^= dw[2];
        qw[o + 3] ^= dw[3];
      }
    }
  }
  return q;
}

/** Receiver side: send the corrections d = b ⊕ lsb(t) for pool blocks `t` (they become t for b). */
export function derandRecv(ch: Channel, t: Uint8Array, choices: Uint8Array, chunk: number): Uint8Array {
  const n = choices.length;
  for (let from = 0; from < n; from += chunk) {
    const m = Math.min(chunk, n - from);
    const d = new Uint8Array(Math.ceil(m / 8));
    for (let i = 0; i < m; i++) d[i >>> 3] |= (choices[from + i] ^ (t[16 * (from + i)] & 1)) << (i & 7);
    ch.send(d);
  }
  return t;
}

/** A receiver's random choices: the lsb of each pool block. */
export function lsbChoices(blocks: Uint8Array): Uint8Array {
  const n = blocks.length >>> 4, choices = new Uint8Array(n);
  for (let i = 0; i < n; i++) choices[i] = blocks[16 * i] & 1;
  return choices;
}

/** Wire cost of one call of n COTs (refills apart): chosen bits, one message of ⌈m/8⌉ bytes per chunk. */
export function ferretCost(n: number, chunk: number, random = false): CotCost {
  const full = Math.floor(n / chunk), rest = n % chunk;
  const messages = random ? 0 : full + (rest > 0 ? 1 : 0);
  return {
    bytesSenderToReceiver: 0,
    bytesReceiverToSender: random ? 0 : full * Math.ceil(chunk / 8) + Math.ceil(rest / 8),
    messagesSenderToReceiver: 0,
    messagesReceiverToSender: messages,
    rounds: messages > 0 ? 1 : 0,
  };
}
