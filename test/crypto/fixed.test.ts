import { describe, expect, it } from 'vitest';
import { Ring, type RingArray } from '../../src/crypto/ring.ts';
import { Fixed, convertWidth, decodeInts, encodeInts, truncExact, truncReduce, ulpDistance } from '../../src/crypto/fixed.ts';
import { Prg } from '../../src/crypto/prg.ts';

const WIDTHS = [1, 8, 31, 32, 33, 37, 63, 64];
const big = (a: RingArray): bigint[] => Array.from(a as ArrayLike<number | bigint>, (x) => BigInt(x));

describe('fixed-point encode/decode', () => {
  it('rounds to nearest, ties away from zero', () => {
    const f = new Fixed(32, 2); // ulp 0.25
    const got = f.decode(f.encode([0.125, -0.125, 0.375, -0.375, 0.1, -0.1, 1.6, -1.6]));
    expect(Array.from(got)).toEqual([0.25, -0.25, 0.5, -0.5, 0, 0, 1.5, -1.5]);
  });

  it.each([32, 37, 64])('round-trips at ell=%i, s=12 and is exact on the grid', (ell) => {
    const f = new Fixed(ell, 12);
    const xs = Array.from({ length: 200 }, (_, i) => (i - 100) * 1.2345 + 1 / 4096);
    const back = f.decode(f.encode(xs));
    xs.forEach((x, i) => expect(Math.abs(back[i] - x)).toBeLessThanOrEqual(f.ulp / 2));
    expect(Array.from(f.decode(f.encode([f.max, f.min, -f.ulp])))).toEqual([f.max, f.min, -f.ulp]);
  });

  it('rejects values out of range and non-finite values with a clear message', () => {
    const f = new Fixed(16, 8);
    expect(() => f.encode([128])).toThrow(/cannot encode 128 \(index 0\) as fix<16,8>/);
    expect(() => f.encode([0, NaN])).toThrow(/index 1.*not a finite number/);
    expect(() => new Fixed(32, 32)).toThrow(/scale/);
  });

  it.each(WIDTHS)('encodeInts/decodeInts agree with BigInt two\'s complement at ell=%i', (ell) => {
    const ring = new Ring(ell);
    const half = 2 ** (ell - 1);
    const vals = [0, -1, 1, -half, Math.min(half - 1, 2 ** 53), -Math.min(half, 2 ** 53) + 1, 12345 % half, -(9876 % half)].filter((v) => v >= -half && v < half).map((v) => v + 0);
    const enc = encodeInts(ring, vals, 1);
    expect(big(enc)).toEqual(vals.map((v) => BigInt.asUintN(ell, BigInt(v))));
    expect(Array.from(decodeInts(ring, enc))).toEqual(vals);
  });
});

describe.each(WIDTHS)('truncation and width conversion at ell=%i', (ell) => {
  const ring = new Ring(ell);
  const a = ring.random(300, Prg.fromInt(ell));
  const A = big(a);

  it('truncExact = floor(v / 2^s)', () => {
    for (const s of [0, 1, Math.min(12, ell), ell - 1, ell]) {
      expect(big(truncExact(ring, a, s))).toEqual(A.map((x) => BigInt.asUintN(ell, BigInt.asIntN(ell, x) >> BigInt(s))));
    }
  });

  it('truncReduce lands in Z_2^(ell-s)', () => {
    if (ell < 2) return;
    const s = Math.max(1, ell >> 2);
    const { ring: to, value } = truncReduce(ring, a, s);
    expect(to.ell).toBe(ell - s);
    expect(big(value)).toEqual(A.map((x) => BigInt.asUintN(ell - s, BigInt.asIntN(ell, x) >> BigInt(s))));
  });

  it.each(WIDTHS)('convertWidth to ell=%i, signed and unsigned', (toEll) => {
    const to = new Ring(toEll);
    const signedWant = A.map((x) => BigInt.asUintN(toEll, toEll > ell ? BigInt.asIntN(ell, x) : x));
    const unsignedWant = A.map((x) => BigInt.asUintN(toEll, x));
    expect(big(convertWidth(a, ring, to, true))).toEqual(signedWant);
    expect(big(convertWidth(a, ring, to, false))).toEqual(unsignedWant);
  });
});

describe('Fixed twin helpers', () => {
  it('mul is trunc(a*b) and ulpDistance measures off-by-one', () => {
    const f = new Fixed(37, 12);
    const x = f.encode([1.5, -2.25, 3]), y = f.encode([2, 2, -0.5]);
    expect(Array.from(f.decode(f.mul(x, y)))).toEqual([3, -4.5, -1.5]);
    const off = f.ring.addScalar(f.mul(x, y), 1);
    expect(ulpDistance(f.ring, off, f.mul(x, y))).toBe(1);
    expect(ulpDistance(f.ring, f.ring.addScalar(off, -2), f.mul(x, y))).toBe(1);
  });

  it('truncation of a negative value rounds toward -infinity', () => {
    const f = new Fixed(32, 4);
    expect(Array.from(f.decode(f.trunc(f.encode([-1 / 16]), 4)))).toEqual([-1 / 16]); // -1 >> 4 = -1
  });
});
