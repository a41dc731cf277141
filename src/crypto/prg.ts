// Pseudorandom generator: AES-128 in counter mode over a 16-byte seed (node:crypto, bulk calls).
import { createCipheriv, randomBytes } from 'node:crypto';

const ZERO_IV = new Uint8Array(16);

export class Prg {
  private readonly cipher;
  constructor(seed: Uint8Array = randomBytes(16)) {
    if (seed.length !== 16) throw new RangeError(`PRG seed must be 16 bytes, got ${seed.length}`);
    this.cipher = createCipheriv('aes-128-ctr', seed, ZERO_IV);
  }

  /** Next `n` pseudorandom bytes. */
  bytes(n: number): Uint8Array {
    const out = this.cipher.update(new Uint8Array(n));
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  /** Fill `out` with the next pseudorandom bytes. */
  fill(out: Uint8Array): Uint8Array {
    out.set(this.bytes(out.length));
    return out;
  }

  /** A 16-byte seed for a child PRG. */
  seed(): Uint8Array {
    return this.bytes(16);
  }

  /** Deterministic PRG for tests: seed derived from a small integer. */
  static fromInt(i: number): Prg {
    const seed = new Uint8Array(16);
    new DataView(seed.buffer).setUint32(0, i >>> 0, true);
    return new Prg(seed);
  }
}
