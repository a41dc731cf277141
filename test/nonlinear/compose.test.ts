// Softmax (with an additive causal mask) and LayerNorm composed from the primitives: opened
// results vs their twins and float64; bytes equal the summed cost functions, rounds ≤ their sum.
import { describe, expect, it } from 'vitest';
import { layerNorm, layerNormCost, layerNormTwin, softmax, softmaxCost, softmaxTwin } from '../../src/crypto/nonlinear/index.ts';
import { makePair, open, run2, share } from './harness.ts';
import { ell, fx, ring, s, uniform } from './cases.ts';

describe('composed functions (ideal OT)', () => {
  for (const degree of ['hi', 'lo'] as const) it(`softmax (exp_${degree}) with a causal mask, rows of 16`, async () => {
    const rows = 16, cols = 16, z = uniform(rows * cols, -6, 6, 3);
    for (let r = 0; r < rows; r++) for (let c = r + 1; c < cols; c++) z[r * cols + c] -= 10000;
    const x = fx.encode(z), [x0, x1] = share(x, ell, 4), p = { ell, s, cols, degree };
    // exp_lo: lines within 4.2e-3 of e^x and ≤ 32 ULP from its twin (docs/approximations.md)
    const [tolRef, tolTwin] = degree === 'hi' ? [3e-3, 16] : [5e-3, 32];
    const pair = await makePair('ideal');
    const m = await run2(pair, (ctx, party) => softmax(ctx, party === 'server' ? x0 : x1, p));
    const got = fx.decode(open(m.server, m.client, ell)), tw = fx.decode(softmaxTwin(x, p));
    let worstRef = 0, worstTwin = 0;
    for (let r = 0; r < rows; r++) {
      const row = z.slice(r * cols, (r + 1) * cols), mx = Math.max(...row), ex = row.map((v) => Math.exp(v - mx)), sum = ex.reduce((a, b) => a + b, 0);
      for (let c = 0; c < cols; c++) {
        worstRef = Math.max(worstRef, Math.abs(got[r * cols + c] - ex[c] / sum));
        worstTwin = Math.max(worstTwin, Math.abs(got[r * cols + c] - tw[r * cols + c]) * 2 ** s);
        expect(Math.abs(got[r * cols + c] - ex[c] / sum)).toBeLessThanOrEqual(tolRef);
        expect(Math.abs(got[r * cols + c] - tw[r * cols + c])).toBeLessThanOrEqual(tolTwin * 2 ** -s);
      }
    }
    if (process.env.CIPHERPRUNE_VERBOSE) console.log(`softmax ${degree}`, { worstRef, worstTwinUlps: worstTwin });
    const pred = softmaxCost(rows * cols, p, pair.client.ot.cost);
    expect([m.cost.bytesClientToServer, m.cost.bytesServerToClient]).toEqual([pred.bytesClientToServer, pred.bytesServerToClient]);
    expect(m.cost.rounds).toBeLessThanOrEqual(pred.rounds);
  });
  // Rows of ordinary spread, and rows of small variance (as embeddings: 1e-3), where the former
  // composition (squares truncated to 12 bits, stat: null) lost the variance. Against the twin:
  // the mean's 1-ULP truncation error is multiplied by rsqrt(var), ≈ 50 for the small rows.
  it.each([
    { name: 'variance in fix<44, 24>', scale: 1, stat: undefined, tol: 1e-2, twinUlps: 16 },
    { name: 'variance in fix<44, 24>, small-variance rows', scale: 0.01, stat: undefined, tol: 2e-2, twinUlps: 16 * 50 },
    { name: 'former composition (variance in fix<32, 12>)', scale: 1, stat: null, tol: 1e-2, twinUlps: 16 },
  ])('layernorm with gamma and beta, rows of 32: $name', async ({ scale, stat, tol, twinUlps }) => {
    const rows = 4, cols = 32, xs = uniform(rows * cols, -3, 5, 5).map((v) => v * scale);
    const g = fx.encode(uniform(cols, 0.5, 1.5, 6)), b = fx.encode(uniform(cols, -0.2, 0.2, 7));
    const x = fx.encode(xs), [x0, x1] = share(x, ell, 8), p = { ell, s, cols, stat };
    const pair = await makePair('ideal');
    const m = await run2(pair, (ctx, party) => layerNorm(ctx, party === 'server' ? x0 : x1, party === 'server' ? g : null, party === 'server' ? b : null, p));
    const got = fx.decode(open(m.server, m.client, ell)), tw = fx.decode(layerNormTwin(x, g, b, p));
    const gd = fx.decode(g), bd = fx.decode(b), xd = fx.decode(x);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(xd.slice(r * cols, (r + 1) * cols)), mu = row.reduce((a, v) => a + v, 0) / cols;
      const v = row.reduce((a, t) => a + (t - mu) ** 2, 0) / cols;
      for (let c = 0; c < cols; c++) {
        const want = ((row[c] - mu) / Math.sqrt(v + 1e-5)) * gd[c] + bd[c];
        expect(Math.abs(got[r * cols + c] - want)).toBeLessThanOrEqual(tol);
        expect(Math.abs(got[r * cols + c] - tw[r * cols + c])).toBeLessThanOrEqual(twinUlps * 2 ** -s);
      }
    }
    const pred = layerNormCost(rows * cols, p, pair.client.ot.cost);
    expect([m.cost.bytesClientToServer, m.cost.bytesServerToClient]).toEqual([pred.bytesClientToServer, pred.bytesServerToClient]);
    expect(m.cost.rounds).toBeLessThanOrEqual(pred.rounds);
    void ring;
  });
});
