// The server's share of one HE product as synchronous steps, shared by the single-thread driver
// (engine.ts) and the worker threads (worker.ts): absorb one upload message, finish one row of
// result blocks. A core owns a subset of the result columns per head (`owns`), so several cores
// (one per worker, each with its own SEAL instance) compute disjoint blocks of the same product.
import type { Ciphertext, GaloisKeys, Plaintext } from 'node-seal';
import type { RingArray } from '../ring.ts';
import type { Prg } from '../prg.ts';
import type { Encryptor } from 'node-seal';
import type { HeContext } from './seal.ts';
import { fillLeft, fillRight, NO_FILL, withShifted } from './plain.ts';
import { HeWeightCache } from './weights.ts';
import { makeZero } from './zeros.ts';
import { kernelFits, MacProducts } from './mac.ts';
import { compressResult, frameMembers, framesPerRow, productDrop, resultPositions, unpackUpload, type Drop } from './compress.ts';
import { jointOffset, packOf } from './packing.ts';
import { uploadCtBytes, type ProductJob } from './job.ts';
import { shiftScaleNtt } from './pack.ts';
import { checkKeyPack } from './galois.ts';
import { finish, finishPacked } from './finish.ts';

export { uploadCtBytes, perMessage, type Operand, type ProductJob } from './job.ts';
export { RESULT_CT_BYTES } from './finish.ts';

/**
 * Left inputs of one k-block that another core loaded (parallel.ts: with several workers on the
 * same head, each loads and transforms a share of the uploads instead of all of them): the
 * residues in NTT form as the kernel holds them, by row block, and the header of such an input.
 */
export interface SharedInputs {
  header: Uint8Array;
  rows: number[];
  data: Uint8Array[];
}

/** What the server's core needs: the context and (for products, not to prepare weights) the client's public-key encryptor. */
export interface ServerKeys {
  ctx: HeContext;
  encryptor: Encryptor | null;
  /** Encryptions of zero made ahead (worker threads, zeros.ts); fresh ones when empty or absent. */
  zeros?: { take(): Ciphertext | null };
  /** The client's Galois keys, when the chain packs results (pack.ts). */
  galois?: GaloisKeys | null;
}

export class ServerCore {
  private readonly sess: ServerKeys;
  private readonly job: ProductJob;
  private readonly owns: (h: number, mbi: number) => boolean;
  private readonly cache: HeWeightCache | undefined;
  private readonly wkey: string | null;
  private readonly pt: Plaintext;
  private readonly ptNtt: Plaintext;
  private readonly tmp: Ciphertext;
  private readonly acc: (Ciphertext | null)[];
  private readonly live = new Set<Ciphertext>();
  private readonly drop: Drop;
  /** The products outside SEAL (mac.ts), when the kernel handles the context's primes. */
  private readonly mac: MacProducts | null;
  /** Packed results (pack.ts): the chain packs them; the factor (16/P)·Y^-(dw-1) in NTT form, made at the first row. */
  private readonly packed: boolean;
  private shift: Plaintext | null = null;
  /** Packed results: one Enc_pk(0) of the product added to every raw result so none is SEAL's transparent zero (all-zero weights). */
  private guard: Ciphertext | null = null;

  constructor(sess: ServerKeys, job: ProductJob, owns: (h: number, mbi: number) => boolean = () => true, cache?: HeWeightCache) {
    checkKeyPack(packOf(job.b), sess.ctx.keyPack); // before any SEAL object exists
    const s = sess.ctx.seal;
    const { k, m } = job.shape;
    this.sess = sess;
    this.job = job;
    this.owns = owns;
    this.cache = cache;
    // Weight blocks are cached for [X]·W only (the shares of [A]·[B] change every call).
    this.wkey = cache && job.kind === 'plain' ? (job.weightKey ?? HeWeightCache.key(sess.ctx.params.ell, job.right!.data, k, m, !!job.right!.transposed, job.b)) : null;
    this.acc = new Array(job.b.nb * job.b.mb).fill(null);
    this.pt = new s.Plaintext();
    this.ptNtt = new s.Plaintext();
    this.tmp = new s.Ciphertext();
    this.drop = productDrop(sess.ctx, job.kind, job.b, job.shape);
    this.packed = sess.ctx.pack > 1;
    this.mac = kernelFits(sess.ctx) ? new MacProducts(sess.ctx, job.b.nb * job.b.mb) : null;
    if (!this.mac) sess.ctx.nonzeroNtt();
  }

