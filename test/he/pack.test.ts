// Packed results (src/crypto/he/pack.ts): raw block products on real SEAL ciphertexts, merged by the
// PackLWEs tree at level 0, switched down, masked, decrypted and decoded, against the plaintext
// product mod 2^ell. Contexts as the key-switching chain makes them (a 60-bit special prime at
// ell <= 32, 54 at ell = 37; plaintext modulus 2^(ell + PACK_BITS)), SEAL's default Galois keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ciphertext, Decryptor, Encryptor, GaloisKeys, KeyGenerator, PublicKey, SecretKey } from 'node-seal';
import { loadSeal, PACK_BITS, PT_COUNT_OFFSET, PT_DATA_OFFSET, type SealModule } from '../../src/crypto/he/seal.ts';
import type { Plaintext } from 'node-seal';
import { MAX_PACK, defaultSetElements, groupMembers, groupsOf, mergeTree, mergeWidth, packedIndex, packedMask, shiftScaleNtt, type PackEnv } from '../../src/crypto/he/pack.ts';
import { leftIndex, makeBlocking, outIndex, rightIndex, treeSwitches, type Blocking } from '../../src/crypto/he/packing.ts';
import { Ring } from '../../src/crypto/ring.ts';
import { Prg } from '../../src/crypto/prg.ts';

const N = 8192;
const chainOf = (ell: number): number[] => (ell <= 32 ? [60, 54, 40, 60] : [60, 59, 45, 54]);

interface Env extends PackEnv {
  ell: number;
  enc: Encryptor;
  dec: Decryptor;
  free: { delete(): void }[];
}

async function makeEnv(seal: SealModule, ell: number): Promise<Env> {
  const parms = new seal.EncryptionParameters(seal.SchemeType.bfv);
  const coeff = seal.CoeffModulus.Create(N, Int32Array.from(chainOf(ell)));
  const plain = new seal.Modulus(1n << BigInt(ell + PACK_BITS));
  parms.setPolyModulusDegree(N);
  parms.setCoeffModulus(coeff);
  parms.setPlainModulus(plain);
  const context = new seal.SEALContext(parms, true, seal.SecLevelType.tc128);
  parms.delete();
  coeff.delete();
  plain.delete();
  const kg: KeyGenerator = new seal.KeyGenerator(context);
  const sk: SecretKey = kg.secretKey(), pk: PublicKey = kg.createPublicKey(), galois: GaloisKeys = kg.createGaloisKeys();
  const enc = new seal.Encryptor(context, pk, sk), dec = new seal.Decryptor(context, sk), evaluator = new seal.Evaluator(context);
  const topParms = context.firstParmsId();
  return { seal, context, evaluator, topParms, N, plainBits: ell + PACK_BITS, galois, ell, enc, dec, free: [topParms, evaluator, dec, enc, galois, pk, sk, kg, context] };
}

/** Deterministic values mod 2^ell. */
function values(count: number, ell: number, seed: number): bigint[] {
  const prg = new Prg(new Uint8Array(16).fill(seed)), a = new BigUint64Array(count), m = (1n << BigInt(ell)) - 1n;
  prg.fill(new Uint8Array(a.buffer));
  return Array.from(a, (x) => x & m);
}

/**
 * Raw result ciphertexts of X (n×k) · W (k×m) for row block 0, one per column block, as the server's
 * accumulators hold them (NTT form, level 0): Σ over k-blocks of Enc(X block) · W block.
 */
function rawResults(env: Env, b: Blocking, X: bigint[], W: bigint[], n: number, k: number, m: number): Ciphertext[] {
  const { seal, evaluator: ev } = env;
  const out: Ciphertext[] = [];
  for (let mbi = 0; mbi < b.mb; mbi++) {
    let acc: Ciphertext | null = null;
    for (let kbi = 0; kbi < b.kb; kbi++) {
      const xc = new BigUint64Array(N), wc = new BigUint64Array(N);
      for (let i = 0; i < Math.min(b.nw, n); i++) for (let j = 0; j < b.dw && kbi * b.dw + j < k; j++) xc[leftIndex(b, i, j)] = X[i * k + kbi * b.dw + j];
      for (let j = 0; j < b.dw && kbi * b.dw + j < k; j++) for (let c = 0; c < b.mw && mbi * b.mw + c < m; c++) wc[rightIndex(b, j, c)] = W[(kbi * b.dw + j) * m + mbi * b.mw + c];
      const [px, pw] = [plainOf(env, xc), plainOf(env, wc)];
      const ct = new seal.Ciphertext(), pwn = new seal.Plaintext();
      env.enc.encryptSymmetric(px, ct);
      ev.cipherTransformToNttInplace(ct);
      ev.plainTransformToNtt(pw, env.topParms, pwn);
      ev.multiplyPlainInplace(ct, pwn);
      if (acc) {
        ev.addInplace(acc, ct);
        ct.delete();
      } else acc = ct;
      for (const x of [px, pw, pwn]) x.delete();
    }
    out.push(acc!);
  }
  return out;
}
import { plainOf } from '../../src/crypto/he/pack.ts';

