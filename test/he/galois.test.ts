// Galois keys for packed results (galois.ts, keys.ts): the setup message of a packed context is
// predicted exactly, the server's keys apply the tree's automorphisms exactly at level 0 with
// noise within the key-switch bound (noise.ts), a merge tree on real ciphertexts is exact with
// noise within the tree's bound, and a bad key frame gets a clear error. Larger trees
// (P = 16 at ell = 32 and 37) behind CIPHERPRUNE_SLOW.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Ciphertext, Plaintext } from 'node-seal';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { HeContext, heSetupClient, heSetupServer, heSetupCost, heRecvPublicKey, heServerSession, type HeClientSession, type HeServerSession } from '../../src/crypto/he/index.ts';
import { galoisElements, galoisFrameBytes, GALOIS_KEY_BYTES, keyWireBytes, loadGaloisFrame } from '../../src/crypto/he/galois.ts';
import { keySwitchNoise, treeNoise } from '../../src/crypto/he/noise.ts';
import { PT_COUNT_OFFSET, PT_DATA_OFFSET, sealLive } from '../../src/crypto/he/seal.ts';

const N = 8192;

interface Packed {
  ctx: HeContext;
  cs: HeClientSession;
  ss: HeServerSession;
  close(): void;
}

async function packedPair(ell: number): Promise<Packed & { c: MemoryChannel; s: MemoryChannel }> {
  const ctx = await HeContext.create({ ell, packed: true });
  const [c, s] = MemoryChannel.pair();
  const [cs, ss] = await Promise.all([heSetupClient(c, ctx), heSetupServer(s, ctx)]);
  return { ctx, c, s, cs, ss, close: () => (cs.delete(), ss.delete(), ctx.delete()) };
}

/** A plaintext with these coefficients (u64, < t'). */
function plainOf(ctx: HeContext, coeffs: BigUint64Array): Plaintext {
  const tpl = new ctx.seal.Plaintext(N);
  const buf = (tpl.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array).slice();
  tpl.delete();
  new BigUint64Array(buf.buffer, PT_DATA_OFFSET, N).set(coeffs);
  const pt = new ctx.seal.Plaintext();
  pt.loadFromArray(ctx.context, buf);
  return pt;
}

/** Decrypt to raw u64 coefficients mod t', and the worst noise log2|e| from SEAL's invariant budget. */
function open(p: Packed, ct: Ciphertext): { m: BigUint64Array; noise: number } {
  const pt = new p.ctx.seal.Plaintext();
  try {
    p.cs.decryptor.decrypt(ct, pt);
    const bytes = pt.saveToArray(p.ctx.seal.ComprModeType.none) as Uint8Array;
    const count = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(PT_COUNT_OFFSET, true));
    const al = new Uint8Array(8 * N);
    al.set(bytes.subarray(PT_DATA_OFFSET, PT_DATA_OFFSET + 8 * count));
    // budget = floor(log2(q / (2 t' |e|))) with q the level-0 modulus (three data primes).
    const logQ = p.ctx.primes.reduce((a, q) => a + Math.log2(Number(q)), 0);
    const noise = logQ - 1 - p.ctx.plainBits - p.cs.decryptor.invariantNoiseBudget(ct);
    return { m: new BigUint64Array(al.buffer), noise };
  } finally {
    pt.delete();
  }
}

function randomMessages(p: Packed, count: number, seed: number): BigUint64Array[] {
  const prg = Prg.fromInt(seed);
  const mask = (1n << BigInt(p.ctx.plainBits)) - 1n;
  return Array.from({ length: count }, () => {
    const m = new BigUint64Array(N);
    prg.fill(new Uint8Array(m.buffer));
    for (let i = 0; i < N; i++) m[i] &= mask;
    return m;
  });
}

function encrypt(p: Packed, m: BigUint64Array): Ciphertext {
  const pt = plainOf(p.ctx, m);
  const ct = new p.ctx.seal.Ciphertext();
  try {
    p.cs.encryptor.encryptSymmetric(pt, ct);
  } finally {
    pt.delete();
  }
  return ct;
}