  /** Whether this core computes any block of head `h`. */
  ownsHead(h: number): boolean {
    for (let mbi = 0; mbi < this.job.b.mb; mbi++) if (this.owns(h, mbi)) return true;
    return false;
  }

  /**
   * Start head `h`: every owned accumulator is a fresh public-key encryption of zero in NTT form
   * (the re-randomisation, added first: docs/he.md, protocol step 2).
   */
  startHead(h: number): void {
    const { sess } = this;
    if (!sess.encryptor) throw new Error('internal: an HE product needs the client\'s public key');
    const { nb, mb } = this.job.b;
    for (let nbi = 0; nbi < nb; nbi++) {
      for (let mbi = 0; mbi < mb; mbi++) {
        if (!this.owns(h, mbi)) continue;
        // With the kernel the accumulator starts at zero and Enc_pk(0) is added when it is finished.
        if (this.mac) this.mac.start(nbi * mb + mbi);
        else this.acc[nbi * mb + mbi] = this.zero();
      }
    }
  }

  /** A fresh public-key encryption of zero in NTT form: made ahead (zeros.ts) or now. */
  private zero(): Ciphertext {
    const { sess } = this;
    return sess.zeros?.take() ?? makeZero({ ctx: sess.ctx, encryptor: sess.encryptor! });
  }

  // Constant time in the weights (docs/he.md, "Constant time"): an all-zero plaintext block is
  // multiplied like any other. With the kernel, by itself (the same instructions whatever the
  // values). With SEAL, by a fixed nonzero stand-in (SEAL refuses the transparent product by
  // zero), and that product is added to itself instead of to the accumulator: the same SEAL
  // operations either way.
  private mulAcc(slot: number, c: Ciphertext | number, p: Plaintext | number, nonzero: boolean): void {
    if (this.mac) return this.mac.mulAcc(slot, c as number, p as number);
    if (typeof c === 'number' || typeof p === 'number') throw new Error('internal: kernel operands without the kernel');
    const ev = this.sess.ctx.evaluator;
    ev.multiplyPlain(c, nonzero ? p : this.sess.ctx.nonzeroNtt(), this.tmp);
    ev.addInplace(nonzero ? this.acc[slot]! : this.tmp, this.tmp);
  }

  private prepare(fill: Parameters<HeContext['encodeInto']>[1], into: Plaintext = this.ptNtt): boolean {
    const ctx = this.sess.ctx;
    const nonzero = ctx.encodeInto(this.pt, fill);
    ctx.evaluator.plainTransformToNtt(this.pt, ctx.topParms, into);
    return nonzero;
  }

  /**
   * A plaintext prepared as the products take it: encoded and transformed in the kernel (mac.ts
   * kernelNtt), or in SEAL into ptNtt and copied into the kernel, or ptNtt (SEAL's products).
   */
  private prepared(fill: Parameters<HeContext['encodeInto']>[1]): { w: Plaintext | number; nonzero: boolean } {
    if (this.mac?.prepares) return this.mac.prepare(fill);
    const nonzero = this.prepare(fill);
    return { w: this.mac ? this.mac.plain(this.ptNtt) : this.ptNtt, nonzero };
  }

