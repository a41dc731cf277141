// What both parties' cores of one HE product share: the job description (plain data, it crosses
// to worker threads) and the upload sizes it implies. Split from server-core.ts, which re-exports it.
import type { RingArray } from '../ring.ts';
import type { Blocking, ProductKind, ProductShape } from './packing.ts';
import { chainFor } from './seal.ts';
import { uploadBytes } from './compress.ts';
import { jointOffset } from './packing.ts';

/** Bytes of one uploaded ciphertext at ring width `ell` (its chain's packed frame, compress.ts). */
export const uploadCtBytes = (ell: number): number => uploadBytes(chainFor(ell).bits);

/** An operand: heads consecutive row-major matrices. */
export interface Operand {
  data: RingArray;
  /** For right operands: stored as m×k per head (Bᵀ given, e.g. K for Q·Kᵀ). */
  transposed?: boolean;
}

/** One product as both parties' cores see it (plain data: it crosses to worker threads). */
export interface ProductJob {
  kind: ProductKind;
  shape: ProductShape;
  b: Blocking;
  left: Operand;
  right: Operand | null;
  /**
   * Server: leave its own left share out of the ciphertexts (no addPlain, about 2 ms per uploaded
   * ciphertext) because the caller adds Xs·W (As·Bs) to its share in the clear (matmul.ts).
   */
  foldShare?: boolean;
  /** Server, [X]·W: the weight cache key, computed once by the caller (weights.ts). */
  weightKey?: string;
}

/** Ciphertexts per upload message (one message per head and k-block). */
export const perMessage = (job: Pick<ProductJob, 'kind' | 'b'>): number => (jointOffset(job.b, job.kind) ? Math.max(job.b.nb, job.b.mb) : job.b.nb + (job.kind === 'shared' ? job.b.mb : 0));
