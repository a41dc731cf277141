// The leaves of the millionaires' protocol (compare.ts; Rathee et al., "CrypTFlow2", CCS 2020,
// §3.1, Algorithm 1): digit extraction, the leaf sender's 1-of-2^d tables, and the grouping of
// digits by width (one 1-of-N OT call per width).
//
// Balanced roles: the leaf sender builds the tables and hashes 2^d pads per OT, the chooser only
// hashes the one it picks (server CPU ≈ 2× client when the server sends every leaf). The
// comparison [a > b] is the same protocol whichever party holds a, and the AND tree is symmetric,
// so a call may split its elements: [0, h) with the server as leaf sender, [h, n) with the client.
// Each party's leaf OT calls of one role go in the same flights as before (both directions at
// once), so bytes and rounds do not change.
import type { RingArray } from '../ring.ts';
import type { Bits, ProtoCtx } from './context.ts';

/**
 * The server's share of a comparison's leaf tables (balanced roles: one half; 1 restores the
 * server sending every table). Both parties and the cost model read it: change it in code only,
 * never per party.
 */
export const LEAF_ROLES = { serverShare: 0.5 };

/** Elements of a call whose leaf tables the server sends (the client sends the rest). */
export const serverLeaves = (n: number): number => Math.ceil(n * LEAF_ROLES.serverShare);

/** One party's inputs to a millionaires' run with split roles. */
export interface LeafRoles {
  /** Elements [0, h) have the server as leaf sender, [h, n) the client. */
  h: number;
  /** This party's values where it is the leaf sender: C per element (c fastest). */
  send: RingArray;
  /** This party's values where it chooses: one per element. */
  recv: RingArray;
}

/**
 * The chooser's half of the leaves for elements [from, from + b.length): its OT messages go out now
 * (the first flight); the returned function reads the sender's tables into gt[j], eq[j].
 */
export async function chooseLeaves(ctx: ProtoCtx, plan: number[], bits: number, C: number, from: number, b: RingArray, gt: Bits[], eq: Bits[]): Promise<() => Promise<void>> {
  const n = b.length, W = 2 * C, mb = Math.ceil(W / 8);
  if (n === 0) return async () => undefined;
  const bd = digitsOf(b, bits, plan), groups = widthGroups(plan), replies: (() => Promise<Uint8Array>)[] = [];
  for (const { d, idx } of groups) {
    const K = idx.length, ch = new Uint8Array(n * K); // digits ≤ 8 bits
    for (let k = 0; k < K; k++) {
      const bj = bd[idx[k]];
      for (let i = 0; i < n; i++) ch[i * K + k] = bj[i];
    }
    replies.push(await ctx.ot.otNRecvStart(ch, 1 << d, W));
  }
  return async () => {
    for (const [g, { idx }] of groups.entries()) {
      const got = await replies[g](), K = idx.length;
      for (let k = 0; k < K; k++) {
        const gj = gt[idx[k]], ej = eq[idx[k]];
        for (let i = 0, o = k * mb; i < n; i++, o += K * mb) {
          for (let c = 0, t = (from + i) * C; c < C; c++, t++) {
            const bit = 2 * c, byte = got[o + (bit >>> 3)];
            gj[t] = (byte >>> (bit & 7)) & 1;
            ej[t] = (byte >>> ((bit + 1) & 7)) & 1;
          }
        }
      }
    }
  };
}

/**
 * The leaf sender's half for elements [from, from + a.length / C): random shares gt[j], eq[j] of
 * its elements, then one 1-of-2^d OT call per digit width with the masked tables.
 */
export async function sendLeaves(ctx: ProtoCtx, plan: number[], bits: number, C: number, from: number, a: RingArray, gt: Bits[], eq: Bits[]): Promise<void> {
  const n = a.length / C, W = 2 * C, mb = Math.ceil(W / 8);
  if (n === 0) return;
  const ad = digitsOf(a, bits, plan), lo = from * C, hi = (from + n) * C;
  const gs = gt.map((g) => g.subarray(lo, hi)), es = eq.map((e) => e.subarray(lo, hi));
  // One pseudorandom byte per (digit, output): its low bit is the gt share, the next the eq share.
  const r = ctx.prg.bytes(plan.length * n * C);
  for (let j = 0, o = 0; j < plan.length; j++) {
    const gj = gs[j], ej = es[j];
    for (let t = 0; t < n * C; t++, o++) {
      gj[t] = r[o] & 1;
      ej[t] = (r[o] >>> 1) & 1;
    }
  }
  for (const { d, idx } of widthGroups(plan)) await ctx.ot.otNSend(leafTable(ad, gs, es, idx, n, C, 1 << d, mb), 1 << d, W);
}

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
