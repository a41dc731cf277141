// The server's weights prepared once: encoded and NTT-transformed plaintext blocks of [X]·W kept
// across products (and sessions), so a product with cached weights does no encoding and no NTT
// of its weight blocks (docs/he.md, "Weights prepared once").
//
// Keyed by content, not by object identity: a SHA-256 of the weight matrix's bytes plus every
// parameter that decides the blocks (ring width, shape, transposition, blocking). The same bytes
// give the same plaintexts, so a cached product is exactly the uncached one, whatever array the
// caller passes. An NTT plaintext at level 0 is 3 primes x N u64 (192 KiB at N = 8192), i.e.
// 6 * nw bytes per weight byte: a budget bounds the cache. Admission is first come, first kept,
// never a replacement (an inference uses every weight once in a cycle, so LRU would replace
// every entry before its next use and never hit). Blocks that do not fit are prepared per product
// as before. A plaintext carries only its parms_id (a hash of the parameters), so cached blocks
// serve every context with the same parameters in this thread (one SEAL module per thread).
import { createHash } from 'node:crypto';
import type { Plaintext } from 'node-seal';
import type { RingArray } from '../ring.ts';
import { MAX_ACCUMULATORS, type Blocking } from './packing.ts';
import { DATA_PRIMES, POLY_DEGREE } from './seal.ts';

/** Bytes of one cached NTT plaintext at level 0. */
export const CACHED_BLOCK_BYTES = DATA_PRIMES * POLY_DEGREE * 8;

/**
 * The memory one SEAL instance can ever have: node-seal is a wasm32 module whose heap stops one
 * 64 KiB page short of 4 GiB (its `getHeapMax`). Every thread has its own instance (pool.ts), and
 * its weight cache lives in that heap beside everything else the thread does.
 */
export const SEAL_HEAP_BYTES = 2 ** 32 - 2 ** 16;
/**
 * Heap left to the rest of a thread's SEAL work besides its cache: the context, keys and
 * templates, and a product's working set, which the largest blocking bounds (MAX_ACCUMULATORS
 * NTT ciphertexts of 2 x 3 primes: 576 MiB), plus a k-block of inputs and temporaries. SEAL's
 * memory pool keeps freed memory per allocation size, so this is a reserve, not a measurement.
 */
export const SEAL_RESERVE_BYTES = MAX_ACCUMULATORS * 2 * CACHED_BLOCK_BYTES + 2 ** 29;
/** The largest weight cache one SEAL instance (one thread) can hold: budgets above are clamped. */
export const MAX_CACHE_BYTES_PER_THREAD = Math.floor((SEAL_HEAP_BYTES - SEAL_RESERVE_BYTES) / CACHED_BLOCK_BYTES) * CACHED_BLOCK_BYTES;

export interface WeightCacheReport {
  /** Weight matrices with at least one cached block. */
  matrices: number;
  blocks: number;
  /** Bytes held by cached plaintexts (SEAL memory). */
  bytes: number;
  /** The budget in force: the requested one, clamped to MAX_CACHE_BYTES_PER_THREAD per thread. */
  budgetBytes: number;
  /** The budget asked for (larger than budgetBytes when it was clamped). */
  requestedBytes: number;
  /** Time spent preparing the cached blocks (encode + NTT), milliseconds. */
  buildMs: number;
  /** Block look-ups answered from the cache / prepared per product. */
  hits: number;
  misses: number;
}

/**
 * A cached block: a SEAL plaintext (NTT form, in the thread's SEAL heap), or with the products
 * kernel (mac.ts) its residues, kept in JavaScript memory and copied into the kernel when used.
 */
export interface Block {
  pt: Plaintext | null;
  data: Uint8Array | null;
  nonzero: boolean;
}

