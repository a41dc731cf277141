// Ring kernels against BigInt reference implementations at awkward widths.
import { describe, expect, it } from 'vitest';
import { Ring, type RingArray } from '../../src/crypto/ring.ts';
import { Prg } from '../../src/crypto/prg.ts';

const WIDTHS = [1, 8, 31, 32, 33, 37, 63, 64];
const big = (a: RingArray): bigint[] => Array.from(a as ArrayLike<number | bigint>, (x) => BigInt(x));
const signed = (x: bigint, ell: number) => BigInt.asIntN(ell, x);
const mod = (x: bigint, ell: number) => BigInt.asUintN(ell, x);

/** Random elements with the edge values mixed in (0, 1, max, the sign boundary). */
function sample(ring: Ring, n: number, seed: number): RingArray {
  const a = ring.random(n, Prg.fromInt(seed));
  const edges = [0n, 1n, (1n << BigInt(ring.ell)) - 1n, 1n << BigInt(ring.ell - 1), (1n << BigInt(ring.ell - 1)) - 1n];
  edges.forEach((e, i) => {
    if (ring.wide) (a as BigUint64Array)[i] = e;
    else (a as Uint32Array)[i] = Number(e);
  });
  return a;
}

describe.each(WIDTHS)('Z_2^%i kernels', (ell) => {
  const ring = new Ring(ell);
  const n = 257;
  const a = sample(ring, n, ell);
  const b = sample(ring, n, 1000 + ell);
  const A = big(a), B = big(b);

  it('shr is floor division of the signed value (every shift 0..ell)', () => {
    for (let s = 0; s <= ell; s++) {
      const want = A.map((x) => mod(signed(x, ell) >> BigInt(s), ell));
      expect(big(ring.shr(a, s)), `s=${s}`).toEqual(want);
    }
  });

  it('shrLogical and shl', () => {
    for (let s = 0; s <= ell; s++) {
      expect(big(ring.shrLogical(a, s)), `s=${s}`).toEqual(A.map((x) => x >> BigInt(s)));
      expect(big(ring.shl(a, s)), `s=${s}`).toEqual(A.map((x) => mod(x << BigInt(s), ell)));
    }
  });

  it('mulScalar and addScalar (number, negative, bigint)', () => {
    for (const c of [0, 1, -1, 3, 0x7fffffff, -123456789, 2n ** 40n + 7n]) {
      const cb = BigInt(c);
      expect(big(ring.mulScalar(a, c)), `c=${c}`).toEqual(A.map((x) => mod(x * cb, ell)));
      expect(big(ring.addScalar(a, c)), `c=${c}`).toEqual(A.map((x) => mod(x + cb, ell)));
    }
  });

  it('add, sub, mul, neg match BigInt', () => {
    expect(big(ring.add(a, b))).toEqual(A.map((x, i) => mod(x + B[i], ell)));
    expect(big(ring.sub(a, b))).toEqual(A.map((x, i) => mod(x - B[i], ell)));
    expect(big(ring.mul(a, b))).toEqual(A.map((x, i) => mod(x * B[i], ell)));
    expect(big(ring.neg(a))).toEqual(A.map((x) => mod(-x, ell)));
  });

  it('matmul and sumLast', () => {
    const [m, k, p] = [3, 7, 5];
    const x = sample(ring, m * k, 7 * ell), y = sample(ring, k * p, 9 * ell);
    const X = big(x), Y = big(y);
    const want: bigint[] = [];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < p; j++) {
        let acc = 0n;
        for (let t = 0; t < k; t++) acc += X[i * k + t] * Y[t * p + j];
        want.push(mod(acc, ell));
      }
    expect(big(ring.matmul(x, y, m, k, p))).toEqual(want);
    const sums = [0, 1, 2].map((r) => mod(X.slice(r * k, r * k + k).reduce((s, v) => s + v, 0n), ell));
    expect(big(ring.sumLast(x, k))).toEqual(sums);
    expect(() => ring.matmul(x, y, m, k + 1, p)).toThrow(/matmul shapes/);
  });

  it('pack/unpack: exactly ceil(ell*n/8) bytes, LSB-first, round trip', () => {
    for (const len of [0, 1, 2, 3, 7, 8, 9, 33, 257]) {
      const x = a.subarray(0, len) as RingArray;
      const bytes = ring.pack(x);
      expect(bytes.byteLength).toBe(Math.ceil((ell * len) / 8));
      expect(big(ring.unpack(bytes, len))).toEqual(big(x));
      // Reference bit string.
      let acc = 0n;
      big(x).forEach((v, i) => (acc |= v << BigInt(i * ell)));
      const ref = Array.from({ length: bytes.byteLength }, (_, j) => Number((acc >> BigInt(8 * j)) & 0xffn));
      expect(Array.from(bytes)).toEqual(ref);
    }
    expect(() => ring.unpack(new Uint8Array(ring.packedBytes(5) + 1), 5)).toThrow(/must be/);
  });
});

describe('pack padding', () => {
  it('rejects nonzero padding bits', () => {
    const ring = new Ring(37);
    const bytes = ring.pack(ring.random(3, Prg.fromInt(1))); // 111 bits -> 14 bytes, 1 pad bit
    bytes[bytes.length - 1] |= 0x80;
    expect(() => ring.unpack(bytes, 3)).toThrow(/padding/);
  });
});
