// The two-party coefficient-packed product engine behind heMatmul* and heBatchMatmul*.
//
// Client: for each head and each k-block, one message with the seeded symmetric encryptions of its
// left blocks (nb of them) and, for [A]·[B], its right blocks (mb); then it receives one message
// per (head, row block) with mb result ciphertexts and decrypts them. Server: as each message
// arrives it adds its own left share (addPlain), moves to the NTT domain and multiplies by its
// plaintext blocks, accumulating per result block; after the last k-block of a head it
// re-randomises, switches, floods, switches, masks and streams the results. Rounds: 2.
import type { Channel } from '../../transport/channel.ts';
import type { RingArray } from '../ring.ts';
import { Prg } from '../prg.ts';
import type { Ciphertext, Plaintext } from 'node-seal';
import type { HeClientSession, HeServerSession } from './keys.ts';
import { rethrow, seededBytes, ctBytes, DATA_PRIME_BITS } from './seal.ts';
import type { Blocking, ProductKind, ProductShape } from './packing.ts';
import { outIndex, noiseTerms } from './packing.ts';
import { checkNoise } from './noise.ts';
import type { NoiseReport } from './noise.ts';
import { fillLeft, fillRight } from './plain.ts';
import { floodLevel1 } from './noise.ts';
import { HeWeightCache } from './weights.ts';

/** Optional per-call instrumentation: compute time of this party (excludes waiting). */
export interface HeStats {
  busyMs: number;
  /** Server: the worst-case noise analysis of the call. */
  noise?: NoiseReport;
  /** Client: set to true to measure SEAL's invariant noise budget of every result (slower). */
  measureBudget?: boolean;
  /** Client: smallest measured noise budget in bits (with measureBudget). */
  minBudgetBits?: number;
}

const LEVEL0_PRIMES = DATA_PRIME_BITS.length;
export const UPLOAD_CT_BYTES = seededBytes(LEVEL0_PRIMES);
export const RESULT_CT_BYTES = ctBytes(1);

const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

class Busy {
  private t = performance.now();
  private readonly stats: HeStats | undefined;
  constructor(stats: HeStats | undefined) {
    this.stats = stats;
  }
  pause(): void {
    if (this.stats) this.stats.busyMs += performance.now() - this.t;
  }
  resume(): void {
    this.t = performance.now();
  }
  async recv(ch: Channel): Promise<Uint8Array> {
    this.pause();
    const m = await ch.recv();
    this.resume();
    return m;
  }
  async yield(): Promise<void> {
    this.pause();
    await yieldLoop();
    this.resume();
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.byteLength;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** An operand: heads consecutive row-major matrices. */
export interface Operand {
  data: RingArray;
  /** For right operands: stored as m×k per head (Bᵀ given, e.g. K for Q·Kᵀ). */
  transposed?: boolean;
}

export async function clientProducts(
  ch: Channel,
  sess: HeClientSession,
  kind: ProductKind,
  shape: ProductShape,
  b: Blocking,
  left: Operand,
  right: Operand | null,
  stats?: HeStats,
): Promise<RingArray> {
  const ctx = sess.ctx;
  const s = ctx.seal;
  const { heads, n, k, m } = shape;
  const busy = new Busy(stats);
  const pt = new s.Plaintext();
  const ct = new s.Ciphertext();
  const out = ctx.ring.alloc(heads * n * m);
  try {
    const encrypt = (): Uint8Array => {
      const ser = sess.encryptor.encryptSymmetricSerializable(pt);
      try {
        return ser.saveToArray(s.ComprModeType.none) as Uint8Array;
      } finally {
        ser.delete();
      }
    };
    for (let h = 0; h < heads; h++) {
      for (let kbi = 0; kbi < b.kb; kbi++) {
        const parts: Uint8Array[] = [];
        for (let nbi = 0; nbi < b.nb; nbi++) {
          ctx.encodeInto(pt, fillLeft(b, left.data, h * n * k, n, k, nbi, kbi));
          parts.push(encrypt());
        }
        if (kind === 'shared') {
          for (let mbi = 0; mbi < b.mb; mbi++) {
            ctx.encodeInto(pt, fillRight(b, right!.data, h * k * m, k, m, !!right!.transposed, kbi, mbi));
            parts.push(encrypt());
          }
        }
        ch.send(concat(parts));
        await busy.yield();
      }
    }
    const expected = b.mb * RESULT_CT_BYTES;
    for (let h = 0; h < heads; h++) {
      for (let nbi = 0; nbi < b.nb; nbi++) {
        const msg = await busy.recv(ch);
        if (msg.byteLength !== expected) {
          throw new Error(`HE product: result message has ${msg.byteLength} bytes, expected ${expected}`);
        }
        for (let mbi = 0; mbi < b.mb; mbi++) {
          ct.loadFromArray(ctx.context, msg.slice(mbi * RESULT_CT_BYTES, (mbi + 1) * RESULT_CT_BYTES));
          if (stats?.measureBudget) {
            const bits = sess.decryptor.invariantNoiseBudget(ct);
            stats.minBudgetBits = Math.min(stats.minBudgetBits ?? Infinity, bits);
          }
          sess.decryptor.decrypt(ct, pt);
          const coeffs = ctx.decode(pt);
          extract(b, shape, h, nbi, mbi, coeffs, out, false);
        }
      }
    }
    return out;
  } catch (e) {
    return rethrow(e, 'HE product (client)');
  } finally {
    pt.delete();
    ct.delete();
    busy.pause();
  }
}

/** Copy (or, negated, for the server) the result positions of one block into `out`. */
function extract(
  b: Blocking,
  shape: ProductShape,
  h: number,
  nbi: number,
  mbi: number,
  coeffs: RingArray,
  out: RingArray,
  negate: boolean,
): void {
  const { n, m } = shape;
  const r0 = nbi * b.nw, c0 = mbi * b.mw;
  const rows = Math.min(b.nw, n - r0), cols = Math.min(b.mw, m - c0);
  const base = h * n * m;
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) {
      const dst = base + (r0 + i) * m + c0 + c;
      const src = outIndex(b, i, c);
      if (out instanceof Uint32Array) {
        const v = (coeffs as Uint32Array)[src];
        out[dst] = negate ? -v : v;
      } else {
        const v = (coeffs as BigUint64Array)[src];
        out[dst] = negate ? -v : v;
      }
    }
  }
}

