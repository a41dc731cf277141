// Feasibility of result packing on node-seal 7 (bench/bytes): P fresh ciphertexts at level 0 or 1
// of a chain with a special prime for key switching (treeChain: 214 and 218 <= 218 bits), plaintext
// modulus t' = 2^(ell + log2 P), each with uniformly random coefficients (the wanted ones at
// multiples of P, garbage elsewhere), merged by the PackLWEs tree (Chen, Dai, Kim, Song 2021,
// Alg. 2): at stride s = P/2, ..., 1, ct = (a + Y^s b) + sigma(a - Y^s b) with sigma: Y -> Y^g,
// g = 1 + (N/s)(2t + 1) for some t (it fixes multiples of 2s and negates s mod 2s), chosen among
// the elements of SEAL's default Galois keys (3^(+-2^i)), so each level is one key switch.
// Checks that coefficient iP + r of the result is P times coefficient iP of input r mod t' (so
// its top ell bits are the input's, exactly) and measures the key switches.
import { loadSeal } from '../../src/crypto/he/seal.ts';
import { PT_COUNT_OFFSET, PT_DATA_OFFSET } from '../../src/crypto/he/seal.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { defaultSetElements } from '../../src/crypto/he/pack.ts';

const N = 8192;

export interface TreeResult {
  P: number;
  ell: number;
  level: number;
  chainBits: number[];
  plainBits: number;
  galoisElements: number[];
  keySwitches: number;
  msPerKeySwitch: number;
  /** Serialized (seeded) size of SEAL's default Galois keys (25 elements) and per key. */
  galoisKeysBytes: number;
  bytesPerKey: number;
  budgetBitsLeft: number;
  exact: number;
  wrong: number;
}

/** The elements of the tree's levels (pack.ts). */
export const treeElements = (P: number): number[] => defaultSetElements(P, N);

/** The chain with a special prime for key switching: ell <= 32 60 + 54 + 40 + 60 (214 bits), ell = 37 60 + 59 + 45 + 54 (218). */
export const treeChain = (ell: number): number[] => (ell <= 32 ? [60, 54, 40, 60] : [60, 59, 45, 54]);

/** Merge P fresh ciphertexts at `level` (0: before the first switch, 1: after it). */
export async function mergeTree(P: number, ell = 32, level = 0, seed = 7): Promise<TreeResult> {
  const seal = await loadSeal(), k = Math.log2(P), tb = ell + k, prg = new Prg(new Uint8Array(16).fill(seed));
  const parms = new seal.EncryptionParameters(seal.SchemeType.bfv), coeff = seal.CoeffModulus.Create(N, Int32Array.from(treeChain(ell)));
  const plain = new seal.Modulus(BigInt(2 ** tb));
  parms.setPolyModulusDegree(N);
  parms.setCoeffModulus(coeff);
  parms.setPlainModulus(plain);
  const ctx = new seal.SEALContext(parms, true, seal.SecLevelType.tc128);
  const kg = new seal.KeyGenerator(ctx), sk = kg.secretKey(), pk = kg.createPublicKey();
  const gser = kg.createGaloisKeysSerializable(), gk = kg.createGaloisKeys();
  const galoisKeysBytes = (gser.saveToArray(seal.ComprModeType.none) as Uint8Array).byteLength;
  const enc = new seal.Encryptor(ctx, pk, sk), dec = new seal.Decryptor(ctx, sk), ev = new seal.Evaluator(ctx);
  const live: { delete(): void }[] = [parms, coeff, plain, ctx, kg, sk, pk, gser, gk, enc, dec, ev];
  const keep = <T extends { delete(): void }>(x: T): T => (live.push(x), x);
  try {
    const tpl0 = new seal.Plaintext(N), tpl = (tpl0.saveToArray(seal.ComprModeType.none) as Uint8Array).slice();
    tpl0.delete();
    const plainOf = (c: BigUint64Array) => {
      const buf = tpl.slice();
      new BigUint64Array(buf.buffer, PT_DATA_OFFSET, N).set(c);
      const pt = keep(new seal.Plaintext());
      pt.loadFromArray(ctx, buf);
      return pt;
    };
    const mask = (1n << BigInt(tb)) - 1n, msgs: BigUint64Array[] = [];
    let cur = [];
    for (let j = 0; j < P; j++) {
      const m = new BigUint64Array(N);
      prg.fill(new Uint8Array(m.buffer));
      for (let i = 0; i < N; i++) m[i] &= mask;
      msgs.push(m);
      const ct = keep(new seal.Ciphertext());
      enc.encryptSymmetric(plainOf(m), ct);
      for (let l = 0; l < level; l++) ev.cipherModSwitchToNextInplace(ct); // merge before re-randomisation and flooding
      cur.push(ct);
    }
    const elts = treeElements(P);
    let ms = 0, switches = 0;
    for (let step = 0, s = P / 2; s >= 1; s /= 2, step++) {
      const mono = new BigUint64Array(N);
      mono[s] = 1n;
      const ys = plainOf(mono), next = [];
      for (let j = 0; j < cur.length / 2; j++) {
        const yb = keep(new seal.Ciphertext()), A = keep(new seal.Ciphertext()), B = keep(new seal.Ciphertext());
        const sB = keep(new seal.Ciphertext()), out = keep(new seal.Ciphertext());
        ev.multiplyPlain(cur[j + cur.length / 2], ys, yb);
        ev.add(cur[j], yb, A);
        ev.sub(cur[j], yb, B);
        const t0 = performance.now();
        ev.applyGalois(B, elts[step], gk, sB);
        ms += performance.now() - t0;
        switches++;
        ev.add(A, sB, out);
        next.push(out);
      }
      cur = next;
    }
    const budget = dec.invariantNoiseBudget(cur[0]);
    const pt = keep(new seal.Plaintext());
    dec.decrypt(cur[0], pt);
    const bytes = pt.saveToArray(seal.ComprModeType.none) as Uint8Array;
    const count = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(PT_COUNT_OFFSET, true));
    const al = new Uint8Array(8 * N);
    al.set(bytes.subarray(PT_DATA_OFFSET, PT_DATA_OFFSET + 8 * count));
    const got = new BigUint64Array(al.buffer), low = (1n << BigInt(ell)) - 1n;
    let exact = 0, wrong = 0;
    for (let i = 0; i < N / P; i++) {
      for (let r = 0; r < P; r++) {
        const v = got[i * P + r];
        if (v === ((BigInt(P) * msgs[r][i * P]) & mask) && v >> BigInt(k) === (msgs[r][i * P] & low)) exact++;
        else wrong++;
      }
    }
    return { P, ell, level, chainBits: treeChain(ell), plainBits: tb, galoisElements: elts, keySwitches: switches, msPerKeySwitch: +(ms / switches).toFixed(2), galoisKeysBytes, bytesPerKey: Math.round(galoisKeysBytes / 25), budgetBitsLeft: budget, exact, wrong };
  } finally {
    for (const x of live.reverse()) x.delete();
  }
}
