// Homomorphic matrix products (docs/he.md): secret activations x the server's private weights.
import { DEFAULT_HE_PARAMS, heMatmulCost, heSetupCost } from '../../crypto/he/index.ts';
import type { CostParams, Flight, Impl } from './types.ts';

export const heCostParams: CostParams['he'] = {
  matmul(n, k, m, ell) {
    void ell; // ciphertext sizes do not depend on the plaintext ring width
    const c = heMatmulCost(n, k, m, DEFAULT_HE_PARAMS);
    if (c.rounds !== 2) throw new Error(`internal: HE product with ${c.rounds} rounds`);
    return [
      { from: 'client', c2s: c.bytesUp, s2c: 0 },
      { from: 'server', c2s: 0, s2c: c.bytesDown },
    ];
  },
  setup() {
    const c = heSetupCost();
    const flights: Flight[] = [];
    if (c.bytesUp) flights.push({ from: 'client', c2s: c.bytesUp, s2c: 0 });
    if (c.bytesDown) flights.push({ from: 'server', c2s: 0, s2c: c.bytesDown });
    return flights;
  },
};

export const matmulSxImpl: Impl = async (ctx, args, call) => {
  const [a, b] = args;
  const enc = call.type.enc;
  if (enc.kind !== 'ring' && enc.kind !== 'fix') throw new Error(`matmul_sx needs ring or fixed-point values, got ${enc.kind}`);
  if (enc.kind === 'fix' && enc.scale > 0) throw new Error('matmul_sx on fixed-point values needs secure truncation (the nonlinear protocols)');
  if (b.vis !== 'server') throw new Error('matmul_sx with client-private weights is not implemented: the weights must be the server\'s');
  const he = await ctx.engines.he(enc.ell);
  return he.matmul(a, b, a.shape[0], a.shape[1], b.shape[1]);
};
