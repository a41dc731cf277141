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
import type { HeClientSession, HeServerSession } from './keys.ts';
import { rethrow } from './seal.ts';
import type { Blocking, ProductShape } from './packing.ts';
import { outIndex, noiseTerms } from './packing.ts';
import { checkNoise } from './noise.ts';
import { packNoise } from './compress.ts';
import type { NoiseReport } from './noise.ts';
import type { HeWeightCache } from './weights.ts';
import { ServerCore, perMessage, RESULT_CT_BYTES, uploadCtBytes, type ProductJob } from './server-core.ts';
import { ClientCore } from './client-core.ts';
import { resultCoeffs, productDrop, rowOffsets, framesPerRow, frameMembers, framePosition } from './compress.ts';
import type { HeContext } from './seal.ts';

export { uploadCtBytes, RESULT_CT_BYTES } from './server-core.ts';
export type { Operand, ProductJob } from './server-core.ts';

/**
 * Optional per-call instrumentation: compute time of this party (excludes waiting): the main
 * thread's busy wall time plus, on worker threads, their CPU time.
 */
export interface HeStats {
  busyMs: number;
  /** Server: the worst-case noise analysis of the call. */
  noise?: NoiseReport;
  /**
   * Client: set to true to measure the noise headroom of every result after the download rounding
   * (ClientCore.headroom: about 2 log2(q0/2t) extra decryptions per result; tests only).
   */
  measureBudget?: boolean;
  /** Client: smallest measured headroom in bits (with measureBudget). */
  minBudgetBits?: number;
}

