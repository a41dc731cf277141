// Plaintext blocks (weights, shares) encoded and NTT-transformed in the products kernel
// (mac-wasm.ts lift + ntt) instead of SEAL's encode + plainTransformToNtt and the copy of the
// result out of SEAL (docs/he.md, "Products outside SEAL"): the residues land where the products
// read them. The transform is SEAL's (same root, same order), checked residue for residue
// against SEAL once per thread and context before it is used.
import type { HeContext } from './seal.ts';
import { PT_DATA_OFFSET } from './seal.ts';
import type { Fill } from './plain.ts';
import type { MacArena } from './mac.ts';

/** A coefficient writer as HeContext.encodeInto takes it (returns false for an all-zero block). */
export type Writer = Parameters<HeContext['encodeInto']>[1];

/** The kernel's NTT tables of one prime (addresses in the arena) and its lift constants. */
interface NttPrime {
  p: bigint;
  roots: number;
  rootsQ: number;
  inc: bigint;
}
/** A context's plaintext preparation in the kernel: one NttPrime per level-0 prime. */
export interface NttPlan {
  primes: NttPrime[];
  mask: bigint;
  half: bigint;
}

const plans = new Map<string, NttPlan | null>();
const brv = (x: number, bits: number): number => {
  let r = 0;
  for (let i = 0; i < bits; i++) r = (r << 1) | ((x >>> i) & 1);
  return r;
};
const u64At = (bytes: Uint8Array, i: number): bigint => new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(PT_DATA_OFFSET + 8 * i, true);

/** A plaintext prepared by SEAL (encode + NTT at level 0): its residues. */
function sealNtt(ctx: HeContext, fill: Fill): Uint8Array {
  const s = ctx.seal, pt = new s.Plaintext(), nt = new s.Plaintext();
  try {
    ctx.encodeInto(pt, fill);
    ctx.evaluator.plainTransformToNtt(pt, ctx.topParms, nt);
    return nt.saveToArray(s.ComprModeType.none) as Uint8Array;
  } finally {
    pt.delete();
    nt.delete();
  }
}

/**
 * This thread's plan for a context's primes (null when the kernel cannot reproduce SEAL's
 * transform: then plaintexts are prepared in SEAL). SEAL's forward NTT of a plaintext is the
 * negacyclic transform with its 2N-th root ψ, outputs in bit-reversed order, so output 0 of the
 * monomial Y is ψ: read it from SEAL, build ψ^brv(k) and Shoup's quotients, and check the
 * kernel's transform of a plaintext with coefficients across [0, t) against SEAL's, residue by residue.
 */
export function nttPlan(ctx: HeContext, a: MacArena): NttPlan | null {
  const key = `${ctx.params.ell}:${ctx.N}:${ctx.primes.join(',')}`;
  if (plans.has(key)) return plans.get(key)!;
  // Lifted centred at 2^ell also in a packed context: its encodeInto centres the coefficients (seal.ts).
  const N = ctx.N, bits = Math.log2(N), t = 1n << BigInt(ctx.params.ell);
  const mono = sealNtt(ctx, (lo, wide) => {
    if (wide) wide[1] = 1n;
    else lo[2] = 1;
    return true;
  });
  const plan: NttPlan = { primes: [], mask: t - 1n, half: t >> 1n };
  for (const [l, p] of ctx.primes.entries()) {
    const psi = u64At(mono, l * N);
    const pow = new Array<bigint>(N);
    pow[0] = 1n;
    for (let e = 1; e < N; e++) pow[e] = (pow[e - 1] * psi) % p;
    const roots = a.alloc(8 * N), rootsQ = a.alloc(8 * N);
    const R = new BigUint64Array(a.k.memory.buffer, roots, N), Q = new BigUint64Array(a.k.memory.buffer, rootsQ, N);
    for (let k = 0; k < N; k++) {
      R[k] = pow[brv(k, bits)];
      Q[k] = (R[k] << 64n) / p;
    }
    plan.primes.push({ p, roots, rootsQ, inc: p - t });
  }
  // The check: a plaintext with pseudo-random coefficients mod t (both halves of [0, t)).
  let x = 0x9e3779b9;
  const fill: Fill = (lo, wide) => {
    for (let i = 0; i < N; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      const v = i === 0 ? 0 : i === 1 ? Number(plan.half) - 1 : i === 2 ? Number(plan.half) : x;
      if (wide) wide[i] = BigInt(v) * 977n % t;
      else lo[2 * i] = v;
    }
    return true;
  };
  x = 0x9e3779b9;
  const want = sealNtt(ctx, fill);
  x = 0x9e3779b9;
  const src = a.alloc(8 * N), out = a.alloc(8 * N * plan.primes.length);
  try {
    nttInto(a, plan, src, out, N, ctx.ring.wide, fill);
    const got = new BigUint64Array(a.k.memory.buffer, out, N * plan.primes.length);
    let same = true;
    for (let i = 0; i < got.length && same; i++) same = got[i] === u64At(want, i);
    plans.set(key, same ? plan : null);
    if (!same) for (const q of plan.primes) [q.roots, q.rootsQ].forEach((ptr) => a.release(ptr, 8 * N));
  } finally {
    a.release(src, 8 * N);
    a.release(out, 8 * N * plan.primes.length);
  }
  return plans.get(key)!;
}

/**
 * Encode a plaintext block and transform it in the kernel: `fill` writes the coefficients (mod t)
 * at `src` (N u64), the residues land at `out` (L × N u64, SEAL's layout of an NTT plaintext).
 * The same instructions whatever the values (lift and butterflies are branch-free).
 */
export function nttInto(a: MacArena, plan: NttPlan, src: number, out: number, N: number, wide: boolean, fill: Writer): boolean {
  a.view(src, 8 * N).fill(0);
  const buf = a.k.memory.buffer;
  const nonzero = fill(new Uint32Array(buf, src, 2 * N), wide ? new BigUint64Array(buf, src, N) : null) !== false;
  for (const [l, q] of plan.primes.entries()) {
    a.k.lift(out + 8 * N * l, src, N, plan.mask, plan.half, q.inc);
    a.k.ntt(out + 8 * N * l, N, q.roots, q.rootsQ, q.p);
  }
  return nonzero;
}

