// Shared helpers for the HE tests: a session pair over a MemoryChannel and a plaintext twin.
import { expect } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import type { RingArray, Ring } from '../../src/crypto/ring.ts';
import { HeContext, heSetupClient, heSetupServer } from '../../src/crypto/he/index.ts';
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
