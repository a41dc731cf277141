// Homomorphic matrix products (docs/he.md): secret activations x the server's private weights
// ([X]·W), and products of two secret matrices per head ([A]·[B], Q·K^T, P·V).
import { DEFAULT_HE_PARAMS, heBatchMatmulCost, heMatmulCost, heSetupCost, type HeCost } from '../../crypto/he/index.ts';
import type { CostParams, Flight, Impl } from './types.ts';

/** An HE product is one upload (client) and one answer (server). */
function productFlights(c: HeCost): Flight[] {
  if (c.rounds !== 2) throw new Error(`internal: HE product with ${c.rounds} rounds`);
  return [
    { from: 'client', c2s: c.bytesUp, s2c: 0 },
    { from: 'server', c2s: 0, s2c: c.bytesDown },
  ];
}

export function heCostFunctions(): Pick<CostParams, 'heSetup' | 'heMatmul' | 'heBatch'> {
  const ready = new Set<number>();
  return {
    heSetup(ell) {
      if (ready.has(ell)) return [];
      ready.add(ell);
      const c = heSetupCost();
      const flights: Flight[] = [];
      if (c.bytesUp) flights.push({ from: 'client', c2s: c.bytesUp, s2c: 0 });
      if (c.bytesDown) flights.push({ from: 'server', c2s: 0, s2c: c.bytesDown });
      return flights;
    },
    // Ciphertext sizes do not depend on the plaintext ring width.
    heMatmul: (n, k, m) => productFlights(heMatmulCost(n, k, m, DEFAULT_HE_PARAMS)),
    heBatch: (shape) => productFlights(heBatchMatmulCost(shape, DEFAULT_HE_PARAMS)),
  };
}

const ringEll = (enc: { kind: string; ell?: number }, op: string): number => {
  if (enc.kind !== 'ring' && enc.kind !== 'fix') throw new Error(`${op} needs ring or fixed-point values, got ${enc.kind}`);
  return enc.ell!;
};

/** [X]·W before truncation (the caller truncates fixed-point results). */
export const matmulSxImpl: Impl = async (ctx, args, call) => {
  const [a, b] = args;
  if (b.vis !== 'server') throw new Error("matmul_sx with client-private weights is not implemented: the weights must be the server's");
  const he = await ctx.engines.he(ringEll(call.type.enc, 'matmul_sx'));
  return he.matmul(a, b, a.shape[0], a.shape[1], b.shape[1]);
};

/** Shapes of the secret x secret products: matmul_ss [n,k]·[k,m]; bmm_ss per head; bmm_t_ss with B^T. */
export function batchShape(op: string, a: number[], b: number[]) {
  if (op === 'matmul_ss') return { heads: 1, n: a[0], k: a[1], m: b[1] };
  if (op === 'bmm_ss') return { heads: a[0], n: a[1], k: a[2], m: b[2] };
  return { heads: a[0], n: a[1], k: a[2], m: b[1], transposeB: true };
}

export function batchImpl(op: string): Impl {
  return async (ctx, args, call) => {
    const he = await ctx.engines.he(ringEll(call.type.enc, op));
    return he.batch(args[0], args[1], batchShape(op, args[0].shape, args[1].shape));
  };
}
