// The cost model of result packing with automorphisms (a study, not a protocol of this tree:
// docs/he.md, "Bytes: levers studied"). P raw result ciphertexts of one product whose wanted
// coefficients sit at multiples of P (P a power of two dividing dw, after a shift by Y^-(dw-1))
// are merged into one by the tree of Chen, Dai, Kim and Song (2021, PackLWEs, Alg. 2) at level 0,
// before the first switch: P - 1 key switches, garbage cancelled, values times P (so products run
// at t' = 2^(ell + log2 P)). The merged ciphertext is then finished once (Enc(0), switch, flood,
// switch, mask) and sent with all N
// coefficients of c0: c1 at 46 bits, c0 at 39 bits (the flood covers the tree's noise: 3 bits more
// than today's 43 / 36).
import { OP_COST_US, MAX_ACCUMULATORS, blockCounts, makeBlocking, type Blocking, type ProductKind } from '../../src/crypto/he/packing.ts';
import { heMatmulCost } from '../../src/crypto/he/matmul.ts';
import { DEFAULT_HE_PARAMS, POLY_DEGREE as N } from '../../src/crypto/he/seal.ts';

export interface Compute {
  server: number;
  client: number;
  blocks: number;
}
export interface Packed {
  b: Blocking;
  bytes: number;
  raw: number;
  packed: number;
  compute: Compute;
}

/** Largest merge (log2 MAX_P Galois keys, one per tree level). The tree's worst-case noise grows as
 * P^2 (each level: 2(b_a + b_b) + ks); the first switch divides it by p2, and the flood covers
 * C·b1 <= 2^35: P <= 16 keeps b1 <= 2^17 (docs/he.md). Env PACK_MAX_P overrides (study). */
export const MAX_P = Number(process.env.PACK_MAX_P ?? 16);
const C1_BITS = 46, C0_BITS = 39;
/** Per raw result before the merge: its inverse NTT (µs). */
const RAW_US = 600;

const pow2 = (x: number): number => x & -x;
const uploadBytes = (ell: number): number => heMatmulCost(1, 1, 1, { ...DEFAULT_HE_PARAMS, ell }).bytesUp;

/** The blocking that minimises compute + bytes / bandwidth with packed results, and its figures per head. */
export function packedChoice(kind: ProductKind, n: number, k: number, m: number, ell: number, bandwidth: number, ksMs: number): Packed {
  const u = OP_COST_US, up = uploadBytes(ell), ks = ksMs * 1000;
  let best: (Packed & { cost: number }) | null = null;
  for (let nw = 1; nw <= n; nw++) {
    if (Math.ceil(n / Math.ceil(n / nw)) !== nw) continue; // balanced row blocks
    for (let dw = 1; dw <= Math.min(k, Math.floor(N / nw)); dw++) {
      if (Math.ceil(k / Math.ceil(k / dw)) !== dw && pow2(dw) !== dw) continue;
      const mwMax = Math.min(m, Math.floor(N / (nw * dw)));
      const mw = Math.ceil(m / Math.ceil(m / mwMax));
      const b = makeBlocking(n, k, m, nw, dw, mw);
      if (b.nb * b.mb > MAX_ACCUMULATORS) continue;
      const c = blockCounts(b, kind), P = Math.min(pow2(dw), MAX_P), packed = Math.ceil(c.outCts / P);
      const bytes = c.inCts * up + packed * Math.ceil((N * C1_BITS) / 8) + Math.ceil((n * m * C0_BITS) / 8);
      const compute: Compute = {
        server: c.inCts * u.serverInput + c.plains * u.serverPlain + c.products * u.product + c.outCts * (RAW_US + (ks * (P - 1)) / P) + packed * (u.serverOutput - RAW_US),
        client: c.inCts * u.clientEncrypt + packed * u.clientDecrypt,
        blocks: kind === 'plain' ? c.plains : 0,
      };
      const cost = (compute.server + compute.client) / 1e6 + bytes / bandwidth;
      if (!best || cost < best.cost) best = { b, bytes, raw: c.outCts, packed, compute, cost };
    }
  }
  if (!best) throw new Error(`no blocking for ${n}x${k}·${k}x${m}`);
  return best;
}
