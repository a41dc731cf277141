// Shared helpers for the HE tests: a session pair over a MemoryChannel and a plaintext twin.
import { expect } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import type { RingArray, Ring } from '../../src/crypto/ring.ts';
import { HeContext, HePool, heMatmulClient, heMatmulCost, heMatmulServer, heSetupClient, heSetupServer } from '../../src/crypto/he/index.ts';
import { Prg } from '../../src/crypto/prg.ts';
import type { HeClientSession, HeCost, HeParams, HeServerSession } from '../../src/crypto/he/index.ts';

export interface Pair {
  ctx: HeContext;
  c: MemoryChannel;
  s: MemoryChannel;
  cs: HeClientSession;
  ss: HeServerSession;
  close(): void;
}

export async function sessionPair(ell = 32, params: Partial<HeParams> = {}): Promise<Pair> {
  const ctx = await HeContext.create({ ...params, ell });
  const [c, s] = MemoryChannel.pair();
  const [cs, ss] = await Promise.all([heSetupClient(c, ctx), heSetupServer(s, ctx)]);
  return {
    ctx, c, s, cs, ss,
    close() {
      cs.delete();
      ss.delete();
      ctx.delete();
    },
  };
}

/** Plaintext twin: C[h] = A[h]·B[h] mod 2^ell, written independently with BigInt. */
export function twin(ring: Ring, A: RingArray, B: RingArray, heads: number, n: number, k: number, m: number, transposeB = false): bigint[] {
  const mod = 1n << BigInt(ring.ell);
  const out: bigint[] = [];
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < m; c++) {
        let acc = 0n;
        for (let j = 0; j < k; j++) {
          const a = BigInt(A[h * n * k + i * k + j]);
          const b = BigInt(transposeB ? B[h * k * m + c * k + j] : B[h * k * m + j * m + c]);
          acc += a * b;
        }
        out.push(acc % mod);
      }
    }
  }
  return out;
}

/** Open shares and return the first mismatching index against the twin, or -1. */
export function firstMismatch(ring: Ring, y0: RingArray, y1: RingArray, want: bigint[]): number {
  const y = ring.add(y0, y1);
  if (y.length !== want.length) return -2;
  for (let i = 0; i < want.length; i++) if (BigInt(y[i]) !== want[i]) return i;
  return -1;
}

/** The channel's counters of one call equal its predicted cost (bytes, messages, rounds, both sides). */
export function expectCounted(cost: Pick<HeCost, 'bytesUp' | 'bytesDown' | 'messagesUp' | 'messagesDown' | 'rounds'>, c: MemoryChannel, s: MemoryChannel): void {
  expect(c.totals.bytesSent).toBe(cost.bytesUp);
  expect(s.totals.bytesRecv).toBe(cost.bytesUp);
  expect(s.totals.bytesSent).toBe(cost.bytesDown);
  expect(c.totals.bytesRecv).toBe(cost.bytesDown);
  expect(c.totals.messagesSent).toBe(cost.messagesUp);
  expect(s.totals.messagesSent).toBe(cost.messagesDown);
  expect(c.totals.rounds).toBe(cost.rounds);
  expect(s.totals.rounds).toBe(cost.rounds);
}

/**
 * A 6×64·64×96 product on two worker threads per party, the workers' contexts opened with the
 * pair's packing, Galois key depth and tree level: it must open to the twin with predicted == measured
 * bytes. Returns its merge width P.
 */
export async function pooledProduct(p: Pair): Promise<number> {
  const { ctx, cs, ss } = p, q = ctx.params;
  const [cpool, spool] = [new HePool(2), new HePool(2)];
  try {
    const pc = await cpool.open('client', q.ell, cs.exportKeys(), !!q.packed, q.galoisDepth, q.galoisLevel);
    const ps = await spool.open('server', q.ell, { pk: ss.exportPublicKey(), galois: ss.exportGaloisKeys() }, !!q.packed, q.galoisDepth, q.galoisLevel);
    const [n, k, m] = [6, 64, 96];
    const [c, s] = MemoryChannel.pair();
    const Xc = ctx.ring.random(n * k, Prg.fromInt(5)), Xs = ctx.ring.random(n * k, Prg.fromInt(6)), W = ctx.ring.random(k * m, Prg.fromInt(7));
    const [yc, ys] = await Promise.all([heMatmulClient(c, cs, Xc, n, k, m, { pool: pc }), heMatmulServer(s, ss, Xs, W, n, k, m, { pool: ps, prg: Prg.fromInt(8) })]);
    const cost = heMatmulCost(n, k, m, ctx.params);
    expect(firstMismatch(ctx.ring, yc, ys, twin(ctx.ring, ctx.ring.add(Xc, Xs), W, 1, n, k, m))).toBe(-1);
    expectCounted(cost, c, s);
    await pc.close();
    await ps.close();
    return cost.blocking.P ?? 1;
  } finally {
    await cpool.close();
    await spool.close();
  }
}
