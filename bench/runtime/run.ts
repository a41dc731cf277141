// npm run bench -- runtime [--quick]
// Ring kernels (elements/s for add, mul, truncate at ell = 32, 37, 64, against a Float64Array add
// baseline in the same run), and channel throughput (MB/s) and tiny round-trip time for the
// memory channel and ws on loopback (both parties in this process).
import { Ring, type RingArray } from '../../src/crypto/ring.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { MemoryChannel, type Channel } from '../../src/transport/channel.ts';
import { hashProgram } from '../../src/transport/frame.ts';
import { connect, type WsChannel } from '../../src/transport/ws-channel.ts';
import { listen } from '../../src/transport/ws-server.ts';
import { report, timeit } from '../lib.ts';

const quick = process.argv.includes('--quick');
const N = quick ? 1 << 20 : 1 << 22;
const REPS = quick ? 3 : 7;

async function kernels() {
  const x = new Float64Array(N).fill(1.5), y = new Float64Array(N).fill(2.5), z = new Float64Array(N);
  const base = await timeit(() => { for (let i = 0; i < N; i++) z[i] = x[i] + y[i]; }, REPS, 2);
  const baseline = N / base.median;
  const out: Record<string, unknown> = { n: N, float64AddPerSec: baseline };
  for (const ell of [32, 37, 64]) {
    const ring = new Ring(ell), prg = Prg.fromInt(ell);
    const a = ring.random(N, prg), b = ring.random(N, prg), o: RingArray = ring.alloc(N);
    const m = 256, k = 256, n = quick ? 64 : 256;
    const ma = ring.random(m * k, prg), mb = ring.random(k * n, prg), mo = ring.alloc(m * n);
    const ops: Record<string, [() => unknown, number]> = {
      add: [() => ring.add(a, b, o), N],
      mul: [() => ring.mul(a, b, o), N],
      trunc: [() => ring.shr(a, 12, o), N],
      mulScalar: [() => ring.mulScalar(a, 4093, o), N],
      sumLast: [() => ring.sumLast(a, 1024), N],
      pack: [() => ring.pack(a), N],
      matmulMAC: [() => ring.matmul(ma, mb, m, k, n, mo), m * k * n],
    };
    const res: Record<string, { perSec: number; vsFloat64Add: number }> = {};
    for (const [name, [fn, count]] of Object.entries(ops)) {
      const t = await timeit(fn, REPS, 2);
      res[name] = { perSec: count / t.median, vsFloat64Add: count / t.median / baseline };
    }
    out[`ell${ell}`] = res;
  }
  return out;
}

/** One-way throughput client -> server and server -> client, and tiny round trips. */
async function channel(name: string, c: Channel, s: Channel) {
  const res: Record<string, unknown> = {};
  for (const size of [1 << 20, 16 << 20]) {
    const count = Math.max(2, Math.round((quick ? 64 : 256) * 2 ** 20 / size));
    const msg = new Uint8Array(size);
    for (const [dir, from, to] of [['clientToServer', c, s], ['serverToClient', s, c]] as const) {
      const t = await timeit(async () => {
        for (let i = 0; i < count; i++) from.send(msg);
        for (let i = 0; i < count; i++) await to.recv();
      }, quick ? 2 : 3, 1);
      res[`${dir}_${size >> 20}MiB_MBps`] = (count * size) / 1e6 / t.median;
    }
  }
  const trips = quick ? 500 : 2000;
  const tiny = new Uint8Array(8);
  const t = await timeit(async () => {
    for (let i = 0; i < trips; i++) {
      c.send(tiny);
      await s.recv();
      s.send(tiny);
      await c.recv();
    }
  }, 3, 1);
  res.roundTripMicroseconds = (t.median / trips) * 1e6;
  return { [name]: res };
}

async function wsPair(): Promise<[WsChannel, WsChannel, () => Promise<void>]> {
  const programHash = hashProgram('bench');
  let got!: (ch: WsChannel) => void;
  const srvCh = new Promise<WsChannel>((r) => (got = r));
  const srv = await listen({ programHash, onSession: (ch) => got(ch) });
  const c = await connect(srv.url, { programHash });
  return [c, await srvCh, async () => { c.close(); await srv.close(); }];
}

const ring = await kernels();
const [mc, ms] = MemoryChannel.pair();
const mem = await channel('memory', mc, ms);
const [wc, wsv, done] = await wsPair();
const ws = await channel('ws', wc, wsv);
await done();
report('runtime', { kernels: ring, channels: { ...mem, ...ws }, note: 'ws: both parties in one process on loopback (one core shared by sender and receiver)' });
