// One Ferret iteration, semi-honest (Yang, Weng, Lan, Zhang, Wang, CCS 2020, Fig. 7 without the
// consistency check; the single-point COT of Fig. 5 with the GGM tree of ggm.ts; regular noise:
// t single-point COTs over consecutive blocks of 2^h outputs, as §4's MPCOT for regular noise).
//
// In: M = k + t·h random COTs with the sender's Δ (lsb(Δ) = 1). Sender blocks v_i have lsb 0;
// receiver blocks w_i = v_i ⊕ u_i·Δ carry its bit u_i in their lsb. COT k + i·h + (l − 1) serves
// level l of tree i; COTs 0..k−1 are the LPN secret.
// 1. R → S: the receiver picks α_i ∈ [0, 2^h) per tree and wants, for level l, the COT with choice
//    c = ¬(bit l of α_i), from the top; it sends d = u ⊕ c (t·h bits, uniform since u is).
// 2. S → R: the sender sets v' = v ⊕ d·Δ (so w = v' ⊕ c·Δ), grows t GGM trees from fresh roots,
//    and sends per tree and level c_l^b = K_l^b ⊕ H(v' ⊕ b·Δ, τ) for b = 0, 1, then
//    ψ_i = Δ ⊕ (⊕ of the tree's leaves); H is the TCCR hash (aes.ts) with a fresh tweak τ per COT.
//    The receiver unmasks K_l^c = c_l^c ⊕ H(w, τ), rebuilds every leaf but α_i, and sets its leaf
//    α_i to ψ_i ⊕ (⊕ of its other leaves) = leaf ⊕ Δ: so its leaves = the sender's ⊕ e·Δ, e the
//    regular weight-t noise vector (and their lsb = e, since leaves have lsb 0 and lsb(Δ) = 1).
// 3. Both apply the LPN map (lpn.ts) with the k secret blocks: n new COTs, lsb(receiver) = x·A ⊕ e.
// Every step is local except the two messages, which have fixed sizes (params.ts, iterationBytes).
import type { Channel } from '../../../transport/channel.ts';
import { ChannelError } from '../../../transport/channel.ts';
import { Domain, type Tccr } from '../aes.ts';
import type { RandomBytes } from '../base-ot.ts';
import { words } from '../bits.ts';
import { Ggm, sumAt } from '../ggm.ts';
import { lpnEncode } from './lpn.ts';
import { consumedBy, iterationBytes, type LpnParams } from './params.ts';

export interface IterationCtx {
  ch: Channel;
  hash: Tccr;
  ggm: Ggm;
  random: RandomBytes;
  /** First tweak counter of this iteration's tree COTs (unique per direction and session). */
  tweakBase: number;
  /** Tweak domain (Domain.ferret | direction bit). */
  domain: number;
}

/** Tweak domain of the tree hashes for COTs whose sender is the client (0) or the server (1). */
export const ferretDomain = (senderIsServer: boolean): number => Domain.ferret | ((senderIsServer ? 1 : 0) << 8);

function checkReserve(p: LpnParams, blocks: Uint8Array): void {
  if (blocks.length !== 16 * consumedBy(p)) throw new RangeError(`Ferret ${p.name} iteration needs ${consumedBy(p)} COTs, got ${blocks.length / 16}`);
}

