// Attention products [A]·[B] (Q·Kᵀ and P·V) at few tokens: head groups and joint uploads
// (docs/he.md "Small products") against the per-head form, in the same run.
//   npm run bench -- he --heads [--reps 3] [--shapes 2x32x4,2x32x32,12x64x1,12x64x5,12x64x14]
// A shape HxDxT is H heads of width D at T tokens (Q·Kᵀ: T×D·D×T per head; P·V: T×T·T×D).
// Both parties run in this process over a MemoryChannel, one thread each, in the product path's
// context (ell 32, packed results, 3 merge levels: the bundled classifier's key plan). "wall" is
// the median over reps of the call's elapsed time; the load average is printed beside it. Every
// result is opened and compared with the plaintext product (exact mod 2^32); bytes are counted at
// the channel and checked against heBatchMatmulCost.
import os from 'node:os';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { HeContext, heSetupClient, heSetupServer, heBatchMatmulClient, heBatchMatmulServer, heBatchMatmulCost, smallProducts } from '../../src/crypto/he/index.ts';
import type { BatchShape } from '../../src/crypto/he/index.ts';
import { ringMatmulAdd } from '../../src/crypto/he/plain.ts';
import { report } from '../lib.ts';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const reps = Number(opt('--reps') ?? 3);
const shapes = (opt('--shapes') ?? '2x32x4,2x32x32,12x64x1,12x64x5,12x64x14').split(',').map((s) => {
  const [H, D, T] = s.split('x').map(Number);
  if (![H, D, T].every((v) => Number.isInteger(v) && v > 0)) throw new RangeError(`--shapes: ${s} is not HxDxT`);
  return { H, D, T };
});

const ctx = await HeContext.create({ ell: 32, packed: true, galoisDepth: 3 });
const ring = ctx.ring;
const [c0, s0] = MemoryChannel.pair();
const [cs, ss] = await Promise.all([heSetupClient(c0, ctx), heSetupServer(s0, ctx)]);

async function once(shape: BatchShape, seed: number) {
  const { heads, n, k, m } = shape;
  const A = ring.random(heads * n * k, Prg.fromInt(seed)), B = ring.random(heads * k * m, Prg.fromInt(seed + 1));
  const [Ac, As] = ring.share(A, Prg.fromInt(seed + 2)), [Bc, Bs] = ring.share(B, Prg.fromInt(seed + 3));
  const [c, s] = MemoryChannel.pair();
  const t0 = performance.now();
  const [Cc, Cs] = await Promise.all([heBatchMatmulClient(c, cs, Ac, Bc, shape), heBatchMatmulServer(s, ss, As, Bs, shape, { prg: Prg.fromInt(seed + 4) })]);
  const wall = performance.now() - t0;
  const want = ringMatmulAdd(ring, ring.alloc(heads * n * m), A, B, heads, n, k, m, !!shape.transposeB);
  const got = ring.add(Cc, Cs);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) throw new Error(`bench he --heads: wrong result at ${i}`);
  const cost = heBatchMatmulCost(shape, ctx.params);
  const bytes = c.totals.bytesSent + s.totals.bytesSent;
  if (bytes !== cost.bytesUp + cost.bytesDown) throw new Error(`bench he --heads: ${bytes} B counted, ${cost.bytesUp + cost.bytesDown} predicted`);
  return { wall, bytes, cost };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results: Record<string, unknown>[] = [];
for (const { H, D, T } of shapes) {
  for (const [name, shape] of [['QK^T', { heads: H, n: T, k: D, m: T, transposeB: true }], ['PV', { heads: H, n: T, k: T, m: D }]] as const) {
    const row: Record<string, unknown> = { product: name, heads: H, width: D, tokens: T };
    for (const form of ['per-head', 'grouped'] as const) {
      smallProducts.groups = smallProducts.joint = form === 'grouped';
      await once(shape, 1); // warm-up
      const runs = [];
      for (let r = 0; r < reps; r++) runs.push(await once(shape, 10 + r));
      const { cost } = runs[0];
      row[form] = { wallMs: +median(runs.map((x) => x.wall)).toFixed(1), bytesUp: cost.bytesUp, bytesDown: cost.bytesDown, inCts: cost.inCts, outCts: cost.outCts, blocking: cost.blocking, load: os.loadavg()[0] };
    }
    smallProducts.groups = smallProducts.joint = true;
    const [a, b] = [row['per-head'] as { wallMs: number; bytesUp: number; bytesDown: number }, row.grouped as { wallMs: number; bytesUp: number; bytesDown: number }];
    row.bytesRatio = +((a.bytesUp + a.bytesDown) / (b.bytesUp + b.bytesDown)).toFixed(3);
    row.timeRatio = +(a.wallMs / b.wallMs).toFixed(3);
    console.error(`${name} ${H}x${D}x${T}: per-head ${a.wallMs} ms ${a.bytesUp + a.bytesDown} B, grouped ${b.wallMs} ms ${b.bytesUp + b.bytesDown} B (load ${os.loadavg()[0].toFixed(1)})`);
    results.push(row);
  }
}
cs.delete();
ss.delete();
ctx.delete();
report('he-heads', { reps, results });
