// The HE key plan of a schedule (docs/he.md "Galois keys: which a session sends"): per ring width,
// whether the session's context packs results, how many merge-tree levels the setup sends
// Galois keys for, and whether the tree runs at level 0 or 1 (docs/he.md "Merging at level 1":
// keys of 2 components over 3 primes instead of 3 over 4, but P bounded by the flood on large calls). Keys are a one-time setup cost and packing pays per
// product, so the choice is program-wide: for each ring width, the candidate (unpacked, or packed
// with depth d = 1..packBits, which caps every product's merge width P at 2^d) that minimises
//   sum over the schedule's HE products of that width of (server + client compute, OP_COST_US)
//     + (bytes up + down) / HE_BYTES_PRICE
//   + setup bytes / HE_BYTES_PRICE + d · OP_COST_US.galoisKey (making and loading the keys),
// the blocking policy's own price (packing.ts estimateSeconds), so the keys are amortised over
// exactly the products that use them. Sizes revealed at run time are taken at their largest
// (nothing pruned: message-bound.ts largestRevealedSizes), so the plan is a function of public
// facts (program, config, parameters) that both parties compute before the run; the cost model
// then predicts the run under it exactly. Ties go to the deeper plan (today's default).
import { DEFAULT_HE_PARAMS, OP_COST_US, heBatchMatmulCost, heMatmulCost, heSetupCost, type Blocking, type ProductKind } from '../crypto/he/index.ts';
import { chainFor, keyPackOf, POLY_DEGREE } from '../crypto/he/seal.ts';
import { checkNoise } from '../crypto/he/noise.ts';
import { packNoise, resultCoeffs } from '../crypto/he/compress.ts';
import { computeUs, noiseTerms } from '../crypto/he/packing.ts';
import { OpError, type IrOp } from '../ir/ir.ts';
import type { DimEnv } from '../ir/dim-env.ts';
import { heParamsFor } from '../ir/ops/he.ts';
import { makeCostParams } from '../ir/ops/table.ts';
import type { CostParams, HeKeyChoice, HeKeyPlan } from '../ir/ops/types.ts';
import { predictSchedule, stepFlights } from './cost.ts';
import { largestRevealedSizes } from './message-bound.ts';
import type { Schedule } from './schedule.ts';

/** One HE product of the schedule: [X]·W (with the lookup's fixed blocking, if any) or [A]·[B] per head. */
export type Product = { kind: 'plain'; n: number; k: number; m: number; blocking?: Blocking } | { kind: 'shared'; shape: { heads: number; n: number; k: number; m: number; transposeB?: boolean } };

/**
 * The HE products of a schedule by ring width, at the largest revealed sizes; null if those are
 * unknown (a revealed size that is not a count: every width keeps the defaults). Predicting the
 * schedule there must succeed: those sizes are a run that prunes nothing, so an op whose cost
 * fails there would fail that run too. A failure is an error naming the program and the cause,
 * never a silent fallback to the default keys (which would change the setup bytes unseen).
 */
export function heProducts(s: Schedule): Map<number, Product[]> | null {
  const dims = largestRevealedSizes(s.program);
  if (!dims) return null;
  const byEll = new Map<number, Product[]>();
  const add = (ell: number, p: Product) => byEll.set(ell, [...(byEll.get(ell) ?? []), p]);
  const base = makeCostParams();
  const rec: CostParams = {
    ...base,
    heKeys: { plan: new Map() },
    heSetup: (ell) => (byEll.has(ell) || byEll.set(ell, []), []),
    heMatmul: (n, k, m, ell, blocking) => (add(ell, { kind: 'plain', n, k, m, blocking }), []),
    heBatch: (shape, ell) => (add(ell, { kind: 'shared', shape }), []),
  };
  try {
    predictSchedule(s, dims, rec);
  } catch (e) {
    const sizes = s.program.runtimeDims.map((r) => `${r.symbol.name}=${dims.values.get(r.symbol)}`).join(', ');
    const at = sizes ? ` with every size revealed at run time at its largest (${sizes})` : '';
    throw new OpError(`cannot plan the HE keys of model '${s.program.model}': predicting its cost${at} failed: ${(e as Error).message}`, failingOp(s, dims));
  }
  return byEll;
}

