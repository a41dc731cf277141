// Coefficient packing of matrix products (Cheetah, Huang et al., USENIX Security 2022; IRON,
// Hao et al., NeurIPS 2022). A block X' (nw x dw) of the left operand and a block W' (dw x mw) of
// the right operand become the polynomials
//   x(Y) = sum_{i,j} X'[i][j] Y^(i*dw*mw + j),   w(Y) = sum_{j,c} W'[j][c] Y^(c*dw + dw-1-j),
// and the coefficient of Y^(i*dw*mw + c*dw + dw-1) in x*w mod (Y^N + 1) is (X'W')[i][c], provided
// nw*dw*mw <= N. One ciphertext x plaintext product computes a whole block product, no rotations.
// This file chooses the blocking (a small cost model over block counts) and maps indices.
import { POLY_DEGREE, ctBytes, seededBytes } from './seal.ts';

/** Block sizes and block counts of one product (the same for both parties). */
export interface Blocking {
  nw: number;
  dw: number;
  mw: number;
  /** ceil(n/nw), ceil(k/dw), ceil(m/mw). */
  nb: number;
  kb: number;
  mb: number;
  /**
   * Packed results (pack.ts): raw results merged per ciphertext, a power of two dividing dw; set
   * by chooseBlocking (or resolved from the noise for a given blocking) when the chain packs.
   */
  P?: number;
  /**
   * [A]·[B] only: heads per product (heads.ts), the block-diagonal head group; the other fields
   * then describe the grouped product n × group·k · group·k × group·m. Absent: 1.
   */
  group?: number;
}

/** Results merged per ciphertext (1 without packing). */
export const packOf = (b: Blocking): number => b.P ?? 1;

/** 'plain': [X]·W, only the left operand is encrypted. 'shared': [A]·[B], both cross terms. */
export type ProductKind = 'plain' | 'shared';

export interface ProductShape {
  heads: number;
  n: number;
  k: number;
  m: number;
}

/**
 * Per-operation costs of the cost model in microseconds, measured with node-seal 7 on the project
 * machine at N = 8192, three 60-bit data primes, client figures calibrated on the BERT bench
 * (docs/he.md). Only their ratios matter.
 */
export const OP_COST_US = {
  /** client: encode + seeded symmetric encryption + serialise, per uploaded ciphertext */
  clientEncrypt: 2000,
  /** server: load (expand seed) + add own share + forward NTT, per uploaded ciphertext */
  serverInput: 3300,
  /** server: encode + NTT of one plaintext block (weights or a share) */
  serverPlain: 700,
  /** server: one NTT-domain ct x pt product and accumulation */
  product: 420,
  /** server: inverse NTT, re-randomise, switch, flood, switch, mask, serialise, per result */
  serverOutput: 5400,
  /** client: load + decrypt + decode, per result ciphertext */
  clientDecrypt: 1300,
  /** server, packed results, per raw result (pack.ts): the shift by (16/P)·Y^-(dw-1) (a ct×pt product) and the inverse NTT */
  rawResult: 900,
  /** server, packed results: one key switch (applyGalois) at level 0, 3 data primes + a 60-bit special prime */
  keySwitch: 4000,
  /**
   * setup, packed results: one Galois key made by the client (its share of the keygen context
   * included) and loaded by the server, ≈ 16 key switches: `npm run bench -- keys` measured
   * 807 ms for 4 keys beside applyGalois 12.5 ms (load 17, docs/he.md) and 965 + 90 ms beside
   * 16.9 ms (load 10); priced by the key plan (src/opt/he-keys.ts), once per session.
   */
  galoisKey: 64000,
} as const;

/** Accumulators the server may hold at once (NTT form, 3 primes: 384 KiB each). */
export const MAX_ACCUMULATORS = 1536;

export interface BlockCounts {
  /** Uploaded ciphertexts (per head). */
  inCts: number;
  /** Plaintext blocks encoded and NTT-transformed by the server (per head). */
  plains: number;
  /** ct x pt products (per head). */
  products: number;
  /** Result ciphertexts (per head). */
  outCts: number;
}

export function blockCounts(b: Blocking, kind: ProductKind): BlockCounts {
  const shared = kind === 'shared';
  return {
    inCts: jointOffset(b, kind) ? b.kb * Math.max(b.nb, b.mb) : b.nb * b.kb + (shared ? b.kb * b.mb : 0),
    plains: b.kb * b.mb + (shared ? b.nb * b.kb : 0),
    products: b.nb * b.kb * b.mb * (shared ? 2 : 1),
    outCts: b.nb * b.mb,
  };
}

