// The public CipherPrune code's compaction, rebuilt from our own protocol pieces for comparison:
// a sequential bubble sweep of oblivious compare-and-swaps (PROTOCOLS.md). For each of the m
// pruned tokens, one pass over the rows j = 0 … n−2−i swaps rows j and j+1 when row j is pruned
// and row j+1 kept, so pruned rows sink to the end: Σ_{i<m} (n−1−i) swaps, each waiting for the
// previous one. One swap: c = ¬keep_j ∧ keep_{j+1} (AND of XOR-shared bits), t = c·(x_{j+1} − x_j)
// by one multiplexer with a d-slice random-OT pad, x_j += t, x_{j+1} −= t, both keep bits ^= c.
import { costOf, type Bits, type Cost, type CostBuilder, type ProtoCtx } from '../../src/crypto/nonlinear/context.ts';
import { andBits, andBitsCost, makeChooserCost, productsCost } from '../../src/crypto/nonlinear/ot-ops.ts';
import { notB, prepareSelector } from '../../src/crypto/nonlinear/boolean.ts';
import { ringOf, type RingArray } from '../../src/crypto/ring.ts';
import type { OtCostModel } from '../../src/crypto/ot/cost.ts';

export const sweepSwaps = (n: number, m: number): number => {
  let s = 0;
  for (let i = 0; i < m; i++) s += Math.max(0, n - 1 - i);
  return s;
};

/** Compact by the sweep: returns this party's shares of the rows with kept rows first (in order). */
export async function sweep(ctx: ProtoCtx, x: Uint32Array, keep: Bits, n: number, d: number, m: number, ell = 32): Promise<Uint32Array> {
  const ring = ringOf(ell), rows = x.slice(), k = keep.slice();
  for (let i = 0; i < m; i++) {
    for (let j = 0; j + 1 < n - i; j++) {
      const c = await andBits(ctx, notB(ctx, k.subarray(j, j + 1)), k.subarray(j + 1, j + 2), 1);
      const a = rows.subarray(j * d, (j + 1) * d), b = rows.subarray((j + 1) * d, (j + 2) * d);
      const sel = await prepareSelector(ctx, ell, c, d);
      const [t] = await sel.mul(ctx, [ring.sub(b, a) as RingArray], d);
      a.set(ring.add(a, t) as Uint32Array);
      b.set(ring.sub(b, t) as Uint32Array);
      k[j] ^= c[0];
      k[j + 1] ^= c[0];
    }
  }
  return rows;
}

function swapCost(b: CostBuilder, d: number, ell: number): void {
  andBitsCost(b, 1, 1);
  makeChooserCost(b, ell, 1, 1);
  productsCost(b, ell, 1, 1, d);
}

/** Exact cost: every swap's flights, in sequence. */
export function sweepCost(n: number, d: number, m: number, ot?: OtCostModel, ell = 32): Cost {
  return costOf((b) => {
    for (let s = sweepSwaps(n, m); s > 0; s--) swapCost(b, d, ell);
  }, ot);
}
