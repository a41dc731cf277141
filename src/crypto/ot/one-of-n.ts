// 1-out-of-N OT from k = ⌈log2 N⌉ 1-of-2 random OTs per transfer (Naor and Pinkas, "Oblivious
// transfer and polynomial evaluation", STOC 1999, §3), with the PRF step instantiated by the TCCR
// hash (aes.ts):
//   keys    K_t^b = H(q_t ⊕ b·Δ, tweak_t)                  (independent 128-bit keys, t < k)
//   pad     P_j   = H(K_1^{j_1} ⊕ … ⊕ K_k^{j_k}, (i, j))    for every j < N
//   sender sends y_j = m_j ⊕ P_j; the receiver with choice c knows K_t^{c_t} and so P_c only.
// For j ≠ c the hash input contains at least one unknown independent uniform key K_t^{1−c_t},
// so each P_j is pseudorandom (tweakable correlation robustness, Guo et al. S&P 2020, with
// per-query uniform offsets; in the ideal-permutation model the proof is unchanged).
// Cost: 16·k bytes R→S and N·bits bits S→R per OT. Kolesnikov–Kumaresan (CRYPTO 2013) would
// send 32 bytes R→S instead of 16·k; it needs its own 256 base OTs (docs/ot.md, "Future").
import { ChannelError } from '../../transport/channel.ts';
import { Domain, HASH_SLICE } from './aes.ts';
import { msgBytes, packMsgs, xorPackedMsg } from './bits.ts';
import { log2ceil } from './cost.ts';
import type { OtEngine } from './engine.ts';
import type { NChoices } from './types.ts';

function checkN(N: number): void {
  if (!Number.isInteger(N) || N < 2 || N > 1 << 16) throw new RangeError(`1-of-N OT needs 2 <= N <= 65536, got ${N}`);
}

/** Xor-sum of the k keys of each OT for the receiver: out[i] = ⊕_t K[i·k + t]. */
function sumKeys(K: Uint32Array, m: number, k: number): Uint8Array {
  const out = new Uint32Array(4 * m);
  for (let i = 0; i < m; i++) {
    let a = 0, b = 0, c = 0, d = 0;
    for (let t = 0, o = 4 * i * k; t < k; t++, o += 4) {
      a ^= K[o];
      b ^= K[o + 1];
      c ^= K[o + 2];
      d ^= K[o + 3];
    }
    out[4 * i] = a;
    out[4 * i + 1] = b;
    out[4 * i + 2] = c;
    out[4 * i + 3] = d;
  }
  return new Uint8Array(out.buffer);
}

/** Pads hashed per pass: the TCCR hash's slice (aes.ts), so S fits one reused buffer. */
const PAD_SLICE = HASH_SLICE;

const asWords = (b: Uint8Array): Uint32Array => new Uint32Array(b.buffer, b.byteOffset, b.byteLength >>> 2);

