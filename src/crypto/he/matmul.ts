// Public HE matrix products on additive shares over Z_{2^ell} (Cheetah-style coefficient packing,
// Huang et al., USENIX Security 2022).
//
//  [X]·W   : X = Xc + Xs (n×k) shared, W (k×m) the server's plaintext. Both parties end with
//            Yc + Ys = X·W (mod 2^ell).
//  [A]·[B] : per head h, A[h] (n×k) and B[h] (k×m, or given as Bᵀ: m×k) both shared. Cross terms
//            are ct×pt products (Enc(Ac)·Bs and As·Enc(Bc), summed in one ciphertext), the own
//            terms are local (As·Bs is folded in by the server, Ac·Bc added by the client).
// All matrices are row-major RingArrays of the context's ring; heads are consecutive.
import type { Channel } from '../../transport/channel.ts';
import type { RingArray } from '../ring.ts';
import type { Prg } from '../prg.ts';
import type { HeClientSession, HeServerSession } from './keys.ts';
import type { HeParams } from './seal.ts';
import { DEFAULT_HE_PARAMS } from './seal.ts';
import type { Blocking, ProductKind, ProductShape } from './packing.ts';
import { blockCounts, checkBlocking, checkDims, chooseBlocking, estimateSeconds, finishCounts, packOf, smallProducts } from './packing.ts';
import { groupedShape, groupLeft, groupRight, groupSizes, ungroupResult } from './heads.ts';
import { productPack } from './pack.ts';
import type { NoiseParams } from './noise.ts';
import { clientProducts, serverProducts, uploadCtBytes } from './engine.ts';
import { frameBytes, productDrop } from './compress.ts';
import { chainFor, keyPackOf, POLY_DEGREE } from './seal.ts';
import { checkKeyPack } from './galois.ts';
import type { HeStats } from './engine.ts';
import { ringMatmulAdd } from './plain.ts';
import { HeWeightCache } from './weights.ts';
import type { HePool, PoolSession } from './pool.ts';
import type { HeContext } from './seal.ts';
import { clientProductsPooled, serverProductsPooled } from './parallel.ts';
import { ServerCore, type ProductJob } from './server-core.ts';
import type { HeClientSession as Cs, HeServerSession as Ss } from './keys.ts';

const runClient = (ch: Channel, sess: Cs, job: ProductJob, opts: HeProductOptions): Promise<RingArray> =>
  opts.pool ? clientProductsPooled(ch, sess, opts.pool, job, opts.stats) : clientProducts(ch, sess, job, opts.stats);
const runServer = (ch: Channel, sess: Ss, job: ProductJob, opts: HeProductOptions): Promise<RingArray> =>
  opts.pool ? serverProductsPooled(ch, sess, opts.pool, job, opts.prg, opts.stats) : serverProducts(ch, sess, job, opts.prg, opts.stats, opts.weights);

export interface HeProductOptions {
  /** Override the optimizer's blocking (both parties must pass the same). */
  blocking?: Blocking;
  /** Server: source of its private randomness (mask, flooding). Default: fresh random seed. */
  prg?: Prg;
  /** Filled with this party's compute time (and, on the server, the noise analysis). */
  stats?: HeStats;
  /** Server, [X]·W: keep the prepared weight blocks here and use them in later products (one thread). */
  weights?: HeWeightCache;
  /**
   * Run on these worker threads (this party's keys opened on a pool, src/crypto/he/pool.ts). The
   * messages are the same; the workers' own weight caches replace `weights`.
   */
  pool?: PoolSession;
}

export interface BatchShape {
  heads: number;
  n: number;
  k: number;
  m: number;
  /** B is given transposed (heads × m × k), e.g. K for Q·Kᵀ. */
  transposeB?: boolean;
}

export interface HeCost {
  bytesUp: number;
  bytesDown: number;
  messagesUp: number;
  messagesDown: number;
  /** Rounds of one call on its own (client sends, server answers). */
  rounds: number;
  blocking: Blocking;
  /** Per call (all heads): uploaded and result ciphertexts (merged ones with packing), ct×pt products. */
  inCts: number;
  outCts: number;
  products: number;
}

/** What the cost needs of the parameters: the ring width and kappa fix the download roundings. */
type Bw = Pick<HeParams, 'bandwidth' | 'ell' | 'kappa' | 'packed' | 'galoisDepth'>;

/** What the noise analysis needs, from ell alone (both parties and the cost model). */
const noiseParams = (params: Pick<HeParams, 'ell' | 'kappa' | 'packed'>): NoiseParams & { params: Pick<HeParams, 'packed'> } => ({ N: POLY_DEGREE, primes: chainFor(params.ell).primes, params });

