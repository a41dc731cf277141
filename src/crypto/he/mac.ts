// The server's ct×pt products outside SEAL (docs/he.md, "Products outside SEAL"): inputs and
// plaintext blocks in NTT form are copied out of SEAL into the memory of a small wasm kernel
// (mac-wasm.ts), multiplied and accumulated there with 128-bit lazy accumulators, and each
// accumulator is reduced and loaded back into a SEAL ciphertext once, to be finished (re-randomised,
// switched, flooded, masked) by SEAL as before. The same products, the same result ciphertext:
// only where the multiply-accumulate runs changes. One kernel (and its memory) per thread.
import type { Ciphertext, Plaintext } from 'node-seal';
import type { HeContext } from './seal.ts';
import { CT_DATA_OFFSET, PT_DATA_OFFSET } from './seal.ts';
import { macKernel, type MacKernel } from './mac-wasm.ts';
import { nttPlan, nttInto, type NttPlan, type Writer } from './mac-ntt.ts';

/** Products an accumulator takes before it is folded (reduced in place): 255 · p² + p < 2^128. */
export const FOLD_EVERY = 255;

/**
 * `foldEvery` (<= FOLD_EVERY; smaller in tests) is how many products an accumulator takes before
 * it is folded. `enabled: false` runs the products in SEAL as before (this thread only): for comparisons (tests,
 * bench/he/layer.ts's "today") and as the path for primes the kernel does not take. `ntt: false`
 * prepares plaintext blocks (encode + NTT) in SEAL instead of the kernel (kernelNtt, below).
 */
export const macConfig = { enabled: true, foldEvery: FOLD_EVERY, ntt: true };

/** Products run in this thread's kernel, and plaintext blocks prepared there (tests count them beside SEAL's operations). */
export const macStats = { products: 0, prepared: 0 };

/** Whether the kernel runs this context's products: on, and its level-0 primes are below 2^60 (mac-wasm.ts's bounds). */
export function kernelFits(ctx: HeContext): boolean {
  return macConfig.enabled && ctx.primes.every((p) => p < 1n << 60n);
}

/** This thread's plan to prepare the context's plaintext blocks in the kernel (mac-ntt.ts), or null: then SEAL prepares them. */
export const kernelNtt = (ctx: HeContext): NttPlan | null => (macConfig.ntt && kernelFits(ctx) ? nttPlan(ctx, threadArena()) : null);

/** Sizes in the kernel's memory for a context (level 0: L primes, N coefficients). */
export function macSizes(ctx: HeContext): { ct: number; pt: number; acc: number; words: number } {
  const words = ctx.primes.length * ctx.N; // one polynomial's residues
  return { ct: 2 * words * 8, pt: words * 8, acc: 2 * words * 16, words };
}

/** The kernel and its memory: fixed-size blocks, reused after release (a free list per size). */
export class MacArena {
  readonly k: MacKernel;
  private top = 65536;
  private readonly free = new Map<number, number[]>();

  constructor() {
    this.k = macKernel();
  }

  alloc(size: number): number {
    const reuse = this.free.get(size)?.pop();
    if (reuse !== undefined) return reuse;
    const ptr = this.top, end = ptr + size, have = this.k.memory.buffer.byteLength;
    if (end > have) {
      const need = Math.ceil((end - have) / 65536);
      try {
        this.k.memory.grow(Math.max(need, 256)); // 16 MiB steps
      } catch {
        try {
          this.k.memory.grow(need);
        } catch {
          throw new Error(`HE product kernel: out of memory (wasm32: at most 4 GiB per thread; ${Math.round(have / 2 ** 20)} MiB in use)`);
        }
      }
    }
    this.top = end;
    return ptr;
  }

  release(ptr: number, size: number): void {
    let f = this.free.get(size);
    if (!f) this.free.set(size, (f = []));
    f.push(ptr);
  }

  view(ptr: number, size: number): Uint8Array {
    return new Uint8Array(this.k.memory.buffer, ptr, size);
  }
}

let arena: MacArena | null = null;
/** This thread's kernel. */
export const threadArena = (): MacArena => (arena ??= new MacArena());