export class HeWeightCache {
  private budget = 0;
  private requested = 0;
  private readonly entries = new Map<string, Map<number, Block>>();
  private bytes = 0;
  private buildMs = 0;
  private hits = 0;
  private misses = 0;

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
  }

  /** The budget in force (bytes): the requested one, at most MAX_CACHE_BYTES_PER_THREAD. */
  get budgetBytes(): number {
    return this.budget;
  }

  /**
   * Ask for a budget. A SEAL instance cannot hold more than its wasm32 heap, so a larger budget is
   * clamped to what one thread's instance can hold beside its other work (the report shows both):
   * filling past it would end in SEAL's std::bad_alloc in the middle of a product.
   */
  set budgetBytes(bytes: number) {
    if (!(bytes >= 0)) throw new RangeError(`HE weight cache budget must be >= 0 bytes, got ${bytes}`);
    this.requested = bytes;
    this.budget = Math.min(bytes, MAX_CACHE_BYTES_PER_THREAD);
  }

  /**
   * The key of one weight operand as blocked for a product. A weight block depends on (dw, mw)
   * only, not on nw (plain.ts fillRight), so products of the same W with another token count n hit
   * the cache whenever their blocking has the same dw and mw (pruned layers, docs/he.md).
   */
  static key(ell: number, W: RingArray, k: number, m: number, transposed: boolean, b: Pick<Blocking, 'dw' | 'mw'>): string {
    return `${ell}:${k}x${m}${transposed ? 't' : ''}:${b.dw},${b.mw}:${HeWeightCache.digest(W)}`;
  }

  /** SHA-256 of a matrix's bytes (hex). */
  static digest(W: RingArray): string {
    return createHash('sha256').update(new Uint8Array(W.buffer, W.byteOffset, W.byteLength)).digest('hex');
  }

  get(key: string, block: number): Block | undefined {
    const b = this.entries.get(key)?.get(block);
    if (b) this.hits++;
    else this.misses++;
    return b;
  }

  /** Whether one more block fits the budget. */
  fits(): boolean {
    return this.bytes + CACHED_BLOCK_BYTES <= this.budget;
  }

  /**
   * Prepare a block into a new plaintext (`prepare` fills it, returns whether it is nonzero) and
   * keep it. A SEAL allocation failure (the thread's heap is full: other work took more than the
   * reserve) stops the caching with a clear error instead of SEAL's bare std::bad_alloc.
   */
  add(key: string, block: number, make: () => Plaintext, prepare: (pt: Plaintext) => boolean): Block {
    const t0 = performance.now();
    let pt: Plaintext | null = null;
    try {
      pt = make();
      const nonzero = prepare(pt);
      this.keep(key, block, { pt, data: null, nonzero }, performance.now() - t0);
      return this.entries.get(key)!.get(block)!;
    } catch (e) {
      pt?.delete();
      if (!isBadAlloc(e)) throw e;
      this.budget = this.bytes; // nothing more fits in this thread
      const mib = (b: number) => Math.floor(b / 2 ** 20);
      throw new Error(
        `HE weight cache: this thread's SEAL heap (wasm32, at most ${mib(SEAL_HEAP_BYTES)} MiB) is full after ${mib(this.bytes)} MiB of cached weights; ` +
          `lower the cache budget (--he-cache-mb; at most ${mib(MAX_CACHE_BYTES_PER_THREAD)} MiB per thread) or use more --threads`,
        { cause: e },
      );
    }
  }

  /** Keep a block (the cache owns it from now on and deletes it). `ms`: its preparation time. */
  keep(key: string, block: number, b: Block, ms = 0): void {
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = new Map()));
    if (e.has(block)) {
      b.pt?.delete();
      return;
    }
    e.set(block, b);
    this.bytes += CACHED_BLOCK_BYTES;
    this.buildMs += ms;
  }

  /** Free the cached blocks of one weight operand. */
  evict(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    for (const b of e.values()) b.pt?.delete();
    this.bytes -= e.size * CACHED_BLOCK_BYTES;
    this.entries.delete(key);
  }

  /** Free every cached plaintext. The cache stays usable. */
  clear(): void {
    for (const key of [...this.entries.keys()]) this.evict(key);
    this.buildMs = 0;
  }

  report(): WeightCacheReport {
    let blocks = 0;
    for (const e of this.entries.values()) blocks += e.size;
    return { matrices: this.entries.size, blocks, bytes: this.bytes, budgetBytes: this.budget, requestedBytes: this.requested, buildMs: this.buildMs, hits: this.hits, misses: this.misses };
  }
}

/** A C++ std::bad_alloc from SEAL (a WebAssembly.Exception whose message is [type, text]). */
function isBadAlloc(e: unknown): boolean {
  const m = (e as { message?: unknown } | null)?.message;
  return Array.isArray(m) && String(m[0]).includes('bad_alloc');
}