/** The merge tree (Chen, Dai, Kim, Song 2021, Alg. 2) on the server's keys, at level 0: consumes `cts`. */
function mergeTree(p: Packed, cts: Ciphertext[]): { ct: Ciphertext; ms: number[] } {
  const { seal, evaluator: ev } = p.ctx;
  const elts = galoisElements(cts.length);
  const ms: number[] = [];
  let cur = cts;
  for (let level = 0, s = cts.length / 2; s >= 1; s /= 2, level++) {
    const mono = new BigUint64Array(N);
    mono[s] = 1n;
    const ys = plainOf(p.ctx, mono);
    const next: Ciphertext[] = [];
    const half = cur.length / 2;
    for (let j = 0; j < half; j++) {
      const [a, b] = [cur[j], cur[j + half]];
      const yb = new seal.Ciphertext(), diff = new seal.Ciphertext(), rot = new seal.Ciphertext();
      ev.multiplyPlain(b, ys, yb);
      ev.sub(a, yb, diff);
      ev.addInplace(a, yb);
      const t0 = performance.now();
      ev.applyGalois(diff, elts[level], p.ss.galois!, rot);
      ms.push(performance.now() - t0);
      ev.addInplace(a, rot);
      for (const x of [yb, diff, rot, b]) x.delete();
      next.push(a);
    }
    ys.delete();
    cur = next;
  }
  return { ct: cur[0], ms };
}

/** Check a merged result: coefficient iP + r is P * input_r[iP] mod t'; return the noise. */
function checkMerged(p: Packed, inputs: BigUint64Array[], ct: Ciphertext): number {
  const P = inputs.length;
  const { m, noise } = open(p, ct);
  const mask = (1n << BigInt(p.ctx.plainBits)) - 1n;
  let wrong = 0;
  for (let i = 0; i < N / P; i++) for (let r = 0; r < P; r++) if (m[i * P + r] !== ((BigInt(P) * inputs[r][i * P]) & mask)) wrong++;
  expect(wrong).toBe(0);
  return noise;
}