export async function serverProducts(
  ch: Channel,
  sess: HeServerSession,
  kind: ProductKind,
  shape: ProductShape,
  b: Blocking,
  leftShare: Operand,
  rightPlain: Operand,
  prg: Prg = new Prg(),
  stats?: HeStats,
  cache?: HeWeightCache,
): Promise<RingArray> {
  const ctx = sess.ctx;
  const s = ctx.seal;
  const ev = ctx.evaluator;
  const { heads, n, k, m } = shape;
  const noise = checkNoise(ctx, noiseTerms(b, kind), heads * b.nb * b.mb * ctx.N);
  if (stats) stats.noise = noise;
  const busy = new Busy(stats);
  const out = ctx.ring.alloc(heads * n * m);
  const pt = new s.Plaintext();
  const ptNtt = new s.Plaintext();
  const dummyNtt = ctx.nonzeroNtt();
  const tmp = new s.Ciphertext();
  const live: Ciphertext[] = [];
  const acc: (Ciphertext | null)[] = new Array(b.nb * b.mb).fill(null);
  const shared = kind === 'shared';
  const perMsg = b.nb + (shared ? b.mb : 0);

  // Constant time in the weights (docs/he.md, "Constant time"): an all-zero plaintext block is
  // multiplied like any other, by a fixed nonzero stand-in (SEAL refuses the transparent product
  // by zero), and that product is added to itself instead of to the accumulator: the same SEAL
  // operations either way. Every accumulator starts as the re-randomising Enc_pk(0), so none is
  // ever empty and every result block takes the same path.
  const freshAcc = (c: Ciphertext): Ciphertext => {
    sess.encryptor.encryptZero(c);
    ev.cipherTransformToNttInplace(c);
    return c;
  };
  const mulAcc = (slot: number, c: Ciphertext, p: Plaintext, nonzero: boolean): void => {
    ev.multiplyPlain(c, nonzero ? p : dummyNtt, tmp);
    ev.addInplace(nonzero ? acc[slot]! : tmp, tmp);
  };
  const prepare = (fill: Parameters<typeof ctx.encodeInto>[1], into: Plaintext = ptNtt): boolean => {
    const nonzero = ctx.encodeInto(pt, fill);
    ev.plainTransformToNtt(pt, ctx.topParms, into);
    return nonzero;
  };
  // The server's weight blocks ([X]·W only; shares change every call): from the cache, or
  // prepared now and kept if the budget allows, or prepared now for this product only.
  const wkey = cache && !shared ? HeWeightCache.key(ctx.params.ell, rightPlain.data, k, m, !!rightPlain.transposed, b) : null;
  const weightBlock = (h: number, kbi: number, mbi: number): [Plaintext, boolean] => {
    const fill = fillRight(b, rightPlain.data, h * k * m, k, m, !!rightPlain.transposed, kbi, mbi);
    if (!wkey || !cache) return [ptNtt, prepare(fill)];
    const block = (h * b.kb + kbi) * b.mb + mbi;
    const hit = cache.get(wkey, block);
    if (hit) return [hit.pt, hit.nonzero];
    if (!cache.fits()) return [ptNtt, prepare(fill)];
    const t0 = performance.now();
    const kept = new s.Plaintext();
    let nonzero: boolean;
    try {
      nonzero = prepare(fill, kept);
    } catch (e) {
      kept.delete();
      throw e;
    }
    cache.put(wkey, block, kept, nonzero, performance.now() - t0);
    return [kept, nonzero];
  };

  try {
    for (let h = 0; h < heads; h++) {
      for (let slot = 0; slot < acc.length; slot++) acc[slot] = freshAcc(new s.Ciphertext());
      for (let kbi = 0; kbi < b.kb; kbi++) {
        const msg = await busy.recv(ch);
        if (msg.byteLength !== perMsg * UPLOAD_CT_BYTES) {
          throw new Error(`HE product: upload message has ${msg.byteLength} bytes, expected ${perMsg * UPLOAD_CT_BYTES}`);
        }
        const cts: Ciphertext[] = [];
        for (let i = 0; i < perMsg; i++) {
          const c = new s.Ciphertext();
          live.push(c);
          cts.push(c);
          c.loadFromArray(ctx.context, msg.slice(i * UPLOAD_CT_BYTES, (i + 1) * UPLOAD_CT_BYTES));
          if (i < b.nb) {
            ctx.encodeInto(pt, fillLeft(b, leftShare.data, h * n * k, n, k, i, kbi));
            ev.addPlainInplace(c, pt); // Enc(X_c) + X_s = Enc(X); adding zero is fine
          }
          ev.cipherTransformToNttInplace(c);
        }
        for (let mbi = 0; mbi < b.mb; mbi++) {
          const [w, nonzero] = weightBlock(h, kbi, mbi);
          for (let nbi = 0; nbi < b.nb; nbi++) mulAcc(nbi * b.mb + mbi, cts[nbi], w, nonzero);
        }
        if (shared) {
          for (let nbi = 0; nbi < b.nb; nbi++) {
            const nonzero = prepare(fillLeft(b, leftShare.data, h * n * k, n, k, nbi, kbi));
            for (let mbi = 0; mbi < b.mb; mbi++) mulAcc(nbi * b.mb + mbi, cts[b.nb + mbi], ptNtt, nonzero);
          }
        }
        for (const c of cts) {
          c.delete();
          live.splice(live.indexOf(c), 1);
        }
        await busy.yield();
      }
      for (let nbi = 0; nbi < b.nb; nbi++) {
        const parts: Uint8Array[] = [];
        for (let mbi = 0; mbi < b.mb; mbi++) {
          const slot = nbi * b.mb + mbi;
          const a = acc[slot];
          acc[slot] = null;
          try {
            parts.push(finish(sess, a!, pt, prg, (r) => extract(b, shape, h, nbi, mbi, r, out, true)));
          } finally {
            a?.delete();
          }
        }
        ch.send(concat(parts));
        await busy.yield();
      }
    }
    return out;
  } catch (e) {
    return rethrow(e, 'HE product (server)');
  } finally {
    for (const c of live) c.delete();
    for (const a of acc) a?.delete();
    pt.delete();
    ptNtt.delete();
    tmp.delete();
    busy.pause();
  }
}