/**
 * The blocking of a product: chosen (with its merge width P when the chain packs results, the
 * largest the noise allows: pack.ts productPack), or the caller's, checked (P resolved if absent).
 * [A]·[B] also chooses its head group (heads.ts) by the same estimate (compute + bytes at the
 * policy's bandwidth), over the divisors of the heads; a caller's blocking without `group` is 1.
 */
function resolveBlocking(shape: ProductShape, kind: ProductKind, params: Bw, blocking?: Blocking): Blocking {
  if (kind === 'plain' || blocking) {
    const g = blocking?.group ?? 1;
    if (kind === 'plain' && g !== 1) throw new RangeError('blocking: head groups are for [A]·[B] products only');
    const b = blockingOf(g === 1 ? shape : groupedShape(shape, g), kind, params, blocking);
    return g === 1 ? b : { ...b, group: g };
  }
  let best: Blocking | null = null, bestCost = Infinity;
  for (const g of smallProducts.groups ? groupSizes(shape.heads) : [1]) {
    const s = groupedShape(shape, g), b = blockingOf(s, kind, params);
    const cost = s.heads * estimateSeconds(b, kind, params.bandwidth, (x) => resultBytesPerHead(s, kind, x, params), uploadCtBytes(params.ell), !!params.packed);
    if (cost < bestCost) [best, bestCost] = [g === 1 ? b : { ...b, group: g }, cost];
  }
  return best!;
}

/** The blocking of one (grouped) product shape. */
function blockingOf(shape: ProductShape, kind: ProductKind, params: Bw, blocking?: Blocking): Blocking {
  const np = noiseParams(params), packs = !!params.packed, keys = keyPackOf(params);
  const pack = packs ? (b: Blocking) => productPack(np, kind, b, shape, keys) : undefined;
  if (!blocking) return chooseBlocking(shape, kind, params.bandwidth, POLY_DEGREE, (b) => resultBytesPerHead(shape, kind, b, params), uploadCtBytes(params.ell), pack);
  const b = pack && blocking.P === undefined ? { ...blocking, P: pack(blocking) } : blocking;
  checkBlocking(b, shape.n, shape.k, shape.m);
  if (!pack && packOf(b) !== 1) throw new RangeError('blocking: results can be merged only when the chain packs them (pack.ts)');
  checkKeyPack(packOf(b), keys);
  return b;
}

/** The product the engine runs for a blocking: [A]·[B] with its head group (heads.ts). */
const engineShape = <S extends ProductShape>(shape: S, b: Blocking): S => (b.group && b.group > 1 ? groupedShape(shape, b.group) : shape);

/**
 * Bytes of the result messages of one head: frames of c1 and of c0 at the result positions
 * (compress.ts), one per result block, or with packed results one per group of P blocks of a row.
 */
export function resultBytesPerHead(shape: ProductShape, kind: ProductKind, b: Blocking, params: Pick<HeParams, 'ell' | 'kappa' | 'packed'>): number {
  const drop = productDrop(noiseParams(params), kind, b, shape);
  const rowsLast = shape.n - (b.nb - 1) * b.nw, colsLast = shape.m - (b.mb - 1) * b.mw;
  if (params.packed) {
    // Packed: per row, full groups of P blocks and a last group with the edge column block.
    const P = packOf(b), groups = Math.ceil(b.mb / P), lastCount = b.mb - (groups - 1) * P;
    let bytes = 0;
    for (const [nRows, rows] of [[b.nb - 1, b.nw], [1, rowsLast]]) {
      bytes += nRows * (groups - 1) * frameBytes(rows * P * b.mw, drop);
      bytes += nRows * frameBytes(rows * ((lastCount - 1) * b.mw + colsLast), drop);
    }
    return bytes;
  }
  // Blocks come in at most four extents: full or edge rows times full or edge columns.
  let bytes = 0;
  for (const [nRows, rows] of [[b.nb - 1, b.nw], [1, rowsLast]]) {
    for (const [nCols, cols] of [[b.mb - 1, b.mw], [1, colsLast]]) bytes += nRows * nCols * frameBytes(rows * cols, drop);
  }
  return bytes;
}

