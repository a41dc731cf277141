// Messages between a party's main thread and its HE worker threads (pool.ts, worker.ts). Every
// request has an id and gets exactly one reply. Work of one product is split by result columns
// (or by heads when there are at least as many heads as workers): `ownerOf` is that rule, the same
// on both sides of the port.
import type { RingArray } from '../ring.ts';
import type { ProductJob, SharedInputs } from './server-core.ts';
import type { WeightCacheReport } from './weights.ts';
import type { ZeroReport } from './zeros.ts';

export type Role = 'client' | 'server';

export type Request =
  | { op: 'open'; sid: number; role: Role; ell: number; packed?: boolean; depth?: number; level?: 0 | 1; keys: { pk: Uint8Array; sk?: Uint8Array; galois?: Uint8Array | null } }
  | { op: 'close'; sid: number }
  | { op: 'sStart'; pid: number; sid: number; job: ProductJob; workers: number; index: number; seed: Uint8Array }
  | { op: 'sLoad'; pid: number; h: number; kbi: number; msg: Uint8Array; rows: number[] }
  | { op: 'sAbsorb'; pid: number; h: number; kbi: number; msg: Uint8Array; given?: SharedInputs[] }
  | { op: 'sRows'; pid: number; h: number }
  | { op: 'cStart'; pid: number; sid: number; job: ProductJob }
  | { op: 'cEnc'; pid: number; h: number; kbi: number; from: number; to: number }
  | { op: 'cDec'; pid: number; nbi: number; mbis: number[]; cts: Uint8Array[]; budget: boolean }
  | { op: 'end'; pid: number }
  | { op: 'prepare'; ell: number; packed?: boolean; depth?: number; level?: 0 | 1; job: ProductJob; workers: number; index: number }
  | { op: 'cache'; budgetBytes: number }
  | { op: 'cacheReport' }
  | { op: 'cacheClear' }
  | { op: 'zeros'; count: number }
  | { op: 'kernel'; ntt: boolean }
  | { op: 'zeroReport' };

/** One finished result frame (a block, or a packed group: compress.ts): its bytes and the server's mask r (all N coefficients). */
export interface RowBlock {
  nbi: number;
  /** The frame's index in its row. */
  f: number;
  bytes: Uint8Array;
  r: RingArray;
}

export type Reply =
  | { id: number; ok: true; ms: number; value?: RowBlock[] | Uint8Array[] | { coeffs: RingArray[]; budget?: number } | SharedInputs | null | WeightCacheReport | ZeroReport }
  | { id: number; ok: false; error: string };

/** Which worker computes result column block `mbi` of head `h`. */
export function ownerOf(heads: number, mb: number, workers: number, h: number, mbi: number): number {
  return heads >= workers || mb < workers ? h % workers : mbi % workers;
}

/**
 * The owner of column block `mbi` of a product: with packed results (pack.ts) a group of P
 * consecutive blocks is merged into one ciphertext, so groups, not blocks, are split over workers.
 */
export function ownerOfBlock(job: Pick<ProductJob, 'shape' | 'b'>, workers: number, h: number, mbi: number): number {
  const P = job.b.P ?? 1;
  return ownerOf(job.shape.heads, Math.ceil(job.b.mb / P), workers, h, Math.floor(mbi / P));
}
