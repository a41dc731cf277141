// The client's share of one HE product as synchronous steps, shared by the single-thread driver
// (engine.ts) and the worker threads (worker.ts): encrypt one operand block, decrypt one result.
import type { Plaintext, Ciphertext } from 'node-seal';
import type { RingArray } from '../ring.ts';
import type { HeClientSession } from './keys.ts';
import { fillLeft, fillRight, NO_FILL, withShifted } from './plain.ts';
import { jointOffset } from './packing.ts';
import type { ProductJob } from './server-core.ts';
import { expandResult, packUpload, productDrop, resultHeader, resultPositions, type Drop } from './compress.ts';
import { CT_DATA_OFFSET } from './seal.ts';
import { decodePacked } from './pack.ts';

export class ClientCore {
  private readonly sess: HeClientSession;
  private readonly job: ProductJob;
  private readonly pt: Plaintext;
  private readonly ct: Ciphertext;
  private readonly drop: Drop;
  private readonly header: Uint8Array;
  /** Packed results (pack.ts): a frame is a merged ciphertext holding 16·(y + r) at t' = 2^(ell+4). */
  private readonly packed: boolean;

  constructor(sess: HeClientSession, job: ProductJob) {
    this.sess = sess;
    this.job = job;
    this.packed = sess.ctx.pack > 1;
    this.drop = productDrop(sess.ctx, job.kind, job.b, job.shape);
    this.header = resultHeader(sess);
    this.pt = new sess.ctx.seal.Plaintext();
    this.ct = new sess.ctx.seal.Ciphertext();
  }

  /**
   * Seeded symmetric encryption of upload block `i` of (head h, k-block kbi): i < nb is left
   * block i, then (for [A]·[B]) right block i - nb; with joint uploads (packing.ts jointOffset)
   * upload i is left block i (if any) + Y^off · right block i (if any). Sent as an upload frame (compress.ts, packUpload).
   */
  encrypt(h: number, kbi: number, i: number): Uint8Array {
    const { sess, job, pt } = this;
    const { b, shape, left, right } = job;
    const { n, k, m } = shape;
    const ctx = sess.ctx;
    const joint = jointOffset(b, job.kind, ctx.N);
    if (joint) {
      const x = i < b.nb ? fillLeft(b, left.data, h * n * k, n, k, i, kbi) : NO_FILL;
      const w = i < b.mb ? fillRight(b, right!.data, h * k * m, k, m, !!right!.transposed, kbi, i) : NO_FILL;
      ctx.encodeInto(pt, withShifted(x, w, joint, ctx.N));
    } else if (i < b.nb) ctx.encodeInto(pt, fillLeft(b, left.data, h * n * k, n, k, i, kbi));
    else ctx.encodeInto(pt, fillRight(b, right!.data, h * k * m, k, m, !!right!.transposed, kbi, i - b.nb));
    const ser = sess.encryptor.encryptSymmetricSerializable(pt);
    try {
      return packUpload(ser.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array, ctx.chain.bits, ctx.N);
    } finally {
      ser.delete();
    }
  }

  /**
   * Decrypt frame `f` of row block `nbi` (compress.ts: a result block, or with packing a merged
   * group of blocks): its N coefficients (only the result positions are meaningful) and, if asked,
   * the measured noise headroom in bits.
   */
  decrypt(frame: Uint8Array, nbi: number, f: number, measureBudget = false): { coeffs: RingArray; budget?: number } {
    const positions = resultPositions(this.job.b, this.job.shape, nbi, f, this.packed);
    const bytes = expandResult(frame, positions, this.drop, this.header, this.sess.ctx.primes[0], this.sess.ctx.N);
    const coeffs = this.open(bytes);
    const budget = measureBudget ? this.headroom(bytes, positions, coeffs) : undefined;
    return { coeffs, ...(budget !== undefined ? { budget } : {}) };
  }

  private open(bytes: Uint8Array): RingArray {
    const { sess, ct, pt } = this;
    ct.loadFromArray(sess.ctx.context, bytes);
    sess.decryptor.decrypt(ct, pt);
    return this.packed ? decodePacked(sess.ctx.seal, sess.ctx.ring, pt, sess.ctx.N) : sess.ctx.decode(pt);
  }

  /**
   * Measured noise headroom at the result positions, in bits: log2(R / (R - D)) with R = q0/(2t)
   * and D the largest shift of c0 (both signs, all positions at once) that leaves every result
   * unchanged, so R - D bounds the largest noise |e| + 1/2 found. SEAL's invariant noise budget
   * would measure every coefficient, and c0 is zero outside the result positions. Tests only (about
   * 2 log2 R decryptions).
   */
  private headroom(bytes: Uint8Array, positions: Uint32Array, want: RingArray): number {
    const ctx = this.sess.ctx;
    const p0 = ctx.primes[0];
    const R = p0 / (2n * ctx.t);
    const c0 = new BigUint64Array(positions.length);
    const dv = new DataView(bytes.buffer, bytes.byteOffset + CT_DATA_OFFSET);
    positions.forEach((j, i) => (c0[i] = dv.getBigUint64(8 * j, true)));
    const same = (shift: bigint): boolean => {
      const b = bytes.slice();
      const w = new DataView(b.buffer, CT_DATA_OFFSET);
      positions.forEach((j, i) => w.setBigUint64(8 * j, (((c0[i] + shift) % p0) + p0) % p0, true));
      const got = this.open(b);
      for (const j of positions) if (got[j] !== want[j]) return false;
      return true;
    };
    let worst = R;
    for (const sign of [1n, -1n]) {
      let lo = 0n, hi = R; // same(lo) holds, same(hi) fails
      while (hi - lo > 1n) {
        const mid = (lo + hi) / 2n;
        if (same(sign * mid)) lo = mid;
        else hi = mid;
      }
      if (lo < worst) worst = lo;
    }
    return Math.log2(Number(R)) - Math.log2(Number(R - worst));
  }

  delete(): void {
    this.pt.delete();
    this.ct.delete();
  }
}
