// Secure embedding lookup (docs/lookup.md): the client holds token ids, the server a table
// T (v × d) over Z_2^ell; both end with additive shares of T[id] for every id. Nothing but the
// public sizes (n, v, d, ell) is revealed to either party.
//
// With id = a·B + b (plan.ts), T padded to A·B rows is the matrix W = [E_0 | … | E_{B−1}]
// (A × B·d): row a of W is rows a·B … a·B + B − 1 of T side by side, so W is T itself, reshaped.
//  1. HE: the client encrypts the one-hot of a (n × A, ring value 1); the server's product with W
//     (src/crypto/he, [X]·W, Cheetah packing) leaves the client c and the server s with
//     c + s = onehot(a)·W, i.e. block b of row i is E_b[a_i] = T[a_i·B + b] for every b.
//  2. OT: a 1-out-of-B OT of the server's blocks, from k = ⌈log2 B⌉ random 1-of-2 OTs per token
//     (Naor and Pinkas, "Oblivious transfer and polynomial evaluation", STOC 1999, §3): the server
//     holds keys K_t^0, K_t^1, the client K_t^{b_t}. The pad of block j is
//     P_j = PRG(H(i, j, K_1^{j_1}, …, K_k^{j_k})) (H = SHA-256 as a random oracle, PRG = AES-CTR);
//     the server sends y_j = s_j − S + P_j for every j < B with S a fresh uniform share, the
//     client unpads y_b and adds c_b: c_b + s_b − S = T[id] − S. The server's share is S.
// For j ≠ b the client misses one key of P_j, so y_j hides s_j (and with it c_j hides T's row);
// y_b − P_b = s_b − S is uniform. The server sees only HE ciphertexts and OT messages.
// A = 1 (B ≥ v): no HE product, s_j = T[j] and c = 0. B = 1: the one-hot product alone, no OT.
import { createHash } from 'node:crypto';
import type { Channel, Party } from '../../transport/channel.ts';
import type { Blocking } from '../he/index.ts';
import type { ObliviousTransfer } from '../ot/types.ts';
import { Prg } from '../prg.ts';
import { ringOf, type Ring, type RingArray } from '../ring.ts';
import { planFor, lookupPlan, type LookupPlan } from './plan.ts';

/** [X]·W on this party's share of the one-hot (client: Xc, w = null; server: Xs, w = W), with the
 * plan's blocking (null: the HE policy's). */
export type OneHotProduct = (x: RingArray, w: RingArray | null, n: number, k: number, m: number, blocking: Blocking | null) => Promise<RingArray>;

export interface LookupCtx {
  party: Party;
  ch: Channel;
  prg: Prg;
  /** The session's OT (asked for only when B > 1). */
  ot: () => Promise<ObliviousTransfer>;
  /** The session's HE product over Z_2^ell (asked for only when A > 1, after the OT). */
  product: () => Promise<OneHotProduct>;
}

export interface LookupParams {
  /** Tokens, table rows, row width, ring width. */
  n: number;
  v: number;
  d: number;
  ell: number;
  /** Override the radix (tests; both parties must pass the same). Default: lookupPlan. */
  B?: number;
}

const KEY = 16;

const le32 = (x: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, true);
  return b;
};

export function planOf(p: LookupParams): LookupPlan {
  return p.B === undefined ? lookupPlan(p.n, p.v, p.d, p.ell) : planFor(p.v, p.B);
}

/** Checked token ids: integers in [0, v). */
export function checkIds(ids: ArrayLike<number>, v: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(Number.isInteger(id) && id >= 0 && id < v)) throw new RangeError(`token id ${id} at position ${i} is outside the vocabulary 0..${v - 1}`);
  }
}

/** Pads of token i for the blocks `js`: P_j = PRG(H(i, j, key_t(j_t) for t < k)), d elements each. */
function pads(ring: Ring, i: number, js: number[], k: number, d: number, key: (t: number, bit: number) => Uint8Array): RingArray[] {
  return js.map((j) => {
    const h = createHash('sha256').update('cipherprune lookup pad').update(le32(i)).update(le32(j));
    for (let t = 0; t < k; t++) h.update(key(t, (j >>> t) & 1));
    return ring.random(d, new Prg(h.digest().subarray(0, KEY)));
  });
}