export async function otNSendImpl(e: OtEngine, msgs: Uint8Array, N: number, bits: number): Promise<void> {
  checkN(N);
  const s = msgBytes(bits), k = log2ceil(N);
  if (msgs.length % (N * s) !== 0) throw new RangeError(`otNSend: messages must be n·N·${s} bytes, got ${msgs.length}`);
  const n = msgs.length / (N * s);
  const per = e.oneOfNChunk(N, bits);
  const sub = new Uint32Array(Math.min(per, Math.max(1, Math.floor(PAD_SLICE / N))) * N);
  let S = new Uint32Array(0);
  for (let i = 0; i < sub.length; i++) sub[i] = i % N;
  await e.senderChunks(
    n,
    async (q, m, from, base) => {
      const dom = e.domainFor(Domain.oneOfNKey, e.party);
      const K0 = asWords(e.hash.hash(q, m * k, 128, { base, domain: dom }));
      const K1 = asWords(e.hash.hash(q, m * k, 128, { base, domain: dom }, e.delta));
      // S[i·N + j] = ⊕_t K_t^{j_t}: S_0 = ⊕ K_t^0, then S_j = S_{j − lowbit} ⊕ K_t^0 ⊕ K_t^1.
      // Computed and hashed `span` OTs at a time in one reused buffer (one hash slice each).
      const s0 = asWords(sumKeys(K0, m, k)), span = Math.max(1, Math.floor(PAD_SLICE / N));
      if (S.length < 4 * span * N) S = new Uint32Array(4 * span * N);
      const pads = new Uint8Array(m * N * s);
      for (let i0 = 0; i0 < m; i0 += span) {
        const mm = Math.min(span, m - i0);
        for (let i = i0; i < i0 + mm; i++) {
          const o = 4 * (i - i0) * N;
          S[o] = s0[4 * i];
          S[o + 1] = s0[4 * i + 1];
          S[o + 2] = s0[4 * i + 2];
          S[o + 3] = s0[4 * i + 3];
          for (let j = 1; j < N; j++) {
            const t = 31 - Math.clz32(j & -j);
            const p = o + 4 * (j & (j - 1)), d = o + 4 * j, kk = 4 * (i * k + t);
            S[d] = S[p] ^ K0[kk] ^ K1[kk];
            S[d + 1] = S[p + 1] ^ K0[kk + 1] ^ K1[kk + 1];
            S[d + 2] = S[p + 2] ^ K0[kk + 2] ^ K1[kk + 2];
            S[d + 3] = S[p + 3] ^ K0[kk + 3] ^ K1[kk + 3];
          }
        }
        pads.set(e.hash.hash(new Uint8Array(S.buffer, 0, 16 * mm * N), mm * N, bits, {
          base: base + i0 * k,
          domain: e.domainFor(Domain.oneOfNPad, e.party),
          sub: sub.subarray(0, mm * N),
          group: N,
          stride: k,
        }), i0 * N * s);
      }
      const src = msgs.subarray(from * N * s, (from + m) * N * s);
      for (let i = 0; i < pads.length; i++) pads[i] ^= src[i];
      return packMsgs(pads, m * N, bits);
    },
    per,
    k,
  );
}

/** The receiver's half: sends its messages now; the returned function reads the sender's reply. */
export async function otNRecvStartImpl(e: OtEngine, choices: NChoices, N: number, bits: number): Promise<() => Promise<Uint8Array>> {
  checkN(N);
  const s = msgBytes(bits), k = log2ceil(N), n = choices.length;
  for (let i = 0; i < n; i++) {
    if (choices[i] >= N || choices[i] < 0 || !Number.isInteger(choices[i])) throw new RangeError(`otNRecv: choice ${i} is ${choices[i]}, must be in [0, ${N})`);
  }
  const per = e.oneOfNChunk(N, bits);
  const out = new Uint8Array(n * s);
  const peer = e.party === 'client' ? 'server' : 'client';
  const finish = await e.receiverStart(
    new Uint8Array(0),
    (t, m, from, base) => {
      const K = asWords(e.hash.hash(t, m * k, 128, { base, domain: e.domainFor(Domain.oneOfNKey, peer) }));
      const S = sumKeys(K, m, k);
      const sub = Uint32Array.from(choices.subarray(from, from + m));
      const pad = e.hash.hash(S, m, bits, { base, domain: e.domainFor(Domain.oneOfNPad, peer), sub, group: 1, stride: k });
      out.set(pad, from * s);
    },
    (yw, m, from) => {
      const need = Math.ceil((m * N * bits) / 8);
      if (yw.length !== need) throw new ChannelError('mismatch', `otNRecv: expected ${need} bytes for ${m} OTs, got ${yw.length}`);
      // Only the chosen message of each OT is read from the packed reply.
      for (let i = 0; i < m; i++) xorPackedMsg(yw, i * N + choices[from + i], bits, out, (from + i) * s);
    },
    per,
    k,
    (from, m) => {
      const c = new Uint8Array(m * k);
      for (let i = 0; i < m; i++) {
        const v = choices[from + i];
        for (let t = 0; t < k; t++) c[i * k + t] = (v >>> t) & 1;
      }
      return c;
    },
    n,
  );
  return async () => {
    await finish();
    return out;
  };
}