function cost(full: ProductShape, kind: ProductKind, b: Blocking, params: Bw): HeCost {
  const c = blockCounts(b, kind);
  const shape = engineShape(full, b), h = shape.heads;
  return {
    bytesUp: h * c.inCts * uploadCtBytes(params.ell),
    bytesDown: h * resultBytesPerHead(shape, kind, b, params),
    messagesUp: h * b.kb,
    messagesDown: h * b.nb,
    rounds: 2,
    blocking: b,
    inCts: h * c.inCts,
    outCts: h * finishCounts(b, !!params.packed).merged,
    products: h * c.products,
  };
}

/** Exact communication of heMatmulClient/Server for an n×k·k×m product. */
export function heMatmulCost(n: number, k: number, m: number, params: Bw = DEFAULT_HE_PARAMS, blocking?: Blocking): HeCost {
  checkDims(n, k, m);
  const shape = { heads: 1, n, k, m };
  return cost(shape, 'plain', resolveBlocking(shape, 'plain', params, blocking), params);
}

/** Exact communication of heBatchMatmulClient/Server. */
export function heBatchMatmulCost(shape: BatchShape, params: Bw = DEFAULT_HE_PARAMS, blocking?: Blocking): HeCost {
  checkBatch(shape);
  return cost(shape, 'shared', resolveBlocking(shape, 'shared', params, blocking), params);
}

function checkBatch(shape: BatchShape): void {
  checkDims(shape.n, shape.k, shape.m);
  if (!Number.isInteger(shape.heads) || shape.heads < 1) throw new RangeError(`heads must be a positive integer, got ${shape.heads}`);
}

function checkLen(name: string, a: RingArray, len: number, wide: boolean): void {
  if (a.length !== len) throw new RangeError(`${name} has ${a.length} elements, expected ${len}`);
  if ((a instanceof BigUint64Array) !== wide) throw new TypeError(`${name} is not a RingArray of the HE context's ring`);
}

/** Client side of [X]·W: Xc (n×k). Returns Yc (n×m). */
export async function heMatmulClient(
  ch: Channel,
  sess: HeClientSession,
  Xc: RingArray,
  n: number,
  k: number,
  m: number,
  opts: HeProductOptions = {},
): Promise<RingArray> {
  checkDims(n, k, m);
  checkLen('Xc', Xc, n * k, sess.ctx.ring.wide);
  const shape = { heads: 1, n, k, m };
  const b = resolveBlocking(shape, 'plain', sess.ctx.params, opts.blocking);
  return runClient(ch, sess, { kind: 'plain', shape, b, left: { data: Xc }, right: null }, opts);
}

/** Server side of [X]·W: Xs (n×k), W (k×m). Returns Ys (n×m). */
export async function heMatmulServer(
  ch: Channel,
  sess: HeServerSession,
  Xs: RingArray,
  W: RingArray,
  n: number,
  k: number,
  m: number,
  opts: HeProductOptions = {},
): Promise<RingArray> {
  checkDims(n, k, m);
  checkLen('Xs', Xs, n * k, sess.ctx.ring.wide);
  checkLen('W', W, k * m, sess.ctx.ring.wide);
  const shape = { heads: 1, n, k, m };
  const b = resolveBlocking(shape, 'plain', sess.ctx.params, opts.blocking);
  const weightKey = opts.weights || opts.pool ? HeWeightCache.key(sess.ctx.params.ell, W, k, m, false, b) : undefined;
  const job: ProductJob = { kind: 'plain', shape, b, left: { data: Xs }, right: { data: W }, ...foldShare(sess.ctx), ...(weightKey ? { weightKey } : {}) };
  return withFoldedShare(sess.ctx, job, () => runServer(ch, sess, job, opts), opts.stats);
}

/**
 * The server's own share enters its output in the clear instead of into every uploaded ciphertext
 * (Enc(Xc)·W + Xs·W instead of Enc(Xc + Xs)·W: the same sum, the client still gets it masked by r).
 * An addPlain costs about 2 ms per uploaded ciphertext (SEAL's multi-precision scaling); a 32-bit
 * ring product in JavaScript costs about a tenth of that per ciphertext's worth of rows. Wide
 * rings (BigInt products) keep addPlain.
 */
const foldShare = (ctx: HeContext): { foldShare?: true } => (ctx.ring.wide ? {} : { foldShare: true });

/**
 * Run the server's product with its folded share: Xs·W is computed first, while the client
 * encrypts its first uploads (or the workers wait for them), then added to the product's share.
 */
