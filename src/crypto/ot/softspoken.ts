// SoftSpokenOT (L. Roy, CRYPTO 2022), semi-honest, as random correlated OT with a global Δ:
// Ferret's bootstrap (ferret/cot.ts). The same 128 Chou–Orlandi base OTs as IKNP (iknp.ts), about
// 128/k bits per COT instead of 128, for ≈ 2^k/k times IKNP's local work. Pieces and their paper
// sections: softspoken-vole.ts; design, k and security: docs/ot.md, "SoftSpokenOT".
//
// Per call of m COTs (one message per chunk, R → S, one round):
// 1. (first call only, in the same message) the punctured-PRF sums, PPRF_BYTES = 4 KB;
// 2. each of the T = 128/k blocks gives a small-field VOLE: R holds u_i ∈ F_2^m and the k
//    bit-planes of v_i, S the bit-planes of w_i = u_i·α_i + v_i (no message, §3.1);
// 3. R sends c_i = u_1 ⊕ u_i for i = 2..T ((T − 1)·⌈m/8⌉ bytes) and S adds c_i·α_i to w_i (§3.2,
//    subspace VOLE with the repetition code: the blocks' u must agree to make one COT of 128
//    bits; the paper's OT extension reads COTs off it, as here), so with b = u_1
//    and Δ = α_1 ‖ … ‖ α_T every column j satisfies W_j = V_j ⊕ b·Δ_j;
// 4. both transpose the 128 columns into rows (transpose.ts): S holds W_i, R holds b_i and
//    V_i = W_i ⊕ b_i·Δ, the correlation of IKNP's COTs (cot-source.ts, with q = W, t = V).
// Semi-honest only: no consistency check (the paper's check for malicious receivers is absent),
// so a receiver that deviates can make the correlation wrong without being caught.
import { randomBytes } from 'node:crypto';
import type { Channel } from '../../transport/channel.ts';
import { ChannelError } from '../../transport/channel.ts';
import { ColumnStreams } from './aes.ts';
import type { RandomBytes } from './base-ot.ts';
import { Ggm } from './ggm.ts';
import type { CotCost } from './cot-source.ts';
import { checkCount, IknpCot, KAPPA, roundUp, transposeInto, yieldTurn, type BaseKeys } from './iknp.ts';
import { bitPlanes, checkK, openedSum, PPRF_BYTES, pprfMessage, puncturePoints } from './softspoken-vole.ts';

/**
 * Bits per block. 8: 15 of 128 bits per COT (IKNP's 16 bytes → 1.875), for 256 AES-CTR streams
 * per block (4,096 in all, IKNP 256); measured in docs/ot.md ("SoftSpokenOT", bench/ot/softspoken.ts).
 */
export const SOFTSPOKEN_K = 8;

/** Bytes of R's message for one chunk of m COTs, besides the first call's PPRF_BYTES. */
export const softSpokenChunkBytes = (m: number, k: number = SOFTSPOKEN_K): number => (KAPPA / k - 1) * Math.ceil(m / 8);

/** Exact cost of n random COTs; `first`: the direction's first call with n > 0 (it carries the PPRF sums). */
export function softSpokenCost(n: number, chunk: number, k: number = SOFTSPOKEN_K, first = false): CotCost {
  let bytes = 0, messages = 0;
  for (let from = 0; from < n; from += chunk) {
    bytes += softSpokenChunkBytes(Math.min(chunk, n - from), k);
    messages++;
  }
  if (first && n > 0) bytes += PPRF_BYTES;
  return { bytesSenderToReceiver: 0, bytesReceiverToSender: bytes, messagesSenderToReceiver: 0, messagesReceiverToSender: messages, rounds: messages > 0 ? 1 : 0 };
}

export interface SoftSpokenOptions {
  /** Bits per block (1, 2, 4 or 8; default SOFTSPOKEN_K). Both parties must use the same value. */
  k?: number;
  /** COTs per message (multiple of 32). Both parties must use the same value. */
  chunk?: number;
  /** Randomness source (default node:crypto). Seeded sources are for tests only. */
  random?: RandomBytes;
  /** Force lsb(Δ) = 1 (Ferret). */
  deltaLsbOne?: boolean;
}

export class SoftSpokenCot {
  readonly name = 'softspoken';
  readonly k: number;
  readonly chunk: number;
  private readonly ch: Channel;
  private readonly iknp: IknpCot;
  private readonly random: RandomBytes;
  private base: BaseKeys | null = null;
  /** Leaf streams per block, once the PPRF ran in that role (S: the punctured leaf's is unused). */
  private asReceiver: ColumnStreams[] | null = null;
  private asSender: ColumnStreams[] | null = null;
  private alpha: Uint32Array | null = null;

  /** `iknp`: an IKNP instance whose base OTs to use (Ferret's); absent, setup() runs its own. */
  constructor(ch: Channel, opts: SoftSpokenOptions = {}, iknp?: IknpCot) {
    this.ch = ch;
    this.k = opts.k ?? SOFTSPOKEN_K;
    checkK(this.k);
    this.random = opts.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.iknp = iknp ?? new IknpCot(ch, { chunk: opts.chunk, random: opts.random, deltaLsbOne: opts.deltaLsbOne });
    this.chunk = opts.chunk ?? this.iknp.chunk;
  }

  get delta(): Uint8Array {
    return this.keys().delta;
  }

  cost(n: number, first = false): CotCost {
    return softSpokenCost(n, this.chunk, this.k, first);
  }

  /** The base OTs (IKNP's setup: 128 Chou–Orlandi OTs each way). Not needed when built on a set-up IknpCot. */
  setup(): Promise<void> {
    return this.iknp.setup();
  }

