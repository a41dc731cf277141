// Compact frames (compress.ts): the download round trip is exact up to the stated roundings, zero
// outside the result positions, and the frame sizes are the cost model's; the upload frame carries
// a seeded ciphertext's residues at its chain's prime widths and restores its bytes exactly.
import { describe, it, expect } from 'vitest';
import { Prg } from '../../src/crypto/prg.ts';
import { compressResult, expandResult, frameBytes, resultPositions, rowOffsets, packUpload, unpackUpload, uploadBytes, PRIME_BITS } from '../../src/crypto/he/compress.ts';
import { makeBlocking } from '../../src/crypto/he/index.ts';
import { chainFor, CT_DATA_OFFSET, SEEDED_OVERHEAD, ctBytes, seededBytes } from '../../src/crypto/he/seal.ts';

const N = 8192;
const p0 = chainFor(32).primes[0];

/** A fake one-prime ciphertext: header bytes 1..113, c0 and c1 uniform mod p0 plus edge values. */
function fakeCt(seed: number): { bytes: Uint8Array; c: bigint[] } {
  const rnd = new BigUint64Array(2 * N);
  new Prg(new Uint8Array(16).fill(seed)).fill(new Uint8Array(rnd.buffer));
  const c = Array.from(rnd, (v) => (v >> 4n) % p0);
  c[0] = 0n; c[1] = p0 - 1n; c[2] = p0 - 2n ** 20n; c[N] = p0 - 1n; c[N + 1] = 1n; c[N + 2] = 2n ** 59n;
  const bytes = new Uint8Array(ctBytes(1));
  for (let i = 0; i < CT_DATA_OFFSET; i++) bytes[i] = i + 1;
  const dv = new DataView(bytes.buffer, CT_DATA_OFFSET);
  c.forEach((v, i) => dv.setBigUint64(8 * i, v, true));
  return { bytes, c };
}

const centred = (x: bigint): bigint => {
  const r = ((x % p0) + p0) % p0;
  return r > p0 / 2n ? r - p0 : r;
};

describe('HE download compression', () => {
  for (const drop of [{ d0: 24, d1: 17 }, { d0: 17, d1: 8 }, { d0: 32, d1: 32 }, { d0: 40, d1: 33 }, { d0: 0, d1: 0 }, { d0: 54, d1: 47 }]) {
    it(`round trip within 2^(d-1), d0 = ${drop.d0}, d1 = ${drop.d1}`, () => {
      const { bytes, c } = fakeCt(drop.d0 + 3 * drop.d1);
      const b = makeBlocking(13, 22, 17, 4, 5, 6);
      const shape = { n: 13, m: 17 };
      const positions = resultPositions(b, shape, 3, 2); // the ragged corner block: 1 row, 5 columns
      expect(positions.length).toBe(5);
      const frame = compressResult(bytes, positions, drop);
      expect(frame.byteLength).toBe(frameBytes(5, drop));
      expect(frame.byteLength).toBe(Math.ceil((N * (PRIME_BITS - drop.d1)) / 8) + Math.ceil((5 * (PRIME_BITS - drop.d0)) / 8));
      const out = expandResult(frame, positions, drop, bytes, p0);
      expect(out.subarray(0, CT_DATA_OFFSET)).toEqual(bytes.subarray(0, CT_DATA_OFFSET));
      const dv = new DataView(out.buffer, CT_DATA_OFFSET);
      const inPos = new Set(positions);
      let worst0 = 0n, worst1 = 0n;
      for (let j = 0; j < N; j++) {
        const v0 = dv.getBigUint64(8 * j, true), v1 = dv.getBigUint64(8 * (N + j), true);
        expect(v0 < p0 && v1 < p0).toBe(true);
        if (inPos.has(j)) {
          const e = centred(v0 - c[j]);
          if ((e < 0n ? -e : e) > worst0) worst0 = e < 0n ? -e : e;
        } else expect(v0).toBe(0n);
        const e1 = centred(v1 - c[N + j]);
        if ((e1 < 0n ? -e1 : e1) > worst1) worst1 = e1 < 0n ? -e1 : e1;
      }
      expect(worst0 <= (drop.d0 ? 2n ** BigInt(drop.d0 - 1) : 0n)).toBe(true);
      expect(worst1 <= (drop.d1 ? 2n ** BigInt(drop.d1 - 1) : 0n)).toBe(true);
      if (drop.d1 > 4) expect(worst1 > 2n ** BigInt(drop.d1 - 2)).toBe(true); // the rounding is used, not zero
    });
  }

  it('message offsets add the ragged blocks exactly', () => {
    const b = makeBlocking(13, 22, 17, 4, 5, 6); // nb = 4, mb = 3; last row block 1 row, last column block 5
    const drop = { d0: 24, d1: 17 };
    expect(rowOffsets(b, { n: 13, m: 17 }, 3, drop)).toEqual([0, frameBytes(6, drop), 2 * frameBytes(6, drop), 2 * frameBytes(6, drop) + frameBytes(5, drop)]);
  });

  it('rejects a frame of the wrong length', () => {
    const drop = { d0: 24, d1: 17 };
    const pos = new Uint32Array([0, 5]);
    expect(() => expandResult(new Uint8Array(10), pos, drop, new Uint8Array(CT_DATA_OFFSET), p0)).toThrow(/result frame has 10 bytes, expected/);
  });

  for (const ell of [32, 40]) {
    it(`upload frame round trip at the chain of ell = ${ell}, residues up to p_i - 1`, () => {
      const { bits, primes } = chainFor(ell);
      const ser = new Uint8Array(seededBytes(bits.length));
      new Prg(new Uint8Array(16).fill(ell)).fill(ser);
      const dv = new DataView(ser.buffer, CT_DATA_OFFSET);
      const rnd = new BigUint64Array(bits.length * N);
      new Prg(new Uint8Array(16).fill(ell + 1)).fill(new Uint8Array(rnd.buffer));
      primes.forEach((p, i) => {
        for (let j = 0; j < N; j++) dv.setBigUint64(8 * (i * N + j), rnd[i * N + j] % p, true);
        dv.setBigUint64(8 * i * N, p - 1n, true);
        dv.setBigUint64(8 * (i * N + 1), 0n, true);
      });
      const frame = packUpload(ser, bits);
      expect(frame.byteLength).toBe(uploadBytes(bits));
      expect(frame.byteLength).toBe(SEEDED_OVERHEAD + (N * bits.reduce((a, b) => a + b)) / 8);
      expect(unpackUpload(frame, bits)).toEqual(ser);
      // 154 of 192 bits per coefficient at ell <= 32 (157,890 B instead of 196,802 B).
      if (ell === 32) expect(frame.byteLength).toBe(157890);
      dv.setBigUint64(8 * N * (bits.length - 1), 1n << BigInt(bits[bits.length - 1]), true);
      expect(() => packUpload(ser, bits)).toThrow(/residue above/);
      expect(() => unpackUpload(frame.subarray(1), bits)).toThrow(/upload ciphertext has/);
    });
  }
});
