// The client's share of one HE product as synchronous steps, shared by the single-thread driver
// (engine.ts) and the worker threads (worker.ts): encrypt one operand block, decrypt one result.
import type { Plaintext, Ciphertext } from 'node-seal';
import type { RingArray } from '../ring.ts';
import type { HeClientSession } from './keys.ts';
import { fillLeft, fillRight } from './plain.ts';
import type { ProductJob } from './server-core.ts';

export class ClientCore {
  private readonly sess: HeClientSession;
  private readonly job: ProductJob;
  private readonly pt: Plaintext;
  private readonly ct: Ciphertext;

  constructor(sess: HeClientSession, job: ProductJob) {
    this.sess = sess;
    this.job = job;
    this.pt = new sess.ctx.seal.Plaintext();
    this.ct = new sess.ctx.seal.Ciphertext();
  }

  /**
   * Seeded symmetric encryption of upload block `i` of (head h, k-block kbi): i < nb is left
   * block i, then (for [A]·[B]) right block i - nb.
   */
  encrypt(h: number, kbi: number, i: number): Uint8Array {
    const { sess, job, pt } = this;
    const { b, shape, left, right } = job;
    const { n, k, m } = shape;
    const ctx = sess.ctx;
    if (i < b.nb) ctx.encodeInto(pt, fillLeft(b, left.data, h * n * k, n, k, i, kbi));
    else ctx.encodeInto(pt, fillRight(b, right!.data, h * k * m, k, m, !!right!.transposed, kbi, i - b.nb));
    const ser = sess.encryptor.encryptSymmetricSerializable(pt);
    try {
      return ser.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array;
    } finally {
      ser.delete();
    }
  }

  /** Decrypt one result ciphertext: its N coefficients and, if asked, its noise budget in bits. */
  decrypt(bytes: Uint8Array, measureBudget = false): { coeffs: RingArray; budget?: number } {
    const { sess, ct, pt } = this;
    ct.loadFromArray(sess.ctx.context, bytes);
    const budget = measureBudget ? sess.decryptor.invariantNoiseBudget(ct) : undefined;
    sess.decryptor.decrypt(ct, pt);
    return { coeffs: sess.ctx.decode(pt), ...(budget !== undefined ? { budget } : {}) };
  }

  delete(): void {
    this.pt.delete();
    this.ct.delete();
  }
}
