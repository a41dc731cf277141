// Base OT: the "simplest OT" of Chou and Orlandi (LATINCRYPT 2015) on ristretto255.
//
// Sender: a ← Z_q, A = a·G.  Receiver (choice c_i): b_i ← Z_q, B_i = b_i·G + c_i·A,
// key k_i = H(i, A, B_i, b_i·A).  Sender: k_i^0 = H(i, A, B_i, a·B_i), k_i^1 = H(i, A, B_i, a·(B_i − A)).
//
// Why this one: 2 messages, one scalar multiplication per OT per side plus one fixed-base one for
// the receiver, no hash-to-curve (Masny–Rindal needs one per OT, about 0.3 ms here). Security:
// semi-honest (the project's model) under CDH in the random-oracle model, H = SHA-256 over the
// transcript and the index. The UC-security gaps found later (Genç, Iovino, Rial, ePrint 2017/370;
// Hauck–Loss, ePrint 2017/1011) concern malicious receivers/senders, not the semi-honest setting.
// ristretto255 (RFC 9496) is a prime-order group, so no cofactor handling is needed. We run 128
// OTs (κ = 128) in each direction at once, once per session.
import { createHash } from 'node:crypto';
import { ristretto255 } from '@noble/curves/ed25519.js';
import type { Channel } from '../../transport/channel.ts';
import { ChannelError } from '../../transport/channel.ts';

const Point = ristretto255.Point;
type RPoint = InstanceType<typeof Point>;
const ORDER = Point.Fn.ORDER;

export type RandomBytes = (n: number) => Uint8Array;

function scalar(rand: RandomBytes): bigint {
  for (;;) {
    const b = rand(64);
    let x = 0n;
    for (let i = 0; i < b.length; i++) x = (x << 8n) | BigInt(b[i]);
    x %= ORDER;
    if (x !== 0n) return x;
  }
}

function kdf(label: string, i: number, A: Uint8Array, B: Uint8Array, P: RPoint): Uint8Array {
  const idx = new Uint8Array(4);
  new DataView(idx.buffer).setUint32(0, i, true);
  const h = createHash('sha256').update(`cipherprune/simplest-ot/${label}`).update(idx).update(A).update(B).update(P.toBytes()).digest();
  return new Uint8Array(h.buffer, h.byteOffset, 16).slice();
}

function decode(bytes: Uint8Array, what: string): RPoint {
  try {
    return Point.fromBytes(bytes);
  } catch (e) {
    throw new ChannelError('malformed', `base OT: invalid ristretto255 encoding in ${what}: ${(e as Error).message}`);
  }
}

export interface BaseOtOutputs {
  /** As base-OT sender: key pairs (16 bytes each). */
  sent: { k0: Uint8Array[]; k1: Uint8Array[] };
  /** As base-OT receiver with the given choices: the chosen keys. */
  received: Uint8Array[];
}

/**
 * `count` base OTs in each direction at once (2 rounds, 32 + 32·count bytes each way).
 * This party is sender of one set and receiver (with `choices`, one byte 0/1 each) of the other.
 * Both parties call it at the same time. `label` names this party's sender role; the peer must
 * use the same two labels swapped (`mine` ↔ `peer`).
 */
export async function baseOtBothWays(
  ch: Channel,
  count: number,
  choices: Uint8Array,
  rand: RandomBytes,
  labels: { mine: string; peer: string },
): Promise<BaseOtOutputs> {
  if (choices.length !== count) throw new RangeError(`base OT: ${count} choices expected, got ${choices.length}`);
  // Round 1: our A (as sender).
  const a = scalar(rand);
  const A = Point.BASE.multiply(a);
  const Abytes = A.toBytes();
  ch.send(Abytes.slice()); // the channel may take ownership (transfer) of what it sends
  const peerAbytes = await ch.recv();
  if (peerAbytes.length !== 32) throw new ChannelError('malformed', `base OT: expected a 32-byte point, got ${peerAbytes.length} bytes`);
  const peerA = decode(peerAbytes, 'the first message');
  if (peerA.equals(Point.ZERO)) throw new ChannelError('malformed', 'base OT: the peer sent the identity point');

  // Round 2: our B_i (as receiver of the peer's OTs).
  const msg = new Uint8Array(32 * count);
  const received: Uint8Array[] = [];
  peerA.precompute(8, false);
  for (let i = 0; i < count; i++) {
    const b = scalar(rand);
    const bG = Point.BASE.multiply(b);
    const withA = bG.add(peerA);
    const B = choices[i] ? withA : bG;
    const Bbytes = B.toBytes();
    msg.set(Bbytes, 32 * i);
    received.push(kdf(labels.peer, i, peerAbytes, Bbytes, peerA.multiply(b)));
  }
  ch.send(msg);
  const peerB = await ch.recv();
  if (peerB.length !== 32 * count) throw new ChannelError('malformed', `base OT: expected ${32 * count} bytes, got ${peerB.length}`);

  const aA = A.multiply(a);
  const k0: Uint8Array[] = [];
  const k1: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const Bb = peerB.subarray(32 * i, 32 * i + 32);
    const aB = decode(Bb, `OT ${i}`).multiply(a);
    k0.push(kdf(labels.mine, i, Abytes, Bb, aB));
    k1.push(kdf(labels.mine, i, Abytes, Bb, aB.subtract(aA)));
  }
  return { sent: { k0, k1 }, received };
}