async function withFoldedShare(ctx: HeContext, job: ProductJob, product: () => Promise<RingArray>, stats?: HeStats): Promise<RingArray> {
  if (!job.foldShare) return product();
  const t0 = performance.now();
  const { heads, n, k, m } = job.shape;
  const own = ctx.ring.alloc(heads * n * m);
  ringMatmulAdd(ctx.ring, own, job.left.data, job.right!.data, heads, n, k, m, !!job.right!.transposed);
  if (stats) stats.busyMs += performance.now() - t0;
  const out = await product();
  const o = out as Uint32Array, a = own as Uint32Array;
  for (let i = 0; i < o.length; i++) o[i] += a[i];
  return out;
}

/** Client side of [A]·[B] over heads: Ac (heads×n×k), Bc (heads×k×m or heads×m×k). Returns Cc. */
export async function heBatchMatmulClient(
  ch: Channel,
  sess: HeClientSession,
  Ac: RingArray,
  Bc: RingArray,
  shape: BatchShape,
  opts: HeProductOptions = {},
): Promise<RingArray> {
  checkBatch(shape);
  const { heads, n, k, m } = shape;
  const ring = sess.ctx.ring;
  checkLen('Ac', Ac, heads * n * k, ring.wide);
  checkLen('Bc', Bc, heads * k * m, ring.wide);
  const b = resolveBlocking(shape, 'shared', sess.ctx.params, opts.blocking);
  const t = !!shape.transposeB, g = b.group ?? 1;
  const job: ProductJob = { kind: 'shared', shape: engineShape(shape, b), b, left: { data: groupLeft(ring, Ac, shape, g) }, right: { data: groupRight(ring, Bc, shape, g), transposed: t } };
  const out = ungroupResult(ring, await runClient(ch, sess, job, opts), shape, g);
  const t0 = performance.now();
  ringMatmulAdd(ring, out, Ac, Bc, heads, n, k, m, t);
  if (opts.stats) opts.stats.busyMs += performance.now() - t0;
  return out;
}

/** Server side of [A]·[B] over heads: As, Bs as for the client. Returns Cs. */
export async function heBatchMatmulServer(
  ch: Channel,
  sess: HeServerSession,
  As: RingArray,
  Bs: RingArray,
  shape: BatchShape,
  opts: HeProductOptions = {},
): Promise<RingArray> {
  checkBatch(shape);
  const { heads, n, k, m } = shape;
  checkLen('As', As, heads * n * k, sess.ctx.ring.wide);
  checkLen('Bs', Bs, heads * k * m, sess.ctx.ring.wide);
  const b = resolveBlocking(shape, 'shared', sess.ctx.params, opts.blocking);
  // Server computes Ac·Bs + As·Bc homomorphically and adds As·Bs in the clear (foldShare; wide
  // rings: (Ac + As)·Bs + As·Bc, As·Bs inside via the added share). A head group (heads.ts) runs
  // as one block-diagonal product; As·Bs is computed per head, without the group's zeros.
  const ring = sess.ctx.ring, t = !!shape.transposeB, g = b.group ?? 1;
  const job: ProductJob = { kind: 'shared', shape: engineShape(shape, b), b, left: { data: groupLeft(ring, As, shape, g) }, right: { data: groupRight(ring, Bs, shape, g), transposed: t }, ...foldShare(sess.ctx) };
  const own: ProductJob = { ...job, shape, left: { data: As }, right: { data: Bs, transposed: t } };
  return withFoldedShare(sess.ctx, own, async () => ungroupResult(ring, await runServer(ch, sess, job, opts), shape, g), opts.stats);
}

/**
 * Server: prepare the weight blocks of [X]·W for an n×k·k×m product before any client comes,
 * into `cache` (one thread) or into the workers of `pool` (each caches the columns it computes).
 * What does not fit the budget is prepared per product as before.
 */
export async function hePrepareWeights(
  ctx: HeContext,
  W: RingArray,
  n: number,
  k: number,
  m: number,
  target: { cache: HeWeightCache } | { pool: HePool },
  blocking?: Blocking,
): Promise<void> {
  checkDims(n, k, m);
  checkLen('W', W, k * m, ctx.ring.wide);
  const shape = { heads: 1, n, k, m };
  const job: ProductJob = { kind: 'plain', shape, b: resolveBlocking(shape, 'plain', ctx.params, blocking), left: { data: ctx.ring.alloc(0) }, right: { data: W } };
  if ('pool' in target) return target.pool.prepare(ctx.params.ell, job, !!ctx.params.packed, ctx.params.galoisDepth, ctx.params.galoisLevel);
  const core = new ServerCore({ ctx, encryptor: null }, job, undefined, target.cache);
  try {
    core.prepareWeights();
  } finally {
    core.delete();
  }
}