/** Bytes of one head's result messages for a blocking (exact: matmul.resultBytesPerHead). */
export type DownBytes = (b: Blocking) => number;

/** Without compression: whole one-prime ciphertexts. */
const wholeResults: DownBytes = (b) => b.nb * b.mb * ctBytes(1);

/**
 * Finishing work of one head's results: without packing outCts finished results; with packing
 * (`packed`) every raw result is shifted and transformed, each row's groups of P are merged
 * (treeSwitches key switches) and each merged ciphertext finished once (pack.ts).
 */
export function finishCounts(b: Blocking, packed: boolean): { raw: number; merged: number; switches: number } {
  if (!packed) return { raw: 0, merged: b.nb * b.mb, switches: 0 };
  const P = packOf(b), groups = Math.ceil(b.mb / P), last = b.mb - (groups - 1) * P;
  return { raw: b.nb * b.mb, merged: b.nb * groups, switches: b.nb * ((groups - 1) * treeSwitches(P, P) + treeSwitches(last, P)) };
}

/** Key switches of merging `members` results in a tree of width P (absent inputs cost nothing; pack.ts). */
export function treeSwitches(members: number, P: number): number {
  let present = Array.from({ length: P }, (_, i) => i < members);
  let n = 0;
  while (present.length > 1) {
    const half = present.length / 2;
    present = present.slice(0, half).map((a, j) => a || present[j + half]);
    n += present.filter(Boolean).length;
  }
  return n;
}

/** The part of serverOutput that a packed raw result pays before the merge (its inverse NTT, in rawResult). */
const RAW_PART_US = 600;

/** Estimated compute of one head's product in microseconds (OP_COST_US), server and client, and the weight blocks prepared. */
export function computeUs(b: Blocking, kind: ProductKind, packed = false): { server: number; client: number; blocks: number } {
  const c = blockCounts(b, kind), f = finishCounts(b, packed), u = OP_COST_US;
  return {
    server: c.inCts * u.serverInput + c.plains * u.serverPlain + c.products * u.product + f.raw * u.rawResult + f.switches * u.keySwitch + f.merged * (u.serverOutput - (packed ? RAW_PART_US : 0)),
    client: c.inCts * u.clientEncrypt + f.merged * u.clientDecrypt,
    blocks: kind === 'plain' ? c.plains : 0,
  };
}

/** Estimated seconds (compute on both sides plus bytes over `bandwidth`) for one head; `upBytes` per uploaded ciphertext. */
export function estimateSeconds(b: Blocking, kind: ProductKind, bandwidth: number, downBytes: DownBytes = wholeResults, upBytes = seededBytes(3), packed = false): number {
  const u = computeUs(b, kind, packed);
  const bytes = blockCounts(b, kind).inCts * upBytes + downBytes(b);
  return (u.server + u.client) / 1e6 + bytes / bandwidth;
}

export function makeBlocking(n: number, k: number, m: number, nw: number, dw: number, mw: number): Blocking {
  return { nw, dw, mw, nb: Math.ceil(n / nw), kb: Math.ceil(k / dw), mb: Math.ceil(m / mw) };
}

/** Distinct balanced block sizes ceil(len / count) for count = 1..len, at most `cap`. */
function sizes(len: number, cap: number): number[] {
  const out = new Set<number>();
  for (let count = 1; count <= len; count++) {
    const s = Math.ceil(len / count);
    if (s <= cap) out.add(s);
    if (s === 1) break;
  }
  return [...out];
}

/** The blocking that minimises `estimateSeconds` (deterministic: both parties compute it). */
export function chooseBlocking(
  shape: { n: number; k: number; m: number },
  kind: ProductKind,
  bandwidth: number,
  N: number = POLY_DEGREE,
  downBytes: DownBytes = wholeResults,
  upBytes = seededBytes(3),
  /** Packed results: the merge width of a blocking (pack.ts, capped by the noise); absent: no packing. */
  pack?: (b: Blocking) => number,
): Blocking {
  const { n, k, m } = shape;
  checkDims(n, k, m);
  let best: Blocking | null = null;
  let bestCost = Infinity;
  for (const nw of sizes(n, N)) {
    for (const dw of sizes(k, Math.floor(N / nw))) {
      const mwMax = Math.min(m, Math.floor(N / (nw * dw)));
      if (mwMax < 1) continue;
      const mw = Math.ceil(m / Math.ceil(m / mwMax)); // balanced
      const b: Blocking = makeBlocking(n, k, m, nw, dw, mw);
      if (b.nb * b.mb > MAX_ACCUMULATORS) continue;
      if (pack) b.P = pack(b);
      const cost = estimateSeconds(b, kind, bandwidth, downBytes, upBytes, !!pack);
      if (cost < bestCost) {
        bestCost = cost;
        best = b;
      }
    }
  }
  if (!best) throw new Error(`no blocking for ${n}x${k}·${k}x${m} within ${MAX_ACCUMULATORS} accumulators`);
  return best;
}

