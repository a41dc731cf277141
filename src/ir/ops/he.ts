// Homomorphic matrix products (docs/he.md): secret activations x the server's private weights
// ([X]·W), and products of two secret matrices per head ([A]·[B], Q·K^T, P·V).
import { DEFAULT_HE_PARAMS, heBatchMatmulCost, heMatmulCost, heSetupCost, type HeCost } from '../../crypto/he/index.ts';
import type { RingArray } from '../../crypto/ring.ts';
import { ringOf } from '../tensor.ts';
import type { Batch, CostParams, Flight, HeKeyPlan, Impl, OpSignature } from './types.ts';
import type { HeParams } from '../../crypto/he/index.ts';

/** An HE product is one upload (client) and one answer (server). */
export function productFlights(c: HeCost): Flight[] {
  if (c.rounds !== 2) throw new Error(`internal: HE product with ${c.rounds} rounds`);
  return [
    { from: 'client', c2s: c.bytesUp, s2c: 0 },
    { from: 'server', c2s: 0, s2c: c.bytesDown },
  ];
}

const costs = new Map<string, HeCost>();
function memo(key: string, f: () => HeCost): HeCost {
  let c = costs.get(key);
  if (!c) costs.set(key, (c = f()));
  return c;
}

/** The HE parameters of ring width `ell` under a key plan (src/opt/he-keys.ts; absent: the defaults). */
export const heParamsFor = (plan: HeKeyPlan | null, ell: number): HeParams => ({ ...DEFAULT_HE_PARAMS, ell, ...plan?.get(ell) });

export function heCostFunctions(): Pick<CostParams, 'heSetup' | 'heMatmul' | 'heBatch' | 'heKeys'> {
  const ready = new Set<number>();
  const heKeys: CostParams['heKeys'] = { plan: null };
  const params = (ell: number): HeParams => heParamsFor(heKeys.plan, ell);
  const tag = (ell: number): string => JSON.stringify(heKeys.plan?.get(ell) ?? null);
  return {
    heKeys,
    heSetup(ell) {
      if (ready.has(ell)) return [];
      ready.add(ell);
      const c = heSetupCost(params(ell));
      const flights: Flight[] = [];
      if (c.bytesUp) flights.push({ from: 'client', c2s: c.bytesUp, s2c: 0, setup: 'he' });
      if (c.bytesDown) flights.push({ from: 'server', c2s: 0, s2c: c.bytesDown, setup: 'he' });
      return flights;
    },
    // The ring width sets the level chain (upload bytes: 154 bits per coefficient for ell <= 32,
    // 180 above) and how many low bits of the results are dropped for download (docs/he.md); the
    // key plan whether and how deep results merge. The blocking search behind a product's cost is
    // memoised by shape, ell and plan (a model has a few).
    heMatmul: (n, k, m, ell, blocking) => productFlights(memo(JSON.stringify([n, k, m, ell, tag(ell), blocking ?? null]), () => heMatmulCost(n, k, m, params(ell), blocking))),
    heBatch: (shape, ell) => productFlights(memo(JSON.stringify([shape, ell, tag(ell)]), () => heBatchMatmulCost(shape, params(ell)))),
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

/**
 * HE grouping: products of the same secret operand with several of the server's matrices
 * ([X]·Wq, [X]·Wk, [X]·Wv) are one product with the matrices side by side, [X]·[Wq | Wk | Wv]:
 * one upload of X instead of one per matrix. The key is the operand (and the shapes).
 */
export const matmulSxKey = (sig: OpSignature): string => JSON.stringify([sig.argIds[0], sig.args[0].shape, sig.args[1].vis, sig.type.enc]);

/** Columns [from, from + m) of an [n, total] row-major matrix. */
function columns(ell: number, a: RingArray, n: number, total: number, from: number, m: number): RingArray {
  const out = ringOf(ell).alloc(n * m);
  for (let r = 0; r < n; r++) (out as Uint32Array).set((a as Uint32Array).subarray(r * total + from, r * total + from + m), r * m);
  return out;
}

export const matmulSxBatch: Batch = {
  impl: async (ctx, items) => {
    const [a] = items[0].args, ell = ringEll(items[0].call.type.enc, 'matmul_sx');
    const [n, k] = a.shape, ms = items.map((it) => it.args[1].shape[1]), total = ms.reduce((x, y) => x + y, 0);
    let w: RingArray | null = null;
    if (items[0].args[1].data) {
      w = ringOf(ell).alloc(k * total);
      let off = 0;
      items.forEach((it, i) => {
        const b = it.args[1].data as RingArray;
        for (let r = 0; r < k; r++) (w as Uint32Array).set((b as Uint32Array).subarray(r * ms[i], (r + 1) * ms[i]), r * total + off);
        off += ms[i];
      });
    }
    const raw = (await matmulSxImpl(ctx, [a, { ...items[0].args[1], shape: [k, total], data: w }], { ...items[0].call, type: { ...items[0].call.type, shape: [n, total] } })) as RingArray;
    let off = 0;
    return ms.map((m) => {
      const part = columns(ell, raw, n, total, off, m);
      off += m;
      return part;
    });
  },
  cost: (calls, p) => {
    const [n, k] = calls[0].args[0].shape, total = calls.reduce((s, c) => s + c.args[1].shape[1], 0);
    const ell = ringEll(calls[0].type.enc, 'matmul_sx');
    return [...p.heSetup(ell), ...p.heMatmul(n, k, total, ell)];
  },
};
