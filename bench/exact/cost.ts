// What making a truncation exact costs (trunc.ts `exact: true`: a t-bit millionaires' and a
// B2A on top of the faithful truncation), from the cost functions (Ferret, the default OT):
// per element for each (ℓ, t) the noisy twin found, per sentence of the bundled classifier
// (its element counts, `npm run bench -- exact --sites`), and for BERT-base CipherPrune with the
// published kept counts (elements counted from the shapes; exp taken as all-accurate: an upper bound).
//   npm run bench -- exact --cost   (dispatched by run.ts)
import { truncCost } from '../../src/crypto/nonlinear/trunc.ts';
import { otCostModel } from '../../src/crypto/ot/backends.ts';

const N = 1 << 16;
export function extraPerElement(ell: number, t: number): { c2s: number; s2c: number; rounds: number; faithful: number } {
  // Ferret's model (truncCost's default is IKNP's, 16 B per COT: the session-8 table's 276.5 B came from it)
  const ot = otCostModel('ferret'), f = truncCost(N, { ell, t }, ot), e = truncCost(N, { ell, t, exact: true }, ot);
  return { c2s: (e.bytesClientToServer - f.bytesClientToServer) / N, s2c: (e.bytesServerToClient - f.bytesServerToClient) / N, rounds: e.rounds - f.rounds, faithful: (f.bytesClientToServer + f.bytesServerToClient) / N };
}

/** The truncations of each subset: [name, ℓ, t, elements per unit] (unit: softmax element h·n², row h·n, or linear output). */
type Unit = 'attn' | 'row' | 'lin' | 'lnrow' | 'lnelt' | 'ffn';
type Site = { ell: number; t: number; per: Unit; k: number };
export const SUBSETS: Record<string, Site[]> = {
  'softmax e·r (mul_ss#3)': [{ ell: 32, t: 12, per: 'attn', k: 1 }],
  'exp_hi internals': [{ ell: 32, t: 24, per: 'attn', k: 1 }, { ell: 32, t: 12, per: 'attn', k: 1 }, { ell: 32, t: 13, per: 'attn', k: 1 }, { ell: 32, t: 17, per: 'attn', k: 1 }, { ell: 32, t: 16, per: 'attn', k: 1 }],
  'recip internals': [{ ell: 32, t: 16, per: 'row', k: 1 }, { ell: 32, t: 13, per: 'row', k: 4 }, { ell: 64, t: 36, per: 'row', k: 1 }],
  'QKᵀ and its scaling (bmm_t_ss, mul_sp)': [{ ell: 37, t: 12, per: 'attn', k: 2 }],
  'linear outputs (matmul_sx)': [{ ell: 37, t: 12, per: 'lin', k: 1 }],
  // rowsum/d and sumsq/d (div_sp), xc·γ (mul_sx) and ·rsqrt (mul_ss), rsqrt's 6 internal truncations
  'LayerNorm (div_sp mean/var, xc·γ mul_sx, ·rsqrt mul_ss, rsqrt)': [{ ell: 64, t: 35, per: 'lnrow', k: 1 }, { ell: 64, t: 23, per: 'lnrow', k: 1 }, { ell: 44, t: 21, per: 'lnrow', k: 5 }, { ell: 64, t: 24, per: 'lnrow', k: 1 }, { ell: 32, t: 12, per: 'lnelt', k: 2 }],
  'GELU (gelu_hi: 3 truncations, all taken as accurate)': [{ ell: 32, t: 12, per: 'ffn', k: 1 }, { ell: 32, t: 15, per: 'ffn', k: 1 }, { ell: 32, t: 16, per: 'ffn', k: 1 }],
};

if (process.argv.includes('--cost')) {
  const log = (s: string) => process.stdout.write(s + '\n');
  for (const [ell, t] of [[32, 12], [32, 13], [32, 15], [32, 16], [32, 17], [32, 24], [37, 12], [44, 21], [64, 23], [64, 24], [64, 35], [64, 36]]) {
    const x = extraPerElement(ell, t);
    log(`ℓ ${ell}, t ${t}: faithful ${x.faithful.toFixed(2)} B/elt; exact adds ${x.c2s.toFixed(2)} c→s + ${x.s2c.toFixed(2)} s→c = ${(x.c2s + x.s2c).toFixed(2)} B/elt, +${x.rounds} rounds per invocation`);
  }
  const bert = (kept: number[], h: number, d: number) => {
    // per layer of n tokens: h·n² softmax elements, h·n rows, 9·d·n linear outputs (Q, K, V, O, FFN),
    // 2 LayerNorms (2n rows, 2nd elements; the embedding's LayerNorm added once), 4d·n GELU inputs
    const units = { attn: 0, row: 0, lin: 0, lnrow: kept[0], lnelt: kept[0] * d, ffn: 0 };
    for (const n of kept) { units.attn += h * n * n; units.row += h * n; units.lin += 9 * d * n; units.lnrow += 2 * n; units.lnelt += 2 * n * d; units.ffn += 4 * d * n; }
    return units;
  };
  const models: [string, Record<Unit, number>, number][] = [
    ['bundled classifier per sentence (2 layers, h 2, d 64; 32 tokens into layer 1, 4 into layer 2: 3.8 kept on average at the shipped thresholds)', bert([32, 4], 2, 64), 2],
    ['BERT-base CipherPrune, 128 tokens, published kept counts', bert([128, 55, 54, 52, 49, 45, 24, 14, 5, 2, 1, 1], 12, 768), 12],
  ];
  for (const [name, u, layers] of models) {
    log(`\n${name}: softmax elements ${u.attn}, rows ${u.row}, linear outputs ${u.lin}`);
    let cum = 0, cumR = 0;
    for (const [sub, sites] of Object.entries(SUBSETS)) {
      let b = 0, r = 0;
      for (const s of sites) { const x = extraPerElement(s.ell, s.t); b += s.k * u[s.per] * (x.c2s + x.s2c); r += x.rounds; }
      cum += b; cumR += r * layers;
      log(`  ${sub}: +${(b / 1e6).toFixed(2)} MB, +${r} rounds/layer if not overlapped (+${r * layers}); cumulative +${(cum / 1e6).toFixed(2)} MB, +${cumR} rounds`);
    }
  }
}
