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
  if (mb === 1) {
    // C ≤ 4, one byte per message: above every a_c the byte is Σ_c (gt_c, eq_c) << 2c; below a_c
    // flip constant c's gt bit, at a_c its eq bit (digit values are < N).
    for (let i = 0, o = 0; i < n; i++) {
      for (let k = 0; k < idx.length; k++, o += N) {
        const j = idx[k], aj = ad[j], gj = gt[j], ej = eq[j];
        let base = 0;
        for (let c = 0, t = i * C; c < C; c++, t++) base |= (gj[t] | (ej[t] << 1)) << (2 * c);
        msgs.fill(base, o, o + N);
        for (let c = 0, t = i * C; c < C; c++, t++) {
          const av = aj[t], flip = 1 << (2 * c);
          for (let v = 0; v < av; v++) msgs[o + v] ^= flip;
          msgs[o + av] ^= flip << 1;
        }
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