/**
 * Turn an accumulator (NTT form, level 0, started as Enc_pk(0)) into the bytes of a
 * circuit-private result ciphertext: switch, + flood, switch, + mask r.
 * `onMask` receives r (all N coefficients) so the server can keep -r as its share.
 */
function finish(
  sess: HeServerSession,
  res: Ciphertext,
  pt: Plaintext,
  prg: Prg,
  onMask: (r: RingArray) => void,
): Uint8Array {
  const ctx = sess.ctx;
  const s = ctx.seal;
  const ev = ctx.evaluator;
  ev.cipherTransformFromNttInplace(res);
  ev.cipherModSwitchToNextInplace(res);
  const bytes = res.saveToArray(s.ComprModeType.none) as Uint8Array;
  floodLevel1(ctx, bytes, prg);
  res.loadFromArray(ctx.context, bytes);
  ev.cipherModSwitchToNextInplace(res);
  const r = ctx.ring.random(ctx.N, prg);
  ctx.encodeInto(pt, (lo, wide) => {
    if (wide) wide.set(r as BigUint64Array);
    else for (let i = 0; i < r.length; i++) lo[2 * i] = (r as Uint32Array)[i];
  });
  ev.addPlainInplace(res, pt);
  onMask(r);
  const outBytes = res.saveToArray(s.ComprModeType.none) as Uint8Array;
  if (outBytes.byteLength !== RESULT_CT_BYTES) throw new Error(`HE product: result ciphertext has ${outBytes.byteLength} bytes`);
  return outBytes;
}
