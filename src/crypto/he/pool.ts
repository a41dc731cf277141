// Worker threads for HE: one SEAL instance per worker (a WASM instance per thread), keys shared by
// serialization, the blocks of a product spread over the workers (parallel.ts). One pool per
// process, shared by every session (the workers keep the server's prepared weights across
// sessions: weights.ts). A worker is referenced (keeps the process alive) only while a request
// is in flight, so an idle pool never holds the process open; a worker that dies fails every
// request in flight with an error, and the pool is replaced on next use.
import { DEFAULT_HE_PARAMS } from './seal.ts';
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import type { Reply, Request, Role } from './worker-protocol.ts';
import { HeWeightCache, type WeightCacheReport } from './weights.ts';
import type { ProductJob } from './server-core.ts';
import type { ZeroReport } from './zeros.ts';

type Value = Extract<Reply, { ok: true }>['value'];
interface Pending {
  resolve: (v: { value: Value; ms: number }) => void;
  reject: (e: Error) => void;
}

class Thread {
  readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  dead: Error | null = null;

  constructor(onDeath: () => void) {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      if (r.ok) p.resolve({ value: r.value, ms: r.ms });
      else p.reject(new Error(r.error));
    });
    const die = (e: Error) => {
      if (this.dead) return;
      this.dead = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      onDeath();
    };
    this.worker.on('error', (e) => die(new Error(`HE worker thread failed: ${e.message}`, { cause: e })));
    this.worker.on('exit', (code) => die(new Error(`HE worker thread exited (code ${code})`)));
  }

  call(q: Request): Promise<{ value: Value; ms: number }> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.next++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, q });
    });
  }
}

