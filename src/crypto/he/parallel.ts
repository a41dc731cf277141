// The HE product drivers on worker threads (pool.ts): the same protocol, messages and bytes as the
// single-thread drivers (engine.ts), the work spread over the workers. Server: each upload goes to
// the workers that own result columns of its head (ownerOf), each worker absorbs it into its own
// accumulators; a head's rows are streamed once every worker has finished its blocks. Client: the
// encryptions of each upload message are split over the workers, result ciphertexts are decrypted
// on the worker by column block. The main thread only routes bytes and extracts shares, so both
// parties' HE work and the transfer overlap (pipelining).
import type { Channel } from '../../transport/channel.ts';
import type { Ring, RingArray } from '../ring.ts';
import { Prg } from '../prg.ts';
import type { HeClientSession, HeServerSession } from './keys.ts';
import { rethrow } from './seal.ts';
import { Busy, checkProductNoise, checkUploadMessage, concat, extract, resultFrames, type HeStats } from './engine.ts';
import { perMessage, type ProductJob, type SharedInputs } from './server-core.ts';
import { ownerOfBlock, type RowBlock } from './worker-protocol.ts';
import { framesPerRow } from './compress.ts';
import type { PoolSession } from './pool.ts';

/** Uploads a worker may have queued before the server waits for it (bounds queued bytes). */
const WINDOW = 4;

/** Settle every promise, then throw the first failure (so nothing is left unobserved). */
async function allSettled(ps: Promise<unknown>[]): Promise<void> {
  const rs = await Promise.allSettled(ps);
  for (const r of rs) if (r.status === 'rejected') throw r.reason;
}

/** The bookkeeping of one pooled product on the main thread. */
function start(ps: PoolSession, ring: Ring, shape: ProductJob['shape'], stats: HeStats | undefined) {
  const pool = ps.pool;
  return {
    pool,
    W: pool.size,
    busy: new Busy(stats),
    /** Count a worker's (or the main thread's) compute time into the party's busy time. */
    add: (r: { ms: number }) => {
      if (stats) stats.busyMs += r.ms;
    },
    out: ring.alloc(shape.heads * shape.n * shape.m),
    pid: pool.nextProduct(),
    inflight: [] as Promise<unknown>[],
  };
}

export async function serverProductsPooled(
  ch: Channel,
  sess: HeServerSession,
  ps: PoolSession,
  job: ProductJob,
  prg: Prg = new Prg(),
  stats?: HeStats,
): Promise<RingArray> {
  const { shape, b } = job;
  const noise = checkProductNoise(sess, job);
  if (stats) stats.noise = noise;
  const packed = sess.ctx.pack > 1;
  const { pool, W, busy, add, out, pid, inflight } = start(ps, sess.ctx.ring, shape, stats);
  try {
    busy.pause();
    await pool.all((w) => ({ op: 'sStart', pid, sid: ps.sid, job, workers: W, index: w, seed: prg.seed() }));
    busy.resume();
    let sending: Promise<void> = Promise.resolve();
    for (let h = 0; h < shape.heads; h++) {
      const owners = new Set<number>();
      for (let mbi = 0; mbi < b.mb; mbi++) owners.add(ownerOfBlock(job, W, h, mbi));
      const absorbs: Promise<unknown>[] = [];
      const posted: Promise<unknown>[] = [];
      for (let kbi = 0; kbi < b.kb; kbi++) {
        const msg = await busy.recv(ch);
        checkUploadMessage(msg, job, sess.ctx.params.ell);
        if (absorbs.length >= WINDOW * owners.size) {
          busy.pause();
          await absorbs[absorbs.length - WINDOW * owners.size];
          busy.resume();
        }
        const ws = [...owners];
        // [X]·W on several workers: each loads and transforms a share of the k-block's inputs
        // (rotating with kbi, so one input per k-block alternates) and the others take its residues,
        // instead of every worker transforming every input (sLoad, then sAbsorb with the others' inputs).
        const loads = job.kind === 'plain' && ws.length > 1 && pool.shareInputs ? ws.map((w, j) => {
          const rows: number[] = [];
          for (let i = 0; i < b.nb; i++) if ((i + kbi) % ws.length === j) rows.push(i);
          const p = rows.length === 0 ? Promise.resolve(null) : pool.call(w, { op: 'sLoad', pid, h, kbi, msg, rows }).then((r) => (add(r), (r.value ?? null) as SharedInputs | null));
          p.catch(() => undefined);
          inflight.push(p);
          return p;
        }) : null;
        const absorbOn = (w: number, given: SharedInputs[]) => ({ reply: pool.call(w, { op: 'sAbsorb', pid, h, kbi, msg, given }).then(add) });
        for (const [j, w] of ws.entries()) {
          // `post` resolves once the request is posted (a worker runs its requests in posting order).
          const post = loads ? Promise.all(loads).then((ls) => absorbOn(w, ls.filter((x, i): x is SharedInputs => i !== j && x !== null))) : null;
          if (post) posted.push(post);
          const p = post ? post.then((x) => x.reply) : absorbOn(w, []).reply;
          p.catch(() => undefined);
          absorbs.push(p);
          inflight.push(p);
        }
      }
      // A head's rows after its last absorb on each worker (posted now when every absorb was).
      const rowsOn = (w: number) => pool.call(w, { op: 'sRows', pid, h });
      const rows = [...owners].map((w) => (posted.length > 0 ? Promise.all(posted).then(() => rowsOn(w)) : rowsOn(w)));
      inflight.push(...rows);
      rows.forEach((p) => p.catch(() => undefined));
      const head = h;
      sending = sending.then(async () => {
        const blocks = (await Promise.all(rows)).flatMap((r) => (add(r), r.value as RowBlock[]));
        const t0 = performance.now();
        const byRow: Uint8Array[][] = Array.from({ length: b.nb }, () => new Array(framesPerRow(b, packed)));
        for (const blk of blocks) {
          byRow[blk.nbi][blk.f] = blk.bytes;
          extract(b, shape, head, blk.nbi, blk.f, blk.r, out, true, packed);
        }
        for (const parts of byRow) ch.send(concat(parts));
        add({ ms: performance.now() - t0 });
      });
      sending.catch(() => undefined);
    }
    busy.pause();
    await allSettled([sending, ...inflight]);
    return out;
  } catch (e) {
    return rethrow(e, 'HE product (server)');
  } finally {
    busy.pause();
    await pool.all(() => ({ op: 'end', pid })).catch(() => undefined);
  }
}

