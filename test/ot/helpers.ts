// Shared helpers for the OT tests: a seeded engine pair, deterministic inputs, reveal-and-check.
import { MemoryChannel, type Channel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { OtEngine } from '../../src/crypto/ot/engine.ts';
import { maskMsgs, msgBytes } from '../../src/crypto/ot/bits.ts';
import { FerretCot } from '../../src/crypto/ot/ferret/cot.ts';
import type { FerretSchedule } from '../../src/crypto/ot/ferret/schedule.ts';
import type { RandomBytes } from '../../src/crypto/ot/base-ot.ts';

/**
 * TEST ONLY — toy LPN parameters (far below 128-bit security) so that tests run many Ferret
 * refills, setup and main iterations cheaply; Ferret from the first COT (no IKNP-only phase).
 */
export const TOY_SCHEDULE: FerretSchedule = {
  setup: { name: 'toy-setup', n: 16_384, k: 2_048, t: 32, h: 9, d: 10 },
  main: { name: 'toy-main', n: 65_536, k: 8_192, t: 64, h: 10, d: 10 },
  iknpUpTo: 0,
  setupIterations: 2,
};

/** Which correlated-OT backend a test engine runs: IKNP, Ferret with a schedule. */
export type TestBackend = { kind: 'iknp' } | { kind: 'ferret'; schedule?: FerretSchedule };
export const IKNP: TestBackend = { kind: 'iknp' };
export const FERRET_TOY: TestBackend = { kind: 'ferret', schedule: TOY_SCHEDULE };

export function testEngine(ch: MemoryChannel, random: RandomBytes, backend: TestBackend = IKNP, chunk?: number): OtEngine {
  if (backend.kind === 'iknp') return new OtEngine(ch, { chunk, random, backend: 'iknp' });
  return new OtEngine(ch, { random, cot: new FerretCot(ch, { chunk, random, schedule: backend.schedule, inlineRefills: true }) });
}

export async function enginePair(chunk?: number, seed = 7, backend: TestBackend = IKNP): Promise<{ client: OtEngine; server: OtEngine; cc: MemoryChannel; sc: MemoryChannel }> {
  const [cc, sc] = MemoryChannel.pair();
  const pc = Prg.fromInt(seed), ps = Prg.fromInt(seed + 1000);
  const client = testEngine(cc, (n) => pc.bytes(n), backend, chunk);
  const server = testEngine(sc, (n) => ps.bytes(n), backend, chunk);
  await Promise.all([client.setup(), server.setup()]);
  return { client, server, cc, sc };
}

type EnginePair = Awaited<ReturnType<typeof enginePair>>;

/** The pair's two directions: [sender, receiver, sender's channel, receiver's channel]. */
export const bothWays = (E: EnginePair) =>
  [
    [E.client, E.server, E.cc, E.sc],
    [E.server, E.client, E.sc, E.cc],
  ] as const;

/** Deterministic choice bits (one byte 0/1 each) with both values present. */
export function choiceBits(n: number, seed: number): Uint8Array {
  return Prg.fromInt(seed).bytes(n).map((b) => b & 1);
}

/** n random messages of `bits` bits (unused high bits zero). */
export function randomMsgs(n: number, bits: number, seed: number): Uint8Array {
  return maskMsgs(Prg.fromInt(seed).bytes(n * msgBytes(bits)), bits);
}

/** The sender reveals `data` over the channel at the end; the receiver gets it. */
export async function reveal(from: Channel, to: Channel, data: Uint8Array): Promise<Uint8Array> {
  from.send(data.slice());
  return to.recv();
}

/** Index of the first mismatch, or -1. */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
