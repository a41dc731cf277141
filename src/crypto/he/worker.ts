// An HE worker thread: its own SEAL instance (node-seal WASM), contexts per ring width, the
// sessions its main thread opens (keys passed as bytes), and the cores of the products in flight.
// Requests are handled one at a time, in order (SEAL calls are synchronous).
import { parentPort } from 'node:worker_threads';
import { Prg } from '../prg.ts';
import { HeContext } from './seal.ts';
import { heClientSessionFromKeys, heServerSession, type HeClientSession, type HeServerSession } from './keys.ts';
import { ServerCore } from './server-core.ts';
import { ClientCore } from './client-core.ts';
import { HeWeightCache } from './weights.ts';
import { macConfig } from './mac.ts';
import { ZeroStock, type ZeroReport } from './zeros.ts';
import { ownerOfBlock, type Reply, type Request, type RowBlock } from './worker-protocol.ts';
import { sealError } from './seal.ts';

const port = parentPort!;
/** Contexts by ring width, packing (pack.ts), Galois key depth and the tree's level (the session's key plan). */
const contexts = new Map<string, Promise<HeContext>>();
const sessions = new Map<number, HeClientSession | HeServerSession>();
const servers = new Map<number, { core: ServerCore; prg: Prg; started: Set<number>; nb: number }>();
const clients = new Map<number, ClientCore>();
const cache = new HeWeightCache(0);
/** Encryptions of zero made in idle time, per server session (zeros.ts); `zeroCap` each. */
const stocks = new Map<number, ZeroStock>();
let zeroCap = 0;

function context(ell: number, packed: boolean, galoisDepth?: number, galoisLevel?: 0 | 1): Promise<HeContext> {
  const key = `${ell} ${packed} ${galoisDepth} ${galoisLevel ?? 0}`;
  let c = contexts.get(key);
  if (!c) contexts.set(key, (c = HeContext.create({ ell, packed, galoisDepth, ...(galoisLevel ? { galoisLevel } : {}) })));
  return c;
}

function session<T extends HeClientSession | HeServerSession>(sid: number): T {
  const s = sessions.get(sid);
  if (!s) throw new Error(`internal: HE worker has no session ${sid}`);
  return s as T;
}

type Value = Extract<Reply, { ok: true }>['value'];

async function handle(q: Request): Promise<Value> {
  switch (q.op) {
    case 'open': {
      const ctx = await context(q.ell, !!q.packed, q.depth, q.level);
      if (q.role === 'client') sessions.set(q.sid, heClientSessionFromKeys(ctx, q.keys as { sk: Uint8Array; pk: Uint8Array }));
      else {
        const sess = heServerSession(ctx, q.keys.pk, q.keys.galois);
        sessions.set(q.sid, sess);
        stocks.set(q.sid, new ZeroStock(sess, zeroCap));
      }
      return undefined;
    }
    case 'close':
      stocks.get(q.sid)?.delete();
      stocks.delete(q.sid);
      sessions.get(q.sid)?.delete();
      sessions.delete(q.sid);
      return undefined;
    case 'sStart': {
      const owns = (h: number, mbi: number) => ownerOfBlock(q.job, q.workers, h, mbi) === q.index;
      const sess = session<HeServerSession>(q.sid);
      const core = new ServerCore({ ctx: sess.ctx, encryptor: sess.encryptor, zeros: stocks.get(q.sid), galois: sess.galois }, q.job, owns, cache);
      servers.set(q.pid, { core, prg: new Prg(q.seed), started: new Set(), nb: q.job.b.nb });
      return undefined;
    }
    case 'sAbsorb': {
      const st = servers.get(q.pid)!;
      if (!st.started.has(q.h)) {
        st.started.add(q.h);
        st.core.startHead(q.h);
      }
      st.core.absorb(q.h, q.kbi, q.msg, q.given);
      return undefined;
    }
    case 'sLoad':
      return servers.get(q.pid)!.core.loadShared(q.h, q.kbi, q.msg, q.rows);
    case 'sRows': {
      const st = servers.get(q.pid)!;
      const out: RowBlock[] = [];
      for (let nbi = 0; nbi < st.nb; nbi++) st.core.finishRow(q.h, nbi, st.prg, (f, bytes, r) => out.push({ nbi, f, bytes, r }));
      return out;
    }
    case 'cStart':
      clients.set(q.pid, new ClientCore(session<HeClientSession>(q.sid), q.job));
      return undefined;
    case 'cEnc': {
      const core = clients.get(q.pid)!;
      const parts: Uint8Array[] = [];
      for (let i = q.from; i < q.to; i++) parts.push(core.encrypt(q.h, q.kbi, i));
      return parts;
    }
    case 'cDec': {
      const core = clients.get(q.pid)!;
      const coeffs = [];
      let budget: number | undefined;
      for (const [i, ct] of q.cts.entries()) {
        const d = core.decrypt(ct, q.nbi, q.mbis[i], q.budget);
        coeffs.push(d.coeffs);
        if (d.budget !== undefined) budget = Math.min(budget ?? Infinity, d.budget);
      }
      return { coeffs, ...(budget !== undefined ? { budget } : {}) };
    }
    case 'end':
      servers.get(q.pid)?.core.delete();
      servers.delete(q.pid);
      clients.get(q.pid)?.delete();
      clients.delete(q.pid);
      return undefined;
    case 'prepare': {
      const core = new ServerCore({ ctx: await context(q.ell, !!q.packed, q.depth, q.level), encryptor: null }, q.job, (h, mbi) => ownerOfBlock(q.job, q.workers, h, mbi) === q.index, cache);
      try {
        core.prepareWeights();
      } finally {
        core.delete();
      }
      return undefined;
    }
    case 'cache':
      cache.budgetBytes = q.budgetBytes;
      return undefined;
    case 'cacheReport':
      return cache.report();
    case 'cacheClear':
      cache.clear();
      return undefined;
    case 'kernel':
      macConfig.ntt = q.ntt;
      return undefined;
    case 'zeros':
      zeroCap = q.count;
      for (const z of stocks.values()) z.cap = q.count;
      return undefined;
    case 'zeroReport': {
      const r: ZeroReport = { made: 0, taken: 0, stocked: 0 };
      for (const z of stocks.values()) {
        const x = z.report();
        r.made += x.made;
        r.taken += x.taken;
        r.stocked += x.stocked;
      }
      return r;
    }
  }
}