export async function clientProductsPooled(
  ch: Channel,
  sess: HeClientSession,
  ps: PoolSession,
  job: ProductJob,
  stats?: HeStats,
): Promise<RingArray> {
  const { shape, b } = job;
  const { pool, W, busy, add, out, pid, inflight } = start(ps, sess.ctx.ring, shape, stats);
  try {
    busy.pause();
    await pool.all(() => ({ op: 'cStart', pid, sid: ps.sid, job }));
    // Every upload's encryptions are requested at once, split over the workers in contiguous
    // ranges; the messages are sent in order as they complete.
    const per = perMessage(job);
    const uploads: Promise<Uint8Array[]>[] = [];
    for (let h = 0; h < shape.heads; h++) {
      for (let kbi = 0; kbi < b.kb; kbi++) {
        const parts: Promise<Uint8Array[]>[] = [];
        for (let w = 0; w < W; w++) {
          const from = Math.floor((w * per) / W), to = Math.floor(((w + 1) * per) / W);
          if (from < to) parts.push(pool.call(w, { op: 'cEnc', pid, h, kbi, from, to }).then((r) => (add(r), r.value as Uint8Array[])));
        }
        const p = Promise.all(parts).then((x) => x.flat());
        p.catch(() => undefined);
        uploads.push(p);
        inflight.push(p);
      }
    }
    for (const u of uploads) ch.send(concat(await u));
    for (let h = 0; h < shape.heads; h++) {
      for (let nbi = 0; nbi < b.nb; nbi++) {
        const frames = resultFrames(sess.ctx, job, nbi, await ch.recv());
        const packed = sess.ctx.pack > 1;
        for (let w = 0; w < W; w++) {
          const fs: number[] = [];
          for (let f = w; f < frames.length; f += W) fs.push(f);
          if (fs.length === 0) continue;
          const p = pool.call(w, { op: 'cDec', pid, nbi, mbis: fs, cts: fs.map((f) => frames[f]), budget: !!stats?.measureBudget }).then((r) => {
            add(r);
            const v = r.value as { coeffs: RingArray[]; budget?: number };
            const t0 = performance.now();
            fs.forEach((f, i) => extract(b, shape, h, nbi, f, v.coeffs[i], out, false, packed));
            if (v.budget !== undefined) stats!.minBudgetBits = Math.min(stats!.minBudgetBits ?? Infinity, v.budget);
            add({ ms: performance.now() - t0 });
          });
          p.catch(() => undefined);
          inflight.push(p);
        }
      }
    }
    await allSettled(inflight);
    return out;
  } catch (e) {
    return rethrow(e, 'HE product (client)');
  } finally {
    busy.pause();
    await pool.all(() => ({ op: 'end', pid })).catch(() => undefined);
  }
}
