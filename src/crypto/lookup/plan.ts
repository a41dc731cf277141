// The plan of the secure embedding lookup (docs/lookup.md): the radix B (a token id is written
// id = a·B + b, a < A = ⌈v/B⌉, b < B) and the blocking of the HE product on the one-hot of a.
// Both parties (and the op table's cost) derive it from the public sizes alone.
//
// What the plan trades. The product [n, A]·[A, B·d] does the same HE work for every B (A·B ≈ v),
// and coefficient packing (Cheetah) already trades uploads against results through its block
// sizes, so B leaves the HE bytes where they are; B = v (A = 1) drops the product for a
// 1-out-of-v OT of whole rows, the cheapest way for a small table. The blocking matters more: the
// HE policy prices bytes at the WAN profile and the server's weight-block encodings at their
// measured cost, and for the embedding's long, thin product a blocking with larger row blocks
// sends far fewer bytes for a little more server work (BERT-base: 444 → 256 MB, +9 % estimated
// time; the bundled classifier: 9.9 → 6.4 MB, +9 %). The plan takes the fewest bytes among the
// plans whose estimated time is at most SLACK above the plain one-hot product's (B = 1, the HE
// policy's blocking): what the lookup replaces.
import { DEFAULT_HE_PARAMS, estimateSeconds, heMatmulCost, type Blocking, type HeCost } from '../he/index.ts';
import { ringOf } from '../ring.ts';
import { log2ceil } from '../ot/index.ts';

export interface LookupPlan {
  /** Sub-tables (the radix): 1 = the whole one-hot product, no OT; ≥ v: no HE product (A = 1). */
  B: number;
  /** Rows per sub-table, ⌈v/B⌉: the length of the one-hot the client encrypts. */
  A: number;
  /** 1-of-2 random OTs per token, ⌈log2 B⌉ (0 when B = 1). */
  k: number;
  /** The HE product's blocking (both parties pass it), or null: the HE policy's own (or no product). */
  blocking: Blocking | null;
}

/** Estimated time may exceed the one-hot product's by this fraction for fewer bytes. */
export const SLACK = 0.1;

/** Bandwidths at which the HE blocking search prices bytes for the candidates (bytes per second). */
const PRICES = [DEFAULT_HE_PARAMS.bandwidth, 5e6, 1e6, 2e5];

export function planFor(v: number, B: number, blocking: Blocking | null = null): LookupPlan {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`lookup: the table needs at least one row, got ${v}`);
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`lookup: the radix must be a positive integer, got ${B}`);
  return { B, A: Math.ceil(v / B), k: B === 1 ? 0 : log2ceil(B), blocking };
}

/** Bytes of the server's masked shares: n·B vectors of d elements, ℓ bits each, packed. */
export const padBytes = (n: number, B: number, d: number, ell: number): number => (B === 1 ? 0 : ringOf(ell).packedBytes(n * B * d));

/** The HE product of a plan ([n, A] one-hot · [A, B·d] table), or null when A = 1 (no product). */
export function planProduct(n: number, d: number, ell: number, p: LookupPlan): HeCost | null {
  return p.A === 1 ? null : heMatmulCost(n, p.A, p.B * d, { ...DEFAULT_HE_PARAMS, ell }, p.blocking ?? undefined);
}

interface Priced {
  plan: LookupPlan;
  bytes: number;
  seconds: number;
}

/**
 * A plan's bytes and estimated seconds, priced as the HE blocking is (`estimateSeconds`: the HE
 * work plus bytes at the WAN profile), plus the OT's bytes at the same bandwidth: the masked shares
 * and 16 bytes per random OT (IKNP's; the price must not depend on the session's OT backend, so
 * that both parties and the cost model choose alike whatever it is). The OT's local work (a hash
 * and a PRG per share) is small beside HE work and not counted.
 */
function price(n: number, d: number, ell: number, plan: LookupPlan, he: HeCost | null): Priced {
  const bw = DEFAULT_HE_PARAMS.bandwidth, ot = padBytes(n, plan.B, d, ell) + 16 * n * plan.k;
  const heBytes = he ? he.bytesUp + he.bytesDown : 0;
  const heSeconds = he ? estimateSeconds(he.blocking, 'plain', bw, () => he.bytesDown) : 0;
  return { plan, bytes: heBytes + ot, seconds: heSeconds + ot / bw };
}

/** Candidates for B: 1, powers of two up to 64, and v (no HE product). For each, the blockings the
 * HE search picks when bytes are priced at each of PRICES. */
function candidates(n: number, v: number, d: number, ell: number): Priced[] {
  const out: Priced[] = [];
  const radices = new Set([1, 2, 4, 8, 16, 32, 64].filter((B) => B < v));
  radices.add(v);
  for (const B of radices) {
    const plan = planFor(v, B);
    if (plan.A === 1) {
      out.push(price(n, d, ell, plan, null));
      continue;
    }
    const seen = new Set<string>();
    for (const bandwidth of PRICES) {
      let he: HeCost;
      try {
        he = heMatmulCost(n, plan.A, B * d, { ...DEFAULT_HE_PARAMS, ell, bandwidth });
      } catch {
        continue; // no blocking within the server's accumulator budget
      }
      const key = JSON.stringify(he.blocking);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(price(n, d, ell, { ...plan, blocking: bandwidth === DEFAULT_HE_PARAMS.bandwidth && B === 1 ? null : he.blocking }, he));
    }
  }
  return out;
}

const chosen = new Map<string, LookupPlan>();

/** The plan of fewest bytes within SLACK of the one-hot product's estimated time (memoised). */
export function lookupPlan(n: number, v: number, d: number, ell: number): LookupPlan {
  for (const [name, x] of [['n', n], ['v', v], ['d', d]] as const) {
    if (!Number.isInteger(x) || x < 1) throw new RangeError(`lookup: ${name} must be a positive integer, got ${x}`);
  }
  const key = `${n} ${v} ${d} ${ell}`;
  let best = chosen.get(key);
  if (best) return best;
  const all = candidates(n, v, d, ell);
  // The reference: the one-hot product with the HE policy's blocking (first candidate of B = 1),
  // or, for a one-row table, the OT-free plan itself.
  const limit = (1 + SLACK) * all[0].seconds;
  let pick = all[0];
  for (const c of all) {
    if (c.seconds > limit) continue;
    if (c.bytes < pick.bytes || (c.bytes === pick.bytes && c.seconds < pick.seconds)) pick = c;
  }
  best = pick.plan;
  chosen.set(key, best);
  return best;
}