describe('Galois keys for packed results', () => {
  let p: Packed & { c: MemoryChannel; s: MemoryChannel };
  beforeAll(async () => {
    p = await packedPair(32);
  }, 120_000);
  afterAll(() => p?.close());

  it('the setup message is the public key and log2 P keys, one message, predicted exactly', () => {
    const cost = heSetupCost({ ell: 32, packed: true });
    expect(galoisElements(16)).toEqual([1025, 2049, 4097, 8193]);
    expect(GALOIS_KEY_BYTES).toBe(3 * 262_338); // as SEAL writes them (the worker threads' frame)
    // On the wire every residue in its prime's bits (key-wire.test.ts): 219,330 B per key-level object.
    expect(cost.bytesUp).toBe(keyWireBytes(32) + 4 * 3 * keyWireBytes(32));
    expect(cost.bytesUp).toBe(2_851_290);
    expect(heSetupCost({ ell: 32, packed: false }).bytesUp).toBe(219_330);
    expect(p.c.totals.bytesSent).toBe(cost.bytesUp);
    expect(p.s.totals.bytesRecv).toBe(cost.bytesUp);
    expect(p.c.totals.messagesSent).toBe(1);
    expect(p.s.totals.bytesSent).toBe(0);
    for (const g of galoisElements(16)) expect(p.ss.galois!.hasKey(g)).toBe(true);
    expect(p.ss.galois!.hasKey(3)).toBe(false);
  });

  it('encodeInto reduces mod t\' = 2^36 in a packed context: hi words carry bits 32..35 (a centred -1 is 2^36 - 1)', () => {
    const pt = new p.ctx.seal.Plaintext();
    const ct = new p.ctx.seal.Ciphertext();
    try {
      p.ctx.encodeInto(pt, (lo) => {
        lo[0] = 0xffffffff;
        lo[1] = 0xff; // masked to 4 bits
        lo[2] = 7;
      });
      p.cs.encryptor.encryptSymmetric(pt, ct);
      const { m } = open(p, ct);
      expect([m[0], m[1], m[2]]).toEqual([2n ** 36n - 1n, 7n, 0n]);
    } finally {
      pt.delete();
      ct.delete();
    }
  });

  it('each key applies its automorphism exactly at level 0, noise within the key-switch bound', () => {
    const [m] = randomMessages(p, 1, 3);
    const ct = encrypt(p, m);
    const out = new p.ctx.seal.Ciphertext();
    const tMod = 1n << BigInt(p.ctx.plainBits);
    const ks = Math.log2(keySwitchNoise(p.ctx) + 22);
    try {
      for (const g of galoisElements(16)) {
        p.ctx.evaluator.applyGalois(ct, g, p.ss.galois!, out);
        const { m: got, noise } = open(p, out);
        let wrong = 0;
        for (let i = 0; i < N; i++) {
          const j = (i * g) % (2 * N);
          const want = j < N ? m[i] : (tMod - m[i]) % tMod;
          if (got[j % N] !== want) wrong++;
        }
        expect(wrong, `g = ${g}`).toBe(0);
        expect(noise, `g = ${g}`).toBeLessThanOrEqual(ks + 1); // the budget is an integer
      }
    } finally {
      ct.delete();
      out.delete();
    }
  });

  it('a merge tree of 4 fresh ciphertexts is exact, noise within the tree bound', () => {
    const inputs = randomMessages(p, 4, 5);
    const { ct } = mergeTree(p, inputs.map((m) => encrypt(p, m)));
    try {
      const noise = checkMerged(p, inputs, ct);
      expect(noise).toBeLessThanOrEqual(Math.log2(treeNoise(22, { P: 4, ks: keySwitchNoise(p.ctx) }, 4)) + 1);
    } finally {
      ct.delete();
    }
  });

  it('worker path: the public key and the frame as exported load on the same context', () => {
    const frame = p.ss.exportGaloisKeys()!;
    expect(frame.byteLength).toBe(galoisFrameBytes(16));
    const w = heServerSession(p.ctx, p.ss.exportPublicKey(), frame);
    try {
      expect(w.galois!.hasKey(8193)).toBe(true);
    } finally {
      w.delete();
    }
  });

  it('a truncated, garbage or foreign key frame gets a clear error and frees what it made', async () => {
    const frame = p.ss.exportGaloisKeys()!;
    const sessions = sealLive.sessions;
    // Truncated message: refused before any SEAL object exists.
    const [c, s] = MemoryChannel.pair();
    c.send(new Uint8Array(heSetupCost({ packed: true }).bytesUp - 1));
    await expect(heRecvPublicKey(s, { packed: true })).rejects.toThrow(/key message has 2851289 bytes, expected 2851290/);
    expect(() => loadGaloisFrame(p.ctx, frame.subarray(1))).toThrow(/Galois key frame has 3148055 bytes, expected 3148056/);
    const garbage = new Uint8Array(frame.byteLength).fill(0xa5);
    expect(() => loadGaloisFrame(p.ctx, garbage)).toThrow(/malformed Galois keys/);
    // A frame whose residues are out of range (one coefficient set to 2^64 - 1).
    const bad = frame.slice();
    bad.fill(0xff, GALOIS_KEY_BYTES + 200, GALOIS_KEY_BYTES + 208);
    expect(() => loadGaloisFrame(p.ctx, bad)).toThrow(/malformed Galois keys/);
    // Keys made for another context (ell = 37): its parms_id differs.
    const other = await HeContext.create({ ell: 37, packed: true });
    try {
      expect(() => loadGaloisFrame(other, frame)).toThrow(/malformed Galois keys/);
      // A public key of another chain: SEAL refuses its parms_id (worker path, SEAL's bytes).
      expect(() => heServerSession(other, p.ss.exportPublicKey(), frame)).toThrow(/malformed public key/);
      expect(() => heServerSession(p.ctx, p.ss.exportPublicKey(), null)).toThrow(/needs Galois keys/);
    } finally {
      other.delete();
    }
    expect(sealLive.sessions).toBe(sessions);
  }, 60_000);

  it.runIf(process.env.CIPHERPRUNE_SLOW === '1')('a merge tree of 16 at ell = 32 and 37 is exact, noise within the bound', async () => {
    for (const ell of [32, 37]) {
      const q = ell === 32 ? p : await packedPair(ell);
      try {
        const inputs = randomMessages(q, 16, ell);
        const { ct, ms } = mergeTree(q, inputs.map((m) => encrypt(q, m)));
        const noise = checkMerged(q, inputs, ct);
        const bound = Math.log2(treeNoise(22, { P: 16, ks: keySwitchNoise(q.ctx) }, 16));
        console.log(`ell = ${ell}: tree of 16 noise 2^${noise.toFixed(1)} <= 2^${bound.toFixed(1)}; applyGalois ${ms.map((x) => x.toFixed(1)).join(' ')} ms`);
        expect(noise).toBeLessThanOrEqual(bound + 1);
        ct.delete();
      } finally {
        if (q !== p) q.close();
      }
    }
  }, 300_000);
});