  /**
   * A weight block: from the cache, or prepared now and kept if the budget allows, or prepared
   * now. The cache keeps SEAL plaintexts, or with the kernel their residues (outside any wasm heap).
   */
  private weightBlock(h: number, kbi: number, mbi: number): { w: Plaintext | number; nonzero: boolean; cached: boolean } {
    const { b, shape, right } = this.job;
    const { k, m } = shape;
    const fill = fillRight(b, right!.data, h * k * m, k, m, !!right!.transposed, kbi, mbi);
    const cache = this.cache, mac = this.mac;
    if (!this.wkey || !cache) return { ...this.prepared(fill), cached: false };
    const block = (h * b.kb + kbi) * b.mb + mbi;
    const hit = cache.get(this.wkey, block);
    // (A block kept in the other form, when the kernel was switched on or off since: mac.ts macConfig.)
    if (hit && mac) return { w: hit.data ? mac.plainData(hit.data) : mac.plain(hit.pt!), nonzero: hit.nonzero, cached: true };
    if (hit?.pt) return { w: hit.pt, nonzero: hit.nonzero, cached: true };
    if (hit) return { ...this.prepared(fill), cached: false };
    if (!cache.fits()) return { ...this.prepared(fill), cached: false };
    if (mac) {
      const t0 = performance.now();
      const p = this.prepared(fill);
      cache.keep(this.wkey, block, { pt: null, data: mac.scratchData(), nonzero: p.nonzero }, performance.now() - t0);
      return { ...p, cached: true };
    }
    const kept = cache.add(this.wkey, block, () => new this.sess.ctx.seal.Plaintext(), (pt) => this.prepare(fill, pt));
    return { w: kept.pt!, nonzero: kept.nonzero, cached: true };
  }

  private load(bytes: Uint8Array): Ciphertext {
    const c = new this.sess.ctx.seal.Ciphertext();
    this.live.add(c);
    c.loadFromArray(this.sess.ctx.context, bytes);
    return c;
  }

  /**
   * Prepare (and cache, within the budget) every owned weight block of this [X]·W product ahead
   * of any upload: `serve` does this before it accepts clients. Returns the blocks now cached.
   */
  prepareWeights(): number {
    const { b, shape } = this.job;
    if (!this.cache || this.job.kind !== 'plain') return 0;
    let n = 0;
    for (let h = 0; h < shape.heads; h++) {
      for (let kbi = 0; kbi < b.kb; kbi++) {
        for (let mbi = 0; mbi < b.mb; mbi++) {
          if (!this.owns(h, mbi)) continue;
          if (this.weightBlock(h, kbi, mbi).cached) n++;
        }
      }
    }
    return n;
  }

  /** Left input `i` of (h, kbi) loaded from the message: + own share unless folded, NTT form. The caller deletes it. */
  private loadLeft(h: number, kbi: number, msg: Uint8Array, i: number): Ciphertext {
    const { shape, b, left } = this.job;
    const { n, k } = shape;
    const ctx = this.sess.ctx;
    const size = uploadCtBytes(ctx.params.ell);
    const c = this.load(unpackUpload(msg.subarray(i * size, (i + 1) * size), ctx.chain.bits, ctx.N));
    if (!this.job.foldShare) {
      ctx.encodeInto(this.pt, fillLeft(b, left.data, h * n * k, n, k, i, kbi));
      ctx.evaluator.addPlainInplace(c, this.pt); // Enc(X_c) + X_s = Enc(X); adding zero is fine
    }
    ctx.evaluator.cipherTransformToNttInplace(c);
    return c;
  }

  /** Inputs loaded ahead by loadShared, per `${h}:${kbi}`: row block -> kernel address. */
  private readonly pre = new Map<string, Map<number, number>>();

