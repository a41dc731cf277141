// Shared helpers for the OT tests: a seeded engine pair, deterministic inputs, reveal-and-check.
import { MemoryChannel, type Channel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { OtEngine } from '../../src/crypto/ot/engine.ts';
import { maskMsgs, msgBytes } from '../../src/crypto/ot/bits.ts';

export async function enginePair(chunk?: number, seed = 7): Promise<{ client: OtEngine; server: OtEngine; cc: MemoryChannel; sc: MemoryChannel }> {
  const [cc, sc] = MemoryChannel.pair();
  const pc = Prg.fromInt(seed), ps = Prg.fromInt(seed + 1000);
  const client = new OtEngine(cc, { chunk, random: (n) => pc.bytes(n) });
  const server = new OtEngine(sc, { chunk, random: (n) => ps.bytes(n) });
  await Promise.all([client.setup(), server.setup()]);
  return { client, server, cc, sc };
}

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