/** Copy a level-0 NTT-form ciphertext's residues (2 polynomials) into the kernel at `ptr`; returns its serialized header. */
export function ctIn(a: MacArena, ptr: number, size: number, c: Ciphertext, ctx: HeContext): Uint8Array {
  const bytes = c.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array;
  a.view(ptr, size).set(bytes.subarray(CT_DATA_OFFSET, CT_DATA_OFFSET + size));
  return bytes.subarray(0, CT_DATA_OFFSET);
}

/** Copy a level-0 NTT-form plaintext's residues into the kernel at `ptr`. */
export function ptIn(a: MacArena, ptr: number, size: number, p: Plaintext, ctx: HeContext): void {
  const bytes = p.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array;
  if (bytes.byteLength !== PT_DATA_OFFSET + size) throw new Error(`internal: NTT plaintext has ${bytes.byteLength} bytes`);
  a.view(ptr, size).set(bytes.subarray(PT_DATA_OFFSET));
}

/** The kernel's reduction constants per prime: p, r = 2^64 mod p, rs = ⌊r·2^64 / p⌋ (mac-wasm.ts). */
export interface Modulus {
  p: bigint;
  r: bigint;
  rs: bigint;
}
export const moduli = (primes: readonly bigint[]): Modulus[] =>
  primes.map((p) => {
    const r = (1n << 64n) % p;
    return { p, r, rs: (r << 64n) / p };
  });

/**
 * Reduce the accumulator at `acc` into residues at `out` (2 polynomials × L primes × N), in place
 * as 128-bit values when `fold` (so it takes FOLD_EVERY more products).
 */
export function reduceAcc(a: MacArena, out: number, acc: number, ctx: HeContext, m: Modulus[], fold = false): void {
  const N = ctx.N, L = m.length;
  for (let j = 0; j < 2; j++) {
    for (let l = 0; l < L; l++) {
      const i = (j * L + l) * N, { p, r, rs } = m[l];
      if (fold) a.k.reduce(acc + i * 16, acc + i * 16, N, p, r, rs, 16);
      else a.k.reduce(out + i * 8, acc + i * 16, N, p, r, rs, 8);
    }
  }
}

/**
 * One product's accumulators in the kernel, for one ServerCore: `slots` 128-bit accumulators
 * (allocated when a head starts), the inputs of the k-block being absorbed, and one scratch
 * plaintext (the weight or share block being multiplied).
 */
export class MacProducts {
  private readonly a = threadArena();
  private readonly ctx: HeContext;
  private readonly sz: ReturnType<typeof macSizes>;
  private readonly m: Modulus[];
  private readonly acc: Int32Array;
  private readonly count: Uint16Array;
  private readonly inputs: number[] = [];
  private readonly held = new Set<number>();
  private scratch: number;
  /** The coefficients of a block being prepared in the kernel (N u64), or -1 without a plan. */
  private src = -1;
  private readonly plan: NttPlan | null;
  private out = -1;
  private header: Uint8Array | null = null;

  constructor(ctx: HeContext, slots: number) {
    this.ctx = ctx;
    this.sz = macSizes(ctx);
    this.m = moduli(ctx.primes);
    this.acc = new Int32Array(slots).fill(-1);
    this.count = new Uint16Array(slots);
    this.scratch = this.a.alloc(this.sz.pt);
    this.plan = kernelNtt(ctx);
    if (this.plan) this.src = this.a.alloc(8 * ctx.N);
  }

  /** Whether plaintext blocks are prepared in the kernel (prepare) rather than in SEAL (plain). */
  get prepares(): boolean {
    return this.plan !== null;
  }

  /** Encode and transform a plaintext block into the scratch block in the kernel (its address, whether it is nonzero). */
  prepare(fill: Writer): { w: number; nonzero: boolean } {
    if (!this.plan) throw new Error('internal: no kernel NTT for this context');
    macStats.prepared++;
    return { w: this.scratch, nonzero: nttInto(this.a, this.plan, this.src, this.scratch, this.ctx.N, this.ctx.ring.wide, fill) };
  }

  /** Start accumulator `slot` at zero (the re-randomising Enc_pk(0) is added when it is finished). */
  start(slot: number): void {
    if (this.acc[slot] < 0) this.acc[slot] = this.a.alloc(this.sz.acc);
    this.a.view(this.acc[slot], this.sz.acc).fill(0);
    this.count[slot] = 0;
  }