  /**
   * Load the left inputs `rows` of (h, kbi) of a [X]·W product into the kernel and keep them for
   * absorb; returns their residues for the other cores (null without the kernel: they load their own).
   */
  loadShared(h: number, kbi: number, msg: Uint8Array, rows: number[]): SharedInputs | null {
    if (!this.mac || this.job.kind !== 'plain') return null;
    const kept = new Map<number, number>();
    this.pre.set(`${h}:${kbi}`, kept);
    const data: Uint8Array[] = [];
    for (const i of rows) {
      const c = this.loadLeft(h, kbi, msg, i);
      try {
        const p = this.mac.hold(c);
        kept.set(i, p);
        data.push(this.mac.inputBytes(p));
      } finally {
        c.delete();
        this.live.delete(c);
      }
    }
    return { header: this.mac.inputHeader()!, rows, data };
  }

  /**
   * Absorb the upload message of (head h, k-block kbi), its length already checked. `given`: left
   * inputs other cores loaded (loadShared there); the rest this core loads (or loaded ahead).
   */
  absorb(h: number, kbi: number, msg: Uint8Array, given: SharedInputs[] = []): void {
    const { kind, shape, b, left } = this.job;
    const { n, k } = shape;
    const ctx = this.sess.ctx;
    const ev = ctx.evaluator;
    const size = uploadCtBytes(ctx.params.ell);
    const ct = (i: number): Uint8Array => unpackUpload(msg.subarray(i * size, (i + 1) * size), ctx.chain.bits, ctx.N);
    const cts: Ciphertext[] = [];
    const rights: (Ciphertext | null)[] = [];
    // The operands of the products: the ciphertexts, or with the kernel their copies in it.
    const lefts: (Ciphertext | number)[] = [];
    const rightOps: (Ciphertext | number | null)[] = [];
    const operand = (c: Ciphertext): Ciphertext | number => (this.mac ? this.mac.input(c) : c);
    const pre = this.pre.get(`${h}:${kbi}`);
    this.pre.delete(`${h}:${kbi}`);
    const shared = new Map<number, [Uint8Array, Uint8Array]>();
    for (const g of given) g.rows.forEach((i, j) => shared.set(i, [g.data[j], g.header]));
    try {
      for (let i = 0; i < b.nb; i++) {
        const mine = pre?.get(i), theirs = shared.get(i);
        if (this.mac && mine !== undefined) lefts.push(this.mac.adopt(mine));
        else if (this.mac && theirs) lefts.push(this.mac.inputData(theirs[0], theirs[1]));
        else {
          const c = this.loadLeft(h, kbi, msg, i);
          cts.push(c);
          lefts.push(operand(c));
        }
      }
      // Joint uploads (packing.ts jointOffset): upload t is left block t and right block t.
      const joint = jointOffset(b, kind, ctx.N);
      if (kind === 'shared') {
        for (let mbi = 0; mbi < b.mb; mbi++) {
          if (!this.owns(h, mbi) || (joint && mbi < b.nb)) {
            rights.push(null);
            rightOps.push(this.owns(h, mbi) ? lefts[mbi] : null);
            continue;
          }
          const c = this.load(ct(joint ? mbi : b.nb + mbi));
          ev.cipherTransformToNttInplace(c);
          rights.push(c);
          rightOps.push(operand(c));
        }
      }
      for (let mbi = 0; mbi < b.mb; mbi++) {
        if (!this.owns(h, mbi)) continue;
        const { w, nonzero } = this.weightBlock(h, kbi, mbi);
        for (let nbi = 0; nbi < b.nb; nbi++) this.mulAcc(nbi * b.mb + mbi, lefts[nbi], w, nonzero);
      }
      if (kind === 'shared') {
        for (let nbi = 0; nbi < b.nb; nbi++) {
          const xs = fillLeft(b, left.data, h * n * k, n, k, nbi, kbi);
          const { w, nonzero } = this.prepared(joint ? withShifted(NO_FILL, xs, -joint, ctx.N) : xs);
          for (let mbi = 0; mbi < b.mb; mbi++) if (rightOps[mbi] !== null) this.mulAcc(nbi * b.mb + mbi, rightOps[mbi]!, w, nonzero);
        }
      }
    } finally {
      this.mac?.endInputs();
      for (const c of [...cts, ...rights]) {
        if (!c) continue;
        c.delete();
        this.live.delete(c);
      }
    }
  }

