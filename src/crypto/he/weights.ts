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
import type { Blocking } from './packing.ts';
import { DATA_PRIMES, POLY_DEGREE } from './seal.ts';

/** Bytes of one cached NTT plaintext at level 0. */
export const CACHED_BLOCK_BYTES = DATA_PRIMES * POLY_DEGREE * 8;

export interface WeightCacheReport {
  /** Weight matrices with at least one cached block. */
  matrices: number;
  blocks: number;
  /** Bytes held by cached plaintexts (SEAL memory). */
  bytes: number;
  budgetBytes: number;
  /** Time spent preparing the cached blocks (encode + NTT), milliseconds. */
  buildMs: number;
  /** Block look-ups answered from the cache / prepared per product. */
  hits: number;
  misses: number;
}

interface Block {
  pt: Plaintext;
  nonzero: boolean;
}

export class HeWeightCache {
  budgetBytes: number;
  private readonly entries = new Map<string, Map<number, Block>>();
  private bytes = 0;
  private buildMs = 0;
  private hits = 0;
  private misses = 0;

  constructor(budgetBytes: number) {
    if (!(budgetBytes >= 0)) throw new RangeError(`HE weight cache budget must be >= 0 bytes, got ${budgetBytes}`);
    this.budgetBytes = budgetBytes;
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
    return this.bytes + CACHED_BLOCK_BYTES <= this.budgetBytes;
  }

  /** Keep `pt` (the cache owns it from now on and deletes it). `ms`: its preparation time. */
  put(key: string, block: number, pt: Plaintext, nonzero: boolean, ms: number): void {
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = new Map()));
    const old = e.get(block);
    if (old) {
      pt.delete();
      return;
    }
    e.set(block, { pt, nonzero });
    this.bytes += CACHED_BLOCK_BYTES;
    this.buildMs += ms;
  }

  /** Free the cached blocks of one weight operand. */
  evict(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    for (const b of e.values()) b.pt.delete();
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
    return { matrices: this.entries.size, blocks, bytes: this.bytes, budgetBytes: this.budgetBytes, buildMs: this.buildMs, hits: this.hits, misses: this.misses };
  }
}
