// Test harness: both parties in one process over a MemoryChannel, with the test-only ideal OT
// (fast) or the real OtEngine; shares inputs, runs a protocol, opens the result, and measures
// bytes / rounds against the protocol's cost function.
import { MemoryChannel, type Channel, type Party } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import type { ObliviousTransfer } from '../../src/crypto/ot/types.ts';
import { IKNP, testEngine, type TestBackend } from '../ot/helpers.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import { idealOtPairForTestsOnly } from '../support/ideal-ot.ts';
import { ringOf, type Cost, type ProtoCtx } from '../../src/crypto/nonlinear/context.ts';

export interface Pair {
  client: ProtoCtx;
  server: ProtoCtx;
  cc: Channel;
  sc: Channel;
}

/** `backend`: the real engine's correlated-OT backend (IKNP by default). */
export async function makePair(kind: 'ideal' | 'real', seed = 1, backend: TestBackend = IKNP): Promise<Pair> {
  const [cc, sc] = MemoryChannel.pair();
  let oc: ObliviousTransfer, os: ObliviousTransfer;
  if (kind === 'ideal') [oc, os] = idealOtPairForTestsOnly(cc, sc, { seed });
  else {
    const pc = Prg.fromInt(seed * 7 + 1), ps = Prg.fromInt(seed * 7 + 2);
    oc = testEngine(cc, (n) => pc.bytes(n), backend);
    os = testEngine(sc, (n) => ps.bytes(n), backend);
  }
  await Promise.all([oc.setup(), os.setup()]);
  return {
    client: { party: 'client', ch: cc, ot: oc, prg: Prg.fromInt(seed * 7 + 3) },
    server: { party: 'server', ch: sc, ot: os, prg: Prg.fromInt(seed * 7 + 4) },
    cc,
    sc,
  };
}

/** Additive shares [server, client] of x. */
export function share(x: RingArray, ell: number, seed: number): [RingArray, RingArray] {
  const ring = ringOf(ell);
  const r = ring.random(x.length, Prg.fromInt(seed));
  return [ring.sub(x, r), r];
}

export function shareBits(b: Uint8Array, seed: number): [Uint8Array, Uint8Array] {
  const r = Prg.fromInt(seed).bytes(b.length).map((v) => v & 1);
  return [b.map((v, i) => v ^ r[i]), r];
}

export interface Measured<T> {
  server: T;
  client: T;
  cost: Cost;
}

/**
 * Run `fn` on both parties concurrently and measure bytes and rounds. Rounds are exact only from
 * equal clocks: use a fresh pair (the real engine's setup leaves both clocks equal).
 */
export async function run2<T>(pair: Pair, fn: (ctx: ProtoCtx, party: Party) => Promise<T>): Promise<Measured<T>> {
  const c0 = { ...pair.cc.totals }, s0 = { ...pair.sc.totals };
  if (c0.rounds !== s0.rounds) throw new Error(`clocks differ before the run: ${c0.rounds} vs ${s0.rounds}`);
  const [server, client] = await Promise.all([fn(pair.server, 'server'), fn(pair.client, 'client')]);
  const c1 = pair.cc.totals, s1 = pair.sc.totals;
  const cost = {
    bytesClientToServer: c1.bytesSent - c0.bytesSent,
    bytesServerToClient: s1.bytesSent - s0.bytesSent,
    rounds: Math.max(c1.rounds, s1.rounds) - c0.rounds,
  };
  return { server, client, cost };
}

export function open(a: RingArray, b: RingArray, ell: number): RingArray {
  return ringOf(ell).add(a, b);
}

export function openBits(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((v, i) => v ^ b[i]);
}