/** Sender side: the reserve's q blocks in, n new q blocks out in `out` (4n words, lsb 0). */
export async function iterateSender(c: IterationCtx, p: LpnParams, delta: Uint8Array, reserve: Uint8Array, out: Uint32Array): Promise<void> {
  checkReserve(p, reserve);
  const { t, h, k } = p, bytes = iterationBytes(p);
  const d = await c.ch.recv();
  if (d.length !== bytes.receiverToSender) throw new ChannelError('mismatch', `Ferret: expected ${bytes.receiverToSender} bytes of tree choices, got ${d.length}`);
  const tree = reserve.slice(16 * k); // t·h COTs, adjusted to v' = v ⊕ d·Δ
  const tw = words(tree), dw = words(delta);
  for (let x = 0; x < t * h; x++) {
    if ((d[x >>> 3] >>> (x & 7)) & 1) for (let w = 0; w < 4; w++) tw[4 * x + w] ^= dw[w];
  }
  const sums = c.ggm.expand(c.random(16 * t), t, h, out);
  const tweak = { base: c.tweakBase, domain: c.domain };
  const m0 = words(c.hash.hash(tree, t * h, 128, tweak));
  const m1 = words(c.hash.hash(tree, t * h, 128, tweak, delta));
  const msg = new Uint32Array(bytes.senderToReceiver / 4);
  for (let i = 0; i < t; i++) {
    for (let l = 1; l <= h; l++) {
      const x = i * h + (l - 1), s = sumAt(t, l, i, 0);
      for (let w = 0; w < 4; w++) {
        msg[8 * x + w] = sums[s + w] ^ m0[4 * x + w];
        msg[8 * x + 4 + w] = sums[s + 4 + w] ^ m1[4 * x + w];
      }
    }
    const s = sumAt(t, h, i, 0), o = 8 * t * h + 4 * i;
    for (let w = 0; w < 4; w++) msg[o + w] = dw[w] ^ sums[s + w] ^ sums[s + 4 + w];
  }
  c.ch.send(new Uint8Array(msg.buffer));
  lpnEncode(p, words(reserve), out);
}

/** Receiver side: the reserve's t blocks in (lsb = choice bit), n new t blocks out in `out` (lsb = choice). */
export async function iterateReceiver(c: IterationCtx, p: LpnParams, reserve: Uint8Array, out: Uint32Array): Promise<void> {
  await iterateReceiverStart(c, p, reserve, out)();
}

/**
 * The receiver side in two halves: this sends the tree choices (step 1) and returns the rest,
 * which reads the sender's reply; the other direction's sender may run in between (a prefill
 * refills both directions in the same flights, cot.ts).
 */
export function iterateReceiverStart(c: IterationCtx, p: LpnParams, reserve: Uint8Array, out: Uint32Array): () => Promise<void> {
  checkReserve(p, reserve);
  const { t, h, k } = p, bytes = iterationBytes(p);
  const alpha = new Uint32Array(words(c.random(4 * t)).map((r) => r & (2 ** h - 1)));
  const tree = reserve.subarray(16 * k);
  const d = new Uint8Array(bytes.receiverToSender);
  for (let i = 0, x = 0; i < t; i++) {
    for (let l = 1; l <= h; l++, x++) {
      const want = 1 - ((alpha[i] >>> (h - l)) & 1), u = tree[16 * x] & 1;
      d[x >>> 3] |= (u ^ want) << (x & 7);
    }
  }
  c.ch.send(d);
  return async () => {
    const msg = await c.ch.recv();
    if (msg.length !== bytes.senderToReceiver) throw new ChannelError('mismatch', `Ferret: expected ${bytes.senderToReceiver} bytes of tree sums, got ${msg.length}`);
    const mw = words(msg);
    const pad = words(c.hash.hash(tree, t * h, 128, { base: c.tweakBase, domain: c.domain }));
    const k4 = new Uint32Array(4);
    const known = (l: number, i: number): Uint32Array => {
      const x = i * h + (l - 1), side = 1 - ((alpha[i] >>> (h - l)) & 1);
      for (let w = 0; w < 4; w++) k4[w] = mw[8 * x + 4 * side + w] ^ pad[4 * x + w];
      return k4;
    };
    const others = c.ggm.expandPunctured(t, h, alpha, known, out);
    const size = 2 ** h;
    for (let i = 0; i < t; i++) {
      const o = 4 * (i * size + alpha[i]), psi = 8 * t * h + 4 * i;
      for (let w = 0; w < 4; w++) out[o + w] = mw[psi + w] ^ others[4 * i + w];
    }
    lpnEncode(p, words(reserve), out);
  };
}