/**
 * The reply's own buffers, moved instead of copied (less garbage in both isolates: each keeps up
 * to V8's external-memory slack of unreclaimed ArrayBuffers, which is what RSS shows). Only
 * buffers that a typed array covers whole are moved, never a view into the WASM heap.
 */
function transferable(reply: Reply): ArrayBuffer[] {
  if (!reply.ok || !reply.value) return [];
  const v = reply.value;
  const arrays: ArrayBufferView[] = Array.isArray(v) ? v.flatMap((x) => (x instanceof Uint8Array ? [x] : [x.bytes, x.r])) : 'coeffs' in v ? v.coeffs : 'data' in v ? v.data : [];
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) out.add(a.buffer);
  return [...out];
}

/**
 * This thread's CPU time in ms (Node >= 22.19), else wall time: on a loaded machine a worker's
 * wall time counts the time other threads run, including the other party's workers.
 */
const threadCpu = (process as unknown as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage;
const cpuMs = (): number => {
  if (!threadCpu) return performance.now();
  const u = threadCpu.call(process);
  return (u.user + u.system) / 1000;
};

/**
 * Idle time: with no request waiting, make one encryption of zero for a server session whose stock
 * is not full (about 4.5 ms), then look again. A request that arrives meanwhile waits at most that.
 */
let pending = 0;
let idleScheduled = false;
function idle(): void {
  if (idleScheduled || pending > 0 || zeroCap === 0) return;
  idleScheduled = true;
  setImmediate(() => {
    idleScheduled = false;
    if (pending > 0) return;
    for (const z of stocks.values()) {
      if (z.fillOne()) return idle();
    }
  });
}

// Requests run strictly in order: each waits for the previous one (only 'open' is async).
let chain: Promise<void> = Promise.resolve();
port.on('message', (m: { id: number; q: Request }) => {
  pending++;
  chain = chain.then(async () => {
    const t0 = cpuMs();
    let reply: Reply;
    try {
      const value = await handle(m.q);
      reply = { id: m.id, ok: true, ms: cpuMs() - t0, ...(value !== undefined ? { value } : {}) };
    } catch (e) {
      reply = { id: m.id, ok: false, error: sealError(e, 'HE worker').message };
    }
    port.postMessage(reply, transferable(reply));
    pending--;
    idle();
  });
});
