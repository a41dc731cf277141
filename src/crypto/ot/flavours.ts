// Random, chosen-message and correlation-function OT over an OtEngine's COTs (engine.ts calls
// these inside its one-call-at-a-time lock; formulas there): ROT m_b = H(q ⊕ b·Δ, i); chosen OT
// sends y_b = m_b ⊕ H(q ⊕ b·Δ, i); correlated OT (ALSZ13) sends y = f(x) ⊕ H(q ⊕ Δ, i) with
// x = H(q, i). H is the TCCR hash (aes.ts), i the direction's COT counter.
import { ChannelError, peerOf } from '../../transport/channel.ts';
import { Domain } from './aes.ts';
import { msgBytes, packMsgs, unpackMsgs, xorInto } from './bits.ts';
import type { OtEngine } from './engine.ts';

const tweak = (e: OtEngine, base: number, asSender: boolean) => ({ base, domain: e.domainFor(Domain.rot, asSender ? e.party : peerOf(e.party)) });

/** `random`: the pair of a receiver with random bits (rrotRecv, on rcot: no receiver message with Ferret). */
export async function rotSendImpl(e: OtEngine, n: number, bits: number, random = false): Promise<{ m0: Uint8Array; m1: Uint8Array }> {
  const s = msgBytes(bits);
  const m0 = new Uint8Array(n * s), m1 = new Uint8Array(n * s);
  await e.senderChunks(n, async (q, m, from, base) => {
    const tw = tweak(e, base, true);
    m0.set(e.hash.hash(q, m, bits, tw), from * s);
    m1.set(e.hash.hash(q, m, bits, tw, e.delta), from * s);
    return null;
  }, undefined, 1, random);
  return { m0, m1 };
}

/** The receiver's ROT pads H(t_i, i) of a chunk of COT blocks starting at counter `base`. */
export const rotPads = (e: OtEngine, t: Uint8Array, m: number, bits: number, base: number): Uint8Array => e.hash.hash(t, m, bits, tweak(e, base, false));

/** Receiver side of a hashed flavour: out_i = H(t_i, i); `fix` folds in the sender's reply per chunk. */
async function hashedRecv(e: OtEngine, choices: Uint8Array, bits: number, fix?: (out: Uint8Array, y: Uint8Array, m: number, from: number, s: number) => void): Promise<Uint8Array> {
  const s = msgBytes(bits);
  const out = new Uint8Array(choices.length * s);
  await e.receiverChunks(
    choices,
    (t, m, from, base) => out.set(e.hash.hash(t, m, bits, tweak(e, base, false)), from * s),
    fix && ((y, m, from) => fix(out, y, m, from, s)),
  );
  return out;
}

export function rotRecvImpl(e: OtEngine, choices: Uint8Array, bits: number): Promise<Uint8Array> {
  return hashedRecv(e, choices, bits);
}

export async function otSendImpl(e: OtEngine, m0: Uint8Array, m1: Uint8Array, bits: number): Promise<void> {
  const s = msgBytes(bits), n = m0.length / s;
  await e.senderChunks(n, async (q, m, from, base) => {
    const tw = tweak(e, base, true);
    const y0 = xorInto(e.hash.hash(q, m, bits, tw), m0.subarray(from * s, (from + m) * s));
    const y1 = xorInto(e.hash.hash(q, m, bits, tw, e.delta), m1.subarray(from * s, (from + m) * s));
    const p0 = packMsgs(y0, m, bits), p1 = packMsgs(y1, m, bits);
    const msg = new Uint8Array(p0.length + p1.length);
    msg.set(p0);
    msg.set(p1, p0.length);
    return msg;
  });
}

export function otRecvImpl(e: OtEngine, choices: Uint8Array, bits: number): Promise<Uint8Array> {
  return hashedRecv(e, choices, bits, (out, y, m, from, s) => {
    const half = Math.ceil((m * bits) / 8);
    if (y.length !== 2 * half) throw new ChannelError('mismatch', `otRecv: expected ${2 * half} bytes, got ${y.length}`);
    const y0 = unpackMsgs(y.subarray(0, half), m, bits), y1 = unpackMsgs(y.subarray(half), m, bits);
    for (let i = 0; i < m; i++) {
      const src = choices[from + i] ? y1 : y0, o = (from + i) * s;
      for (let k = 0; k < s; k++) out[o + k] ^= src[i * s + k];
    }
  });
}

export async function fcotSendImpl(e: OtEngine, n: number, bits: number, f: (x: Uint8Array, from: number) => Uint8Array): Promise<Uint8Array> {
  const s = msgBytes(bits);
  const xs = new Uint8Array(n * s);
  await e.senderChunks(n, async (q, m, from, base) => {
    const tw = tweak(e, base, true);
    const x = e.hash.hash(q, m, bits, tw);
    xs.set(x, from * s);
    const m1 = f(x, from);
    if (!(m1 instanceof Uint8Array) || m1.length !== m * s) {
      throw new RangeError(`fcotSend: the correlation function must return ${m * s} bytes for ${m} messages`);
    }
    return packMsgs(xorInto(e.hash.hash(q, m, bits, tw, e.delta), m1), m, bits);
  });
  return xs;
}

export function fcotRecvImpl(e: OtEngine, choices: Uint8Array, bits: number): Promise<Uint8Array> {
  return hashedRecv(e, choices, bits, (out, yw, m, from, s) => {
    const y = unpackMsgs(yw, m, bits);
    for (let i = 0; i < m; i++) {
      if (!choices[from + i]) continue;
      const o = (from + i) * s;
      for (let k = 0; k < s; k++) out[o + k] ^= y[i * s + k];
    }
  });
}