/** The client: its ids (n of them, each < v). Returns its share of T[ids] (n × d). */
export async function lookupClient(ctx: LookupCtx, ids: ArrayLike<number>, p: LookupParams): Promise<RingArray> {
  const { n, v, d, ell } = p, ring = ringOf(ell), plan = planOf(p), { A, B, k } = plan;
  if (ids.length !== n) throw new RangeError(`lookup: expected ${n} token ids, got ${ids.length}`);
  checkIds(ids, v);
  const ot = B > 1 ? await ctx.ot() : null;
  const product = A > 1 ? await ctx.product() : null;
  // The random OTs first: their messages share the client's flight with the HE upload.
  let keys: Uint8Array | null = null;
  if (ot) {
    const choices = new Uint8Array(n * k);
    for (let i = 0; i < n; i++) for (let t = 0; t < k; t++) choices[i * k + t] = ((ids[i] % B) >>> t) & 1;
    keys = await ot.rotRecv(choices, 8 * KEY);
  }
  let c: RingArray | null = null;
  if (product) {
    const onehot = ring.alloc(n * A);
    for (let i = 0; i < n; i++) {
      const at = i * A + Math.floor(ids[i] / B);
      if (onehot instanceof BigUint64Array) onehot[at] = 1n;
      else onehot[at] = 1;
    }
    c = await product(onehot, null, n, A, B * d, plan.blocking);
  }
  const out = ring.alloc(n * d);
  for (let i = 0; i < n; i++) {
    const b = ids[i] % B;
    if (c) out.set(c.subarray((i * B + b) * d, (i * B + b + 1) * d) as never, i * d);
  }
  if (!ot) return out;
  const y = ring.unpack(await ctx.ch.recv(), n * B * d);
  for (let i = 0; i < n; i++) {
    const b = ids[i] % B, at = (i * B + b) * d;
    const [pad] = pads(ring, i, [b], k, d, (t) => keys!.subarray((i * k + t) * KEY, (i * k + t + 1) * KEY));
    const mine = out.subarray(i * d, (i + 1) * d) as RingArray;
    ring.sub(ring.add(mine, y.subarray(at, at + d) as RingArray, mine), pad, mine);
  }
  return out;
}

/** The server: its table T (v × d, row-major). Returns its share of T[ids] (n × d). */
export async function lookupServer(ctx: LookupCtx, table: RingArray, p: LookupParams): Promise<RingArray> {
  const { n, v, d, ell } = p, ring = ringOf(ell), plan = planOf(p), { A, B, k } = plan;
  if (table.length !== v * d) throw new RangeError(`lookup: expected a ${v} × ${d} table, got ${table.length} elements`);
  const ot = B > 1 ? await ctx.ot() : null;
  const product = A > 1 ? await ctx.product() : null;
  const keys = ot ? await ot.rotSend(n * k, 8 * KEY) : null;
  // W: T padded with zero rows to A·B rows, read as A × B·d.
  const W = ring.alloc(A * B * d);
  W.set(table as never);
  // s: the server's share of every block of every token (A = 1: the table itself, c = 0).
  let s: RingArray;
  if (product) s = await product(ring.alloc(n * A), W, n, A, B * d, plan.blocking);
  else {
    s = ring.alloc(n * B * d);
    for (let i = 0; i < n; i++) s.set(W as never, i * B * d);
  }
  if (!keys) return s;
  const S = ring.random(n * d, ctx.prg);
  const y = ring.alloc(n * B * d), js = Array.from({ length: B }, (_, j) => j);
  for (let i = 0; i < n; i++) {
    const Si = S.subarray(i * d, (i + 1) * d) as RingArray;
    const P = pads(ring, i, js, k, d, (t, bit) => (bit ? keys.m1 : keys.m0).subarray((i * k + t) * KEY, (i * k + t + 1) * KEY));
    for (let j = 0; j < B; j++) {
      const at = (i * B + j) * d, yj = y.subarray(at, at + d) as RingArray;
      ring.add(ring.sub(s.subarray(at, at + d) as RingArray, Si, yj), P[j], yj);
    }
  }
  ctx.ch.send(ring.pack(y));
  return S;
}

/** Where the twin reads T[ids] (n·d element indices into the row-major table); checks every id < v. */
export function lookupIndex(ids: ArrayLike<number>, v: number, d: number): Uint32Array {
  checkIds(ids, v);
  const idx = new Uint32Array(ids.length * d);
  for (let i = 0; i < ids.length; i++) for (let c = 0; c < d; c++) idx[i * d + c] = ids[i] * d + c;
  return idx;
}