  private keys(): BaseKeys {
    this.base ??= this.iknp.baseKeys();
    return this.base;
  }

  /** Sender: W_i for n random COTs (16n bytes); the receiver calls recvRandom(n). */
  async sendRandom(n: number): Promise<Uint8Array> {
    checkCount(n);
    const base = this.keys(), k = this.k, T = KAPPA / k;
    const out = new Uint8Array(16 * n), outWords = new Uint32Array(out.buffer);
    for (let from = 0; from < n; from += this.chunk) {
      const m = Math.min(this.chunk, n - from), rows = roundUp(m, 32), nw = rows >>> 5, wb = Math.ceil(m / 8);
      const msg = await this.ch.recv();
      const head = this.asSender ? 0 : PPRF_BYTES;
      if (msg.byteLength !== head + softSpokenChunkBytes(m, k)) {
        throw new ChannelError('mismatch', `SoftSpokenOT: expected ${head + softSpokenChunkBytes(m, k)} bytes for ${m} COTs, got ${msg.byteLength} (calls out of step, or different k or chunk sizes)`);
      }
      if (!this.asSender) this.punctured(new Uint32Array(msg.slice(0, PPRF_BYTES).buffer));
      const cols: Uint32Array[] = [];
      const c = new Uint8Array(4 * nw), cw = new Uint32Array(c.buffer);
      for (let i = 0; i < T; i++) {
        const a = this.alpha![i], streams = this.asSender!;
        // r'_y = r_{y ⊕ α_i}: the planes of w_i are those of Σ_y y·r'_y (r'_0 = 0, the unknown leaf).
        const r: Uint32Array[] = new Array(1 << k);
        for (let x = 0; x < 1 << k; x++) r[x ^ a] = x === a ? new Uint32Array(nw) : streams[i].next(x, 4 * nw);
        const { planes } = bitPlanes(r, k, nw);
        if (i > 0) c.set(msg.subarray(head + (i - 1) * wb, head + i * wb));
        for (let l = 0; l < k; l++) {
          if (i > 0 && base.deltaBits[i * k + l]) for (let w = 0; w < nw; w++) planes[l][w] ^= cw[w];
          cols.push(planes[l]);
        }
      }
      transposeInto(cols, rows, m, outWords, from);
    }
    return out;
  }

  /** Receiver: random bits b_i (one byte 0/1 each) and V_i = W_i ⊕ b_i·Δ (16n bytes). */
  async recvRandom(n: number): Promise<{ choices: Uint8Array; blocks: Uint8Array }> {
    checkCount(n);
    const k = this.k, T = KAPPA / k;
    const blocks = new Uint8Array(16 * n), outWords = new Uint32Array(blocks.buffer), choices = new Uint8Array(n);
    for (let from = 0; from < n; from += this.chunk) {
      const m = Math.min(this.chunk, n - from), rows = roundUp(m, 32), nw = rows >>> 5, wb = Math.ceil(m / 8);
      const head = this.asReceiver ? null : this.trees();
      const msg = new Uint8Array((head ? PPRF_BYTES : 0) + softSpokenChunkBytes(m, k));
      if (head) msg.set(head);
      const at = head ? PPRF_BYTES : 0;
      const cols: Uint32Array[] = [];
      let u1: Uint32Array | null = null;
      for (let i = 0; i < T; i++) {
        const streams = this.asReceiver!;
        const r: Uint32Array[] = new Array(1 << k);
        for (let x = 0; x < 1 << k; x++) r[x] = streams[i].next(x, 4 * nw);
        const { planes, total } = bitPlanes(r, k, nw);
        if (i === 0) {
          u1 = total.slice();
        } else {
          for (let w = 0; w < nw; w++) total[w] ^= u1![w];
          msg.set(new Uint8Array(total.buffer, total.byteOffset, wb), at + (i - 1) * wb);
        }
        cols.push(...planes);
      }
      this.ch.send(msg);
      for (let t = 0; t < m; t++) choices[from + t] = (u1![t >>> 5] >>> (t & 31)) & 1;
      transposeInto(cols, rows, m, outWords, from);
      if (from + m < n) await yieldTurn();
    }
    return { choices, blocks };
  }

  /** R, first call: T random GGM trees of depth k; their leaves seed the streams. Returns the PPRF message. */
  private trees(): Uint8Array {
    const k = this.k, T = KAPPA / k, leaves = new Uint32Array(4 * T << k);
    const sums = new Ggm().expand(this.random(16 * T), T, k, leaves, false);
    this.asReceiver = streamsOf(leaves, T, k);
    return pprfMessage(sums, this.keys(), k);
  }

  /** S, first call: the punctured trees from R's PPRF message. */
  private punctured(msg: Uint32Array): void {
    const k = this.k, T = KAPPA / k, leaves = new Uint32Array(4 * T << k), base = this.keys();
    this.alpha = puncturePoints(base.deltaBits, k);
    new Ggm().expandPunctured(T, k, this.alpha, openedSum(msg, base, k), leaves, false);
    this.asSender = streamsOf(leaves, T, k);
  }
}

/** One ColumnStreams per tree, keyed by its 2^k leaves. */
function streamsOf(leaves: Uint32Array, T: number, k: number): ColumnStreams[] {
  const bytes = new Uint8Array(leaves.buffer);
  return Array.from({ length: T }, (_, i) => new ColumnStreams(Array.from({ length: 1 << k }, (_, x) => bytes.slice(16 * ((i << k) + x), 16 * ((i << k) + x) + 16))));
}