export function checkDims(n: number, k: number, m: number): void {
  for (const [name, v] of [['n', n], ['k', k], ['m', m]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`matrix dimension ${name} must be a positive integer, got ${v}`);
  }
}

export function checkBlocking(b: Blocking, n: number, k: number, m: number, N: number = POLY_DEGREE): void {
  if (b.nw * b.dw * b.mw > N || b.nw < 1 || b.dw < 1 || b.mw < 1) {
    throw new RangeError(`blocking ${b.nw}x${b.dw}x${b.mw} does not fit N = ${N}`);
  }
  const e = makeBlocking(n, k, m, b.nw, b.dw, b.mw);
  if (e.nb !== b.nb || e.kb !== b.kb || e.mb !== b.mb) throw new RangeError('blocking counts do not match the shape');
  const P = packOf(b);
  if (!Number.isInteger(P) || P < 1 || (P & (P - 1)) !== 0 || b.dw % P !== 0) throw new RangeError(`blocking: results merged by ${P}, not a power of two dividing dw = ${b.dw}`);
}

/**
 * Small [A]·[B] products (docs/he.md "Small products"): head groups (matmul.ts, heads.ts) and joint
 * uploads (jointOffset). Both on; switched off only by benchmarks and tests that compare with the
 * per-head form (both parties and the cost model read the same switch: one process).
 */
export const smallProducts = { groups: true, joint: true };

/**
 * Joint uploads of [A]·[B] (docs/he.md "Small products"): per k-block, upload t carries left block
 * x = A_t (t < nb) and right block w = B_t (t < mb) as x + Y^off·w, max(nb, mb) ciphertexts instead
 * of nb + mb. Result block (i, j) takes upload i times w_s = Bs_j (right layout) and upload j times
 * Y^-off·x_s, x_s = As_i (left layout):
 *   (x_i + Y^off·w_i)·w_s + (x_j + Y^off·w_j)·Y^-off·x_s
 *     = [x_i·w_s + w_j·x_s] + Y^off·w_i·w_s + Y^-off·x_j·x_s.
 * The bracket is the block's sum at the result positions [0, S), S = nw·dw·mw. With x and x_s of
 * degree ≤ lx = S − dw·mw + dw − 1 and w, w_s of degree < dw·mw, the two other terms sit at
 * degrees [off, off + 2·dw·mw − 2] and (negacyclic) [N − off, N − off + 2·lx]: outside [0, S) and
 * without wrap-around when off ≥ max(S, 2·lx + 1), off + 2·dw·mw ≤ N + 1 and off ≤ N − S (with
 * packed results these terms stay off the result positions after the shift by Y^-(dw-1) too, and
 * the tree treats them as any other non-result coefficient). Returns that smallest offset, or 0
 * when the blocks do not fit (then nb + mb uploads per k-block, as before).
 */
export function jointOffset(b: Blocking, kind: ProductKind, N: number = POLY_DEGREE): number {
  if (!smallProducts.joint || kind !== 'shared') return 0;
  const S = b.nw * b.dw * b.mw, dm = b.dw * b.mw, lx = S - dm + b.dw - 1;
  const off = Math.max(S, 2 * lx + 1);
  return off + 2 * dm - 1 <= N && off <= N - S ? off : 0;
}

/** Coefficient index of left-block entry (i, j). */
export const leftIndex = (b: Blocking, i: number, j: number): number => i * b.dw * b.mw + j;
/** Coefficient index of right-block entry (j, c). */
export const rightIndex = (b: Blocking, j: number, c: number): number => c * b.dw + b.dw - 1 - j;
/** Coefficient index of result-block entry (i, c). */
export const outIndex = (b: Blocking, i: number, c: number): number => i * b.dw * b.mw + c * b.dw + b.dw - 1;

/**
 * Worst-case number of (plaintext coefficient x noise coefficient) terms summed into one result
 * coefficient: for each block product, the plaintext's nonzero coefficients (noise analysis).
 */
export function noiseTerms(b: Blocking, kind: ProductKind): number {
  const right = b.kb * b.dw * b.mw;
  return kind === 'shared' ? right + b.kb * b.nw * b.dw : right;
}