/** The first op whose step cannot be priced on its own at `dims` (where a failed prediction points). */
function failingOp(s: Schedule, dims: DimEnv): IrOp | undefined {
  for (const st of s.steps) {
    try {
      stepFlights(s, st, dims, makeCostParams());
    } catch {
      return s.program.ops[st.ops[0]];
    }
  }
  return undefined;
}

/**
 * Predicted compute seconds and bytes of one product under `params` (the blocking policy's price);
 * infinite when the product's noise check would refuse it there (engine.ts checkProductNoise): a
 * product too large to flood in a packed context even unmerged (its results scaled by 16, e.g. a
 * 128-token LM head against GPT-2's 50,257-word table) makes its width run unpacked.
 */
function productPrice(p: Product, params: ReturnType<typeof heParamsFor>): { compute: number; bytes: number } {
  // Memoised: a model repeats a few shapes per layer (the blocking search is the costly part).
  const key = JSON.stringify([p, params]);
  let hit = prices.get(key);
  if (!hit) {
    if (prices.size > 4096) prices.clear();
    prices.set(key, (hit = price(p, params)));
  }
  return hit;
}
const prices = new Map<string, { compute: number; bytes: number }>();

function price(p: Product, params: ReturnType<typeof heParamsFor>): { compute: number; bytes: number } {
  const c = p.kind === 'plain' ? heMatmulCost(p.n, p.k, p.m, params, p.blocking) : heBatchMatmulCost(p.shape, params);
  const shape = p.kind === 'plain' ? { heads: 1, n: p.n, k: p.k, m: p.m } : p.shape;
  const np = { N: POLY_DEGREE, primes: chainFor(params.ell).primes, params };
  try {
    checkNoise(np, noiseTerms(c.blocking, p.kind), resultCoeffs(shape), packNoise(np, c.blocking, !!params.packed));
  } catch {
    return { compute: Infinity, bytes: Infinity };
  }
  const u = computeUs(c.blocking, p.kind as ProductKind, !!params.packed);
  return { compute: (shape.heads * (u.server + u.client)) / 1e6, bytes: c.bytesUp + c.bytesDown };
}

/** Candidates for one ring width, deepest first: packed with every level keyed ... one level (tree at level 0, then at level 1), then unpacked. */
function candidates(ell: number): HeKeyChoice[] {
  const out: HeKeyChoice[] = [];
  for (let d = chainFor(ell).packBits; d >= 1; d--) out.push({ packed: true, galoisDepth: d }, { packed: true, galoisDepth: d, galoisLevel: 1 });
  out.push({ packed: false });
  return out;
}

/** Per candidate, the predicted seconds of a width's products and its setup (for reports and tests). */
export function keyPlanCosts(ell: number, products: Product[]): { choice: HeKeyChoice; compute: number; bytes: number; setupBytes: number; seconds: number }[] {
  return candidates(ell).map((choice) => {
    const params = heParamsFor(new Map([[ell, choice]]), ell);
    let compute = 0, bytes = 0;
    for (const p of products) {
      const c = productPrice(p, params);
      compute += c.compute;
      bytes += c.bytes;
    }
    // The keys: their bytes at the policy's price and their making (client) and loading (server).
    const setupBytes = heSetupCost(params).bytesUp, keys = Math.log2(keyPackOf(params));
    compute += (keys * OP_COST_US.galoisKey) / 1e6;
    return { choice, compute, bytes, setupBytes, seconds: compute + (bytes + setupBytes) / params.bandwidth };
  });
}

const plans = new WeakMap<Schedule, HeKeyPlan>();

/**
 * The key plan of a schedule (header comment); empty (every width at the defaults) when a size
 * revealed at run time has no known bound; an OpError when the schedule cannot be priced at its
 * largest sizes (heProducts). Memoised per schedule.
 */
export function heKeyPlan(s: Schedule): HeKeyPlan {
  let plan = plans.get(s);
  if (plan) return plan;
  const byEll = heProducts(s), out = new Map<number, HeKeyChoice>();
  if (DEFAULT_HE_PARAMS.packed && byEll) {
    for (const [ell, ps] of byEll) {
      let best = Infinity;
      for (const c of keyPlanCosts(ell, ps)) if (c.seconds < best) (best = c.seconds), out.set(ell, c.choice);
    }
  }
  plans.set(s, (plan = out));
  return plan;
}
