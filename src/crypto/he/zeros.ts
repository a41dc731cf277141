// Public-key encryptions of zero made ahead of the products that use them. Every result
// accumulator starts as a fresh Enc_pk(0) in NTT form (the re-randomisation, docs/he.md protocol
// step 2), about 4.5 ms of a result's 8 ms of server work. It depends only on the client's public
// key, so a worker makes them in its idle time (between requests: while the other party computes,
// while the nonlinear protocols run) and a product takes them from the stock instead of making
// them on its critical path. Each is used once (taken out of the stock) and freed with the
// product's accumulators, so re-randomisation stays fresh per result.
import type { Ciphertext, Encryptor } from 'node-seal';
import type { HeContext } from './seal.ts';

/** Bytes of one stocked ciphertext (NTT form, level 0: 2 polynomials x 3 primes x N u64). */
export const ZERO_BYTES = 2 * 3 * 8192 * 8;

/** A fresh Enc_pk(0) in NTT form at level 0. */
export function makeZero(sess: { ctx: HeContext; encryptor: Encryptor }): Ciphertext {
  const c = new sess.ctx.seal.Ciphertext();
  try {
    sess.encryptor.encryptZero(c);
    sess.ctx.evaluator.cipherTransformToNttInplace(c);
  } catch (e) {
    c.delete();
    throw e;
  }
  return c;
}

export interface ZeroReport {
  /** Encryptions of zero made ahead / taken by products from the stock. */
  made: number;
  taken: number;
  /** Now in stock. */
  stocked: number;
}

/** One session's stock (one public key), at most `cap` ciphertexts. */
export class ZeroStock {
  cap: number;
  private readonly sess: { ctx: HeContext; encryptor: Encryptor };
  private readonly cts: Ciphertext[] = [];
  private made = 0;
  private taken = 0;

  constructor(sess: { ctx: HeContext; encryptor: Encryptor }, cap: number) {
    this.sess = sess;
    this.cap = cap;
  }

  /** Make one more if the stock is not full; false when it is. */
  fillOne(): boolean {
    if (this.cts.length >= this.cap) return false;
    this.cts.push(makeZero(this.sess));
    this.made++;
    return true;
  }

  /** One ciphertext out of the stock (the caller owns and frees it), or null when empty. */
  take(): Ciphertext | null {
    const c = this.cts.pop() ?? null;
    if (c) this.taken++;
    return c;
  }

  report(): ZeroReport {
    return { made: this.made, taken: this.taken, stocked: this.cts.length };
  }

  delete(): void {
    for (const c of this.cts) c.delete();
    this.cts.length = 0;
  }
}