  /** An input ciphertext (NTT form, level 0) copied in; freed by endInputs. */
  input(c: Ciphertext): number {
    return this.adopt(this.hold(c));
  }

  endInputs(): void {
    for (const p of this.inputs) this.a.release(p, this.sz.ct);
    this.inputs.length = 0;
  }

  /** An input copied in and held past endInputs (loaded for a later k-block's absorb, parallel.ts) until adopted. */
  hold(c: Ciphertext): number {
    const p = this.a.alloc(this.sz.ct);
    this.held.add(p);
    const h = ctIn(this.a, p, this.sz.ct, c, this.ctx);
    this.header ??= h.slice();
    return p;
  }

  /** A held input becomes an input of the k-block being absorbed (freed by endInputs). */
  adopt(p: number): number {
    this.held.delete(p);
    this.inputs.push(p);
    return p;
  }

  /** An input's residues (2 polynomials × L primes × N u64, NTT form), copied out for another thread's kernel. */
  inputBytes(p: number): Uint8Array {
    return this.a.view(p, this.sz.ct).slice();
  }

  /** The serialized header of this product's inputs (level 0, NTT form), once one was copied in. */
  inputHeader(): Uint8Array | null {
    return this.header;
  }

  /** An input whose residues another thread loaded (inputBytes there) copied in; freed by endInputs. */
  inputData(data: Uint8Array, header: Uint8Array): number {
    if (data.byteLength !== this.sz.ct) throw new Error(`internal: shared HE input has ${data.byteLength} bytes`);
    const p = this.a.alloc(this.sz.ct);
    this.inputs.push(p);
    this.a.view(p, this.sz.ct).set(data);
    this.header ??= header.slice();
    return p;
  }

  /** A prepared NTT plaintext into the scratch block (returns its address). */
  plain(pt: Plaintext): number {
    ptIn(this.a, this.scratch, this.sz.pt, pt, this.ctx);
    return this.scratch;
  }

  /** Residues kept outside the kernel (a cached weight block) into the scratch block. */
  plainData(data: Uint8Array): number {
    this.a.view(this.scratch, this.sz.pt).set(data);
    return this.scratch;
  }

  /** A copy of the scratch block's residues (to keep in a weight cache). */
  scratchData(): Uint8Array {
    return this.a.view(this.scratch, this.sz.pt).slice();
  }

  /** acc[slot] += input · plaintext, both polynomials (folded every FOLD_EVERY products). */
  mulAcc(slot: number, input: number, plain: number): void {
    const acc = this.acc[slot];
    this.a.k.mac2(acc, input, plain, this.sz.words);
    macStats.products++;
    if (++this.count[slot] >= Math.min(macConfig.foldEvery, FOLD_EVERY)) {
      reduceAcc(this.a, 0, acc, this.ctx, this.m, true);
      this.count[slot] = 0;
    }
  }

  /** The serialized level-0 NTT ciphertext of accumulator `slot`, reduced; the slot is freed. */
  result(slot: number): Uint8Array {
    if (!this.header) throw new Error('internal: an HE result before any input');
    if (this.out < 0) this.out = this.a.alloc(this.sz.ct);
    reduceAcc(this.a, this.out, this.acc[slot], this.ctx, this.m);
    this.a.release(this.acc[slot], this.sz.acc);
    this.acc[slot] = -1;
    const bytes = new Uint8Array(CT_DATA_OFFSET + this.sz.ct);
    bytes.set(this.header);
    bytes.set(this.a.view(this.out, this.sz.ct), CT_DATA_OFFSET);
    return bytes;
  }

  /** Give every block back to the thread's kernel (idempotent). */
  delete(): void {
    this.endInputs();
    for (const p of this.held) this.a.release(p, this.sz.ct);
    this.held.clear();
    for (let i = 0; i < this.acc.length; i++) {
      if (this.acc[i] >= 0) this.a.release(this.acc[i], this.sz.acc);
      this.acc[i] = -1;
    }
    if (this.out >= 0) this.a.release(this.out, this.sz.ct);
    this.out = -1;
    if (this.scratch >= 0) this.a.release(this.scratch, this.sz.pt);
    this.scratch = -1;
    if (this.src >= 0) this.a.release(this.src, 8 * this.ctx.N);
    this.src = -1;
  }
}