  /**
   * Finish the owned blocks of row block `nbi` of head `h`: circuit-private result ciphertexts
   * (switch, + flood, switch, + mask r), compressed for download (compress.ts). `onBlock` gets
   * each frame's index in the row (a block, or with packed results a group of P blocks merged
   * first: pack.ts), its bytes and the mask r.
   */
  finishRow(h: number, nbi: number, prg: Prg, onBlock: (f: number, bytes: Uint8Array, r: RingArray) => void): void {
    if (this.packed) return this.finishPackedRow(h, nbi, prg, onBlock);
    const { mb } = this.job.b;
    for (let mbi = 0; mbi < mb; mbi++) {
      if (!this.owns(h, mbi)) continue;
      const slot = nbi * mb + mbi;
      const a = this.mac ? this.fromKernel(slot) : this.acc[slot]!;
      this.acc[slot] = null;
      try {
        const [bytes, r] = finish(this.sess, a, this.pt, prg, false);
        onBlock(mbi, compressResult(bytes, resultPositions(this.job.b, this.job.shape, nbi, mbi), this.drop, this.sess.ctx.N), r);
      } finally {
        a.delete();
      }
    }
  }

  /** Packed results: per owned group of P column blocks, its raw results merged and finished once (finish.ts finishPacked). */
  private finishPackedRow(h: number, nbi: number, prg: Prg, onFrame: (f: number, bytes: Uint8Array, r: RingArray) => void): void {
    const { b, shape } = this.job, ctx = this.sess.ctx, galois = this.sess.galois;
    if (!galois) throw new Error("internal: packed HE results need the client's Galois keys");
    this.shift ??= shiftScaleNtt(ctx, packOf(b), b.dw);
    for (let f = 0; f < framesPerRow(b, true); f++) {
      const { first, count } = frameMembers(b, true, f);
      if (!this.owns(h, first)) continue;
      const raws: (Ciphertext | null)[] = new Array(packOf(b)).fill(null);
      try {
        for (let s = 0, slot = nbi * b.mb + first; s < count; s++, slot++) {
          raws[s] = this.mac ? this.fromKernel(slot, false) : this.acc[slot]!;
          ctx.evaluator.addInplace(raws[s]!, (this.guard ??= this.zero())); // never SEAL's transparent zero
          this.acc[slot] = null;
        }
      } catch (e) {
        for (const c of raws) c?.delete();
        throw e;
      }
      const [bytes, r] = finishPacked({ ...this.sess, galois }, raws, this.shift, this.pt, prg, () => this.zero());
      onFrame(f, compressResult(bytes, resultPositions(b, shape, nbi, f, true), this.drop, ctx.N), r);
    }
  }

  /** Accumulator `slot` out of the kernel as a SEAL ciphertext, plus the re-randomising Enc_pk(0) (`rerandomise`). */
  private fromKernel(slot: number, rerandomise = true): Ciphertext {
    const ctx = this.sess.ctx;
    const a = new ctx.seal.Ciphertext();
    try {
      a.loadFromArray(ctx.context, this.mac!.result(slot));
      if (!rerandomise) return a;
      const z = this.zero();
      try {
        ctx.evaluator.addInplace(a, z);
      } finally {
        z.delete();
      }
    } catch (e) {
      a.delete();
      throw e;
    }
    return a;
  }

  /** Free every SEAL object of the product (idempotent; safe after an error). */
  delete(): void {
    this.mac?.delete();
    for (const c of this.live) c.delete();
    this.live.clear();
    for (let i = 0; i < this.acc.length; i++) {
      this.acc[i]?.delete();
      this.acc[i] = null;
    }
    this.pt.delete();
    this.ptNtt.delete();
    this.tmp.delete();
    this.shift?.delete();
    this.shift = null;
    this.guard?.delete();
    this.guard = null;
  }
}