/** round(u / 16) mod 2^ell of a decrypted plaintext (what HeContext.decode does in a packed context). */
function decodeRounded(pt: Plaintext, ell: number): bigint[] {
  const bytes = pt.saveToArray(0 as never) as Uint8Array;
  const count = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(PT_COUNT_OFFSET, true));
  const al = new Uint8Array(8 * N);
  al.set(bytes.subarray(PT_DATA_OFFSET, PT_DATA_OFFSET + 8 * count));
  const m = (1n << BigInt(ell)) - 1n;
  return Array.from(new BigUint64Array(al.buffer), (u) => ((u + BigInt(MAX_PACK / 2)) >> BigInt(PACK_BITS)) & m);
}

describe('packed results: the merge tree on SEAL ciphertexts', () => {
  let seal: SealModule;
  const envs = new Map<number, Env>();
  beforeAll(async () => {
    seal = await loadSeal();
    for (const ell of [32, 37]) envs.set(ell, await makeEnv(seal, ell));
  }, 120_000);
  afterAll(() => {
    for (const e of envs.values()) for (const x of e.free) x.delete();
  });

  it('mergeWidth divides dw, stays within P_MAX and a row of blocks; treeSwitches counts the key switches', () => {
    expect(mergeWidth({ dw: 16, mb: 48 })).toBe(16);
    expect(mergeWidth({ dw: 24, mb: 48 })).toBe(8);
    expect(mergeWidth({ dw: 16, mb: 5 })).toBe(8);
    expect(mergeWidth({ dw: 13, mb: 48 })).toBe(1);
    expect(mergeWidth({ dw: 32, mb: 1 })).toBe(1);
    expect(mergeWidth({ dw: 64, mb: 64 }, 4)).toBe(4);
    expect(treeSwitches(16, 16)).toBe(15);
    expect(treeSwitches(1, 1)).toBe(0);
    expect(treeSwitches(1, 4)).toBe(2);
    expect(treeSwitches(5, 8)).toBe(1 + 2 + 4);
    expect(defaultSetElements(16)).toHaveLength(4);
    expect(groupsOf(37, 16)).toBe(3);
    expect(groupMembers(37, 16, 2)).toBe(5);
  });

  // Ragged: n = 3 rows in a block of nw = 4, k = 37 over dw = 16 (kb = 3, last 5), m = 29 over mw = 6
  // (mb = 5, last 5 columns); groups of P that the row does not fill (5 = 4 + 1, 5 of 8, 5 of 16).
  for (const [ell, P, dw] of [[32, 2, 16], [32, 4, 16], [32, 8, 16], [32, 16, 16], [37, 16, 16], [37, 4, 4], [32, 1, 16]] as const) {
    it(`merges raw results exactly: ell = ${ell}, P = ${P}, dw = ${dw}`, () => {
      const env = envs.get(ell)!, { seal, evaluator: ev } = env;
      const n = 3, k = 37, m = 29;
      const b = makeBlocking(n, k, m, 4, dw, 6);
      const X = values(n * k, ell, 1), W = values(k * m, ell, 2), mod = 1n << BigInt(ell);
      const want = (i: number, c: number): bigint => {
        let s = 0n;
        for (let j = 0; j < k; j++) s += X[i * k + j] * W[j * m + c];
        return s % mod;
      };
      const raws = rawResults(env, b, X, W, n, k, m);
      const shift = shiftScaleNtt(env, P, b.dw);
      const ring = new Ring(ell), prg = new Prg(new Uint8Array(16).fill(9));
      const pt = new seal.Plaintext(), mask = new seal.Plaintext();
      let wrong = 0, checked = 0;
      try {
        for (const r of raws) {
          ev.multiplyPlainInplace(r, shift);
          ev.cipherTransformFromNttInplace(r);
        }
        for (let g = 0; g < groupsOf(b.mb, P); g++) {
          const members = groupMembers(b.mb, P, g);
          const group = Array.from({ length: P }, (_, s) => (s < members ? raws[g * P + s] : null));
          for (let s = 0; s < members; s++) raws[g * P + s] = null!;
          const merged = mergeTree(env, group, (p) => defaultSetElements(p)); // SEAL's default keys here
          try {
            ev.cipherModSwitchToNextInplace(merged);
            ev.cipherModSwitchToNextInplace(merged);
            const r = packedMask(env, ring, prg, mask);
            ev.addPlainInplace(merged, mask);
            env.dec.decrypt(merged, pt);
            const got = decodeRounded(pt, ell);
            for (let s = 0; s < members; s++) {
              const mbi = g * P + s;
              for (let i = 0; i < n; i++) {
                for (let c = 0; c < Math.min(b.mw, m - mbi * b.mw); c++) {
                  const j = packedIndex(b, i, c, s);
                  const y = (BigInt(got[j]) - BigInt(r[j]) + mod) % mod;
                  checked++;
                  if (y !== want(i, mbi * b.mw + c)) wrong++;
                }
              }
            }
          } finally {
            merged.delete();
          }
        }
      } finally {
        for (const r of raws) r?.delete();
        for (const x of [shift, pt, mask]) x.delete();
      }
      expect(checked).toBe(n * m);
      expect(wrong).toBe(0);
    }, 60_000);
  }

  it('the unshifted layout is outIndex (what the shift moves to multiples of dw)', () => {
    const b = makeBlocking(4, 16, 8, 4, 16, 8);
    expect(outIndex(b, 1, 2) - (b.dw - 1)).toBe(packedIndex(b, 1, 2, 0));
    expect(MAX_PACK).toBe(16);
  });
});