export class HePool {
  readonly size: number;
  private readonly threads: Thread[];
  private sids = 0;
  private pids = 0;
  private closed = false;
  broken = false;
  /**
   * [X]·W over several workers: each loads and transforms a share of an upload's inputs and passes
   * their residues to the others (parallel.ts); false: every worker transforms every input (as
   * before; for comparisons in bench/he/layer.ts).
   */
  shareInputs = true;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`HE threads must be a positive integer, got ${size}`);
    this.size = size;
    this.threads = Array.from({ length: size }, () => new Thread(() => (this.broken = true)));
  }

  /** Send one request to worker `w`; resolves with its value and the worker's compute time. */
  call(w: number, q: Request): Promise<{ value: Value; ms: number }> {
    if (this.closed) return Promise.reject(new Error('HE worker pool is closed'));
    return this.threads[w].call(q);
  }

  /** The same request to every worker. */
  all(q: (w: number) => Request): Promise<{ value: Value; ms: number }[]> {
    return Promise.all(this.threads.map((_, w) => this.call(w, q(w))));
  }

  nextProduct(): number {
    return ++this.pids;
  }

  /** Open a session on every worker with this party's keys (bytes), on contexts packed or not (pack.ts) and with the Galois key depth and tree level (HeParams.galoisDepth, galoisLevel) of the session's. */
  async open(role: Role, ell: number, keys: { pk: Uint8Array; sk?: Uint8Array; galois?: Uint8Array | null }, packed = DEFAULT_HE_PARAMS.packed, depth?: number, level?: 0 | 1): Promise<PoolSession> {
    const sid = ++this.sids;
    await this.all(() => ({ op: 'open', sid, role, ell, packed, depth, level, keys }));
    return new PoolSession(this, sid);
  }

  /**
   * Budget of the prepared-weights cache, split evenly over the workers (each caches its own
   * columns); each worker clamps its share to what its SEAL heap can hold (weights.ts).
   */
  async setWeightBudget(bytes: number): Promise<void> {
    await this.all(() => ({ op: 'cache', budgetBytes: Math.floor(bytes / this.size) }));
  }

  /**
   * Encryptions of zero each worker keeps ready per server session, made in its idle time
   * (zeros.ts; 384 KiB each). 0 (the default) makes them on a product's critical path.
   */
  async setZeroStock(count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`HE zero stock must be an integer >= 0, got ${count}`);
    await this.all(() => ({ op: 'zeros', count }));
  }

  /** Prepare plaintext blocks in the workers' kernels (mac-ntt.ts), or in SEAL (false: for comparisons). */
  async setKernelNtt(on: boolean): Promise<void> {
    await this.all(() => ({ op: 'kernel', ntt: on }));
  }

  /** The workers' stocks of encryptions of zero together. */
  async zeroReport(): Promise<ZeroReport> {
    const rs = (await this.all(() => ({ op: 'zeroReport' }))).map((r) => r.value as ZeroReport);
    return { made: rs.reduce((s, r) => s + r.made, 0), taken: rs.reduce((s, r) => s + r.taken, 0), stocked: rs.reduce((s, r) => s + r.stocked, 0) };
  }

  /** Prepare the weight blocks of an [X]·W product in the workers' caches (each its own columns). */
  async prepare(ell: number, job: ProductJob, packed = DEFAULT_HE_PARAMS.packed, depth?: number, level?: 0 | 1): Promise<void> {
    await this.all((w) => ({ op: 'prepare', ell, packed, depth, level, job, workers: this.size, index: w }));
  }

  /** The workers' caches together. */
  async weightReport(): Promise<WeightCacheReport> {
    const rs = (await this.all(() => ({ op: 'cacheReport' }))).map((r) => r.value as WeightCacheReport);
    const sum = (f: (r: WeightCacheReport) => number) => rs.reduce((s, r) => s + f(r), 0);
    return { matrices: Math.max(...rs.map((r) => r.matrices)), blocks: sum((r) => r.blocks), bytes: sum((r) => r.bytes), budgetBytes: sum((r) => r.budgetBytes), requestedBytes: sum((r) => r.requestedBytes), buildMs: sum((r) => r.buildMs), hits: sum((r) => r.hits), misses: sum((r) => r.misses) };
  }

  async clearWeights(): Promise<void> {
    await this.all(() => ({ op: 'cacheClear' }));
  }

  /** Stop every worker (their SEAL memory goes with them). Pending requests fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

/** A session's keys opened on every worker of a pool. */
export class PoolSession {
  readonly pool: HePool;
  readonly sid: number;
  private closed = false;
  constructor(pool: HePool, sid: number) {
    this.pool = pool;
    this.sid = sid;
  }
  /** Free the session's keys on every worker (never throws: a dead pool has nothing to free). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.all(() => ({ op: 'close', sid: this.sid })).catch(() => undefined);
  }
}

/**
 * Process-wide HE settings used by sessions (src/exec/engines.ts): worker threads per party, the
 * budget of the server's prepared-weights cache, and the encryptions of zero each worker makes
 * ahead in its idle time (per server session). The library defaults to one thread, no cache and
 * no stock (tests run many small sessions); the CLI sets them (`--threads`, default one per core;
 * `--he-cache-mb`; the stock with threads).
 */
export const heConfig = { threads: 1, weightCacheBytes: 0, zeroStock: 0 };

/** Encryptions of zero per worker and server session that cover a large product's results (QKV at 128 tokens: 220 per worker of 2). */
export const DEFAULT_ZERO_STOCK = 256;

/**
 * ct×pt products below which a product stays on the calling thread: starting the workers (a SEAL
 * instance each, about a second of CPU) and routing bytes only pays off for large products.
 */
export const MIN_POOLED_PRODUCTS = 512;
export const worthPooling = (products: number): boolean => heConfig.threads > 1 && products >= MIN_POOLED_PRODUCTS;

/** Worker threads by default in the CLI: one per core. */
export const defaultThreads = (): number => os.availableParallelism();

let singleCache: HeWeightCache | null = null;

/** The one-thread weight cache of this process (null without a budget or with worker threads). */
export function processWeightCache(): HeWeightCache | null {
  if (heConfig.threads > 1 || heConfig.weightCacheBytes <= 0) return null;
  singleCache ??= new HeWeightCache(heConfig.weightCacheBytes);
  singleCache.budgetBytes = heConfig.weightCacheBytes;
  return singleCache;
}

let shared: HePool | null = null;

/** The process's pool (created on first use, replaced if a worker died), or null with 1 thread. */
export async function processPool(): Promise<HePool | null> {
  if (heConfig.threads <= 1) return null;
  if (shared && (shared.broken || shared.size !== heConfig.threads)) {
    await shared.close();
    shared = null;
  }
  if (!shared) {
    shared = new HePool(heConfig.threads);
    await shared.setWeightBudget(heConfig.weightCacheBytes);
    await shared.setZeroStock(heConfig.zeroStock);
  }
  return shared;
}

/** Stop the process's pool (tests, server shutdown). */
export async function closeProcessPool(): Promise<void> {
  const p = shared;
  shared = null;
  await p?.close();
  singleCache?.clear();
}