const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export class Busy {
  private t = performance.now();
  private running = true;
  private readonly stats: HeStats | undefined;
  constructor(stats: HeStats | undefined) {
    this.stats = stats;
  }
  /** Stop counting (idempotent: a second pause adds nothing). */
  pause(): void {
    if (this.running && this.stats) this.stats.busyMs += performance.now() - this.t;
    this.running = false;
  }
  resume(): void {
    this.t = performance.now();
    this.running = true;
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

export function concat(parts: Uint8Array[]): Uint8Array {
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

/**
 * The frames of the result message of row block `nbi` (one message per head and row block, mb
 * compressed ciphertexts, compress.ts), its length checked.
 */
export function resultFrames(ctx: HeContext, job: ProductJob, nbi: number, msg: Uint8Array): Uint8Array[] {
  const packed = ctx.pack > 1, frames = framesPerRow(job.b, packed);
  const off = rowOffsets(job.b, job.shape, nbi, productDrop(ctx, job.kind, job.b, job.shape), packed);
  const expected = off[frames];
  if (msg.byteLength !== expected) throw new Error(`HE product: result message has ${msg.byteLength} bytes, expected ${expected}`);
  return Array.from({ length: frames }, (_, f) => msg.slice(off[f], off[f + 1]));
}

/** Check the length of an upload message (one per head and k-block) at ring width `ell`. */
export function checkUploadMessage(msg: Uint8Array, job: Pick<ProductJob, 'kind' | 'b'>, ell: number): void {
  const expected = perMessage(job) * uploadCtBytes(ell);
  if (msg.byteLength !== expected) throw new Error(`HE product: upload message has ${msg.byteLength} bytes, expected ${expected}`);
}


/** Client, one thread: encrypt and stream the uploads, then decrypt the results as they come. */
export async function clientProducts(ch: Channel, sess: HeClientSession, job: ProductJob, stats?: HeStats): Promise<RingArray> {
  const { shape, b } = job;
  const busy = new Busy(stats);
  const core = new ClientCore(sess, job);
  const out = sess.ctx.ring.alloc(shape.heads * shape.n * shape.m);
  try {
    for (let h = 0; h < shape.heads; h++) {
      for (let kbi = 0; kbi < b.kb; kbi++) {
        const parts: Uint8Array[] = [];
        for (let i = 0; i < perMessage(job); i++) parts.push(core.encrypt(h, kbi, i));
        ch.send(concat(parts));
        await busy.yield();
      }
    }
    for (let h = 0; h < shape.heads; h++) {
      for (let nbi = 0; nbi < b.nb; nbi++) {
        const frames = resultFrames(sess.ctx, job, nbi, await busy.recv(ch));
        for (let f = 0; f < frames.length; f++) {
          const { coeffs, budget } = core.decrypt(frames[f], nbi, f, !!stats?.measureBudget);
          if (budget !== undefined) stats!.minBudgetBits = Math.min(stats!.minBudgetBits ?? Infinity, budget);
          extract(b, shape, h, nbi, f, coeffs, out, false, sess.ctx.pack > 1);
        }
      }
    }
    return out;
  } catch (e) {
    return rethrow(e, 'HE product (client)');
  } finally {
    core.delete();
    busy.pause();
  }
}

/** Copy (or, negated, for the server) the result positions of frame `f` of a row (a block, or a packed group: compress.ts) into `out`. */
export function extract(
  b: Blocking,
  shape: ProductShape,
  h: number,
  nbi: number,
  f: number,
  coeffs: RingArray,
  out: RingArray,
  negate: boolean,
  packed = false,
): void {
  const { first, count } = frameMembers(b, packed, f);
  for (let s = 0; s < count; s++) extractBlock(b, shape, h, nbi, first + s, s, coeffs, out, negate, packed);
}

function extractBlock(b: Blocking, shape: ProductShape, h: number, nbi: number, mbi: number, slot: number, coeffs: RingArray, out: RingArray, negate: boolean, packed: boolean): void {
  const { n, m } = shape;
  const r0 = nbi * b.nw, c0 = mbi * b.mw;
  const rows = Math.min(b.nw, n - r0), cols = Math.min(b.mw, m - c0);
  const base = h * n * m;
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) {
      const dst = base + (r0 + i) * m + c0 + c;
      const src = framePosition(b, packed, i, c, slot);
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

/** Server: the worst-case noise analysis of a product, checked (throws if a bound fails). */
export function checkProductNoise(sess: HeServerSession, job: ProductJob): NoiseReport {
  const { b, shape } = job;
  return checkNoise(sess.ctx, noiseTerms(b, job.kind), resultCoeffs(shape), packNoise(sess.ctx, b, sess.ctx.pack > 1));
}

/** Server, one thread: absorb each upload as it arrives, stream each row of results when its head is done. */
export async function serverProducts(
  ch: Channel,
  sess: HeServerSession,
  job: ProductJob,
  prg: Prg = new Prg(),
  stats?: HeStats,
  cache?: HeWeightCache,
): Promise<RingArray> {
  const { shape, b } = job;
  const noise = checkProductNoise(sess, job);
  if (stats) stats.noise = noise;
  const busy = new Busy(stats);
  const out = sess.ctx.ring.alloc(shape.heads * shape.n * shape.m);
  let core: ServerCore | null = null;
  try {
    core = new ServerCore(sess, job, undefined, cache);
    for (let h = 0; h < shape.heads; h++) {
      core.startHead(h);
      for (let kbi = 0; kbi < b.kb; kbi++) {
        const msg = await busy.recv(ch);
        checkUploadMessage(msg, job, sess.ctx.params.ell);
        core.absorb(h, kbi, msg);
        await busy.yield();
      }
      for (let nbi = 0; nbi < b.nb; nbi++) {
        const parts: Uint8Array[] = [];
        core.finishRow(h, nbi, prg, (f, bytes, r) => {
          parts.push(bytes);
          extract(b, shape, h, nbi, f, r, out, true, sess.ctx.pack > 1);
        });
        ch.send(concat(parts));
        await busy.yield();
      }
    }
    return out;
  } catch (e) {
    return rethrow(e, 'HE product (server)');
  } finally {
    core?.delete();
    busy.pause();
  }
}
