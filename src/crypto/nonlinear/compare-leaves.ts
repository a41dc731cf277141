// The leaves of the millionaires' protocol (compare.ts; Rathee et al., "CrypTFlow2", CCS 2020,
// §3.1, Algorithm 1): digit extraction, the server's 1-of-2^d leaf tables, and the grouping of
// digits by width (one 1-of-N OT call per width).
import type { RingArray } from '../ring.ts';
import type { Bits } from './context.ts';

/** Digit values: for each element, digit j of the low `bits` bits (word-level shifts). */
export function digitsOf(a: RingArray, bits: number, plan: number[]): Uint32Array[] {
  const n = a.length, out: Uint32Array[] = [];
  // Ring words: one per element (ℓ ≤ 32) or two, low word first (ℓ > 32).
  const w = a instanceof Uint32Array ? a : new Uint32Array(a.buffer, a.byteOffset, 2 * n), wide = !(a instanceof Uint32Array);
  let lo = 0;
  for (const d of plan) {
    const v = new Uint32Array(n), mask = (1 << d) - 1;
    if (lo + d > bits) throw new RangeError(`internal: digit plan exceeds ${bits} bits`);
    if (!wide) {
      for (let i = 0; i < n; i++) v[i] = (w[i] >>> lo) & mask;
    } else if (lo >= 32) {
      for (let i = 0; i < n; i++) v[i] = (w[2 * i + 1] >>> (lo - 32)) & mask;
    } else if (lo + d <= 32) {
      for (let i = 0; i < n; i++) v[i] = (w[2 * i] >>> lo) & mask;
    } else {
      for (let i = 0; i < n; i++) v[i] = ((w[2 * i] >>> lo) | (w[2 * i + 1] << (32 - lo))) & mask;
    }
    out.push(v);
    lo += d;
  }
  return out;
}

/**
 * The server's leaf table of digit group `idx` (messages of mb bytes, element-major, then digit,
 * then client value v < N): bit 2c of message v is [a_c > v] ⊕ gt_c, bit 2c + 1 is [a_c = v] ⊕ eq_c.
 */
export function leafTable(ad: Uint32Array[], gt: Bits[], eq: Bits[], idx: number[], n: number, C: number, N: number, mb: number): Uint8Array {
  const msgs = new Uint8Array(n * idx.length * N * mb);
  if (mb === 1 && N % 4 === 0 && LITTLE_ENDIAN) {
    // C ≤ 4, one byte per message, four messages per 32-bit word: above every a_c the byte is
    // Σ_c (gt_c, eq_c) << 2c; below a_c constant c's gt bit flips, at a_c its eq bit (digit
    // values are < N): lanes(N)[a·N/4 + w] has those flips (1, 2) in the byte lanes of word w.
    const W = N >>> 2, lane = lanes(N), words = new Uint32Array(msgs.buffer, msgs.byteOffset, msgs.length >>> 2);
    for (let i = 0, o = 0; i < n; i++) {
      for (let k = 0; k < idx.length; k++, o += W) {
        const j = idx[k], aj = ad[j], gj = gt[j], ej = eq[j];
        let base = 0;
        for (let c = 0, t = i * C; c < C; c++, t++) base |= (gj[t] | (ej[t] << 1)) << (2 * c);
        base *= 0x01010101;
        for (let w = 0; w < W; w++) {
          let x = base;
          for (let c = 0, t = i * C; c < C; c++, t++) x ^= lane[aj[t] * W + w] << (2 * c);
          words[o + w] = x;
        }
      }
    }
    return msgs;
  }
  if (C === 1) {
    // One byte per message: below a the byte is (¬gt, eq), at a (gt, ¬eq), above (gt, eq).
    for (let i = 0, o = 0; i < n; i++) {
      for (let k = 0; k < idx.length; k++, o += N) {
        const j = idx[k], av = ad[j][i], g = gt[j][i], e = eq[j][i] << 1;
        const below = (g ^ 1) | e, above = g | e;
        for (let v = 0; v < N; v++) msgs[o + v] = v < av ? below : above;
        if (av < N) msgs[o + av] = g | (e ^ 2);
      }
    }
    return msgs;
  }
  for (let i = 0, o = 0; i < n; i++) {
    for (let k = 0; k < idx.length; k++) {
      const j = idx[k], aj = ad[j], gj = gt[j], ej = eq[j];
      for (let v = 0; v < N; v++, o += mb) {
        for (let c = 0, t = i * C; c < C; c++, t++) {
          const av = aj[t], bit = 2 * c;
          const g = (av > v ? 1 : 0) ^ gj[t], e = (av === v ? 1 : 0) ^ ej[t];
          msgs[o + (bit >>> 3)] |= (g << (bit & 7)) | (e << ((bit + 1) & 7));
        }
      }
    }
  }
  return msgs;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Per digit value a < N and word w of a leaf's N one-byte messages: 1 in the byte lanes v < a, 2 in lane a. */
const laneCache = new Map<number, Uint32Array>();
function lanes(N: number): Uint32Array {
  let t = laneCache.get(N);
  if (!t) {
    const W = N >>> 2;
    t = new Uint32Array(N * W);
    for (let a = 0; a < N; a++) for (let v = 0; v < N; v++) if (v <= a) t[a * W + (v >>> 2)] |= (v < a ? 1 : 2) << (8 * (v & 3));
    laneCache.set(N, t);
  }
  return t;
}

/** Group the leaf OTs by digit width: one 1-of-2^d OT call per distinct width. */
export function widthGroups(plan: number[]): { d: number; idx: number[] }[] {
  const g: { d: number; idx: number[] }[] = [];
  plan.forEach((d, j) => {
    const e = g.find((x) => x.d === d);
    if (e) e.idx.push(j);
    else g.push({ d, idx: [j] });
  });
  return g;
}
