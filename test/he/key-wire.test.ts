// The HE setup message with every key residue in its prime's bits (galois.ts packKey / unpackKey,
// docs/he.md "What the setup sends"): heSetupCost predicts it exactly on real SEAL (ℓ = 32 and 37
// chains, packed at two depths and unpacked), the keys the server rebuilds work (products open to
// the twin, which needs both the public key's re-randomisation and the Galois keys' merges), the
// round trip gives SEAL's bytes back, and a short, long or out-of-range message is refused clearly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { HeContext, heMatmulClient, heMatmulCost, heMatmulServer, heServerSession, heSetupClient, heSetupCost, PUBLIC_KEY_BYTES, type HeClientSession } from '../../src/crypto/he/index.ts';
import { GALOIS_KEY_BYTES, keyWireBytes, galoisWireBytes, packKey, unpackKey } from '../../src/crypto/he/galois.ts';
import { CT_DATA_OFFSET, POLY_DEGREE as N, chainFor, sealLive } from '../../src/crypto/he/seal.ts';
import { twin, firstMismatch, expectCounted, sessionPair, type Pair } from './helpers.ts';

describe('HE setup keys at their primes\' bits', () => {
  it('heSetupCost: 214 bits per key coefficient at ℓ = 32, 218 at ℓ = 37 (SEAL: 256)', () => {
    // Seeded key-level object: SEAL header 113 B + seed 81 B + c0 (4 residues per coefficient).
    expect(keyWireBytes(32)).toBe(194 + (N * (60 + 54 + 40 + 60)) / 8); // 219,330
    expect(keyWireBytes(37)).toBe(194 + (N * (60 + 59 + 45 + 54)) / 8); // 223,426
    expect(PUBLIC_KEY_BYTES).toBe(194 + N * 4 * 8); // 262,338 as SEAL writes it
    expect(heSetupCost({ ell: 32, packed: false }).bytesUp).toBe(219_330);
    expect(heSetupCost({ ell: 37, packed: false }).bytesUp).toBe(223_426);
    for (const [ell, d] of [[32, 4], [32, 3], [37, 1]] as const) {
      expect(galoisWireBytes(2 ** d, ell)).toBe(d * 3 * keyWireBytes(ell));
      expect(heSetupCost({ ell, packed: true, galoisDepth: d }).bytesUp).toBe((1 + 3 * d) * keyWireBytes(ell));
    }
    expect(heSetupCost({ ell: 32, packed: true }).bytesUp).toBe(2_851_290); // SEAL's bytes: 3,410,394
    expect(GALOIS_KEY_BYTES).toBe(3 * PUBLIC_KEY_BYTES);
  });

  const pairs = new Map<string, Pair>();
  const cases = [['37 depth 1', 37, { packed: true, galoisDepth: 1 }, 2], ['37 unpacked', 37, { packed: false }, 1], ['32 depth 3', 32, { packed: true, galoisDepth: 3 }, 8]] as const;
  beforeAll(async () => {
    for (const [name, ell, params] of cases) pairs.set(name, await sessionPair(ell, params));
  }, 180_000);
  afterAll(() => {
    for (const p of pairs.values()) p.close();
  });

  it('real SEAL: the setup message is as predicted, and the rebuilt keys give products equal to the twin', async () => {
    for (const [name, , , wantP] of cases) {
      const { ctx, c, s, cs, ss } = pairs.get(name)!;
      expect(c.totals.bytesSent, name).toBe(heSetupCost(ctx.params).bytesUp);
      expect(s.totals.bytesRecv, name).toBe(heSetupCost(ctx.params).bytesUp);
      expect(c.totals.messagesSent, name).toBe(1);
      const [n, k, m] = [6, 64, 96];
      const [pc, ps] = MemoryChannel.pair();
      const Xc = ctx.ring.random(n * k, Prg.fromInt(11)), Xs = ctx.ring.random(n * k, Prg.fromInt(12)), W = ctx.ring.random(k * m, Prg.fromInt(13));
      const [yc, ys] = await Promise.all([heMatmulClient(pc, cs, Xc, n, k, m), heMatmulServer(ps, ss, Xs, W, n, k, m, { prg: Prg.fromInt(14) })]);
      const cost = heMatmulCost(n, k, m, ctx.params);
      expect(cost.blocking.P ?? 1, name).toBe(wantP); // merged products use the rebuilt Galois keys
      expect(firstMismatch(ctx.ring, yc, ys, twin(ctx.ring, ctx.ring.add(Xc, Xs), W, 1, n, k, m)), name).toBe(-1);
      expectCounted(cost, pc, ps);
    }
  }, 180_000);

  /** The setup message a fresh client sends on `ctx` (and its session, to delete). */
  async function setupMessage(ctx: HeContext): Promise<{ msg: Uint8Array; cs: HeClientSession }> {
    const [c, s] = MemoryChannel.pair();
    const cs = await heSetupClient(c, ctx);
    return { msg: await s.recv(), cs };
  }

  it('round trip: unpackKey(packKey(SEAL bytes)) is SEAL\'s bytes; a residue ≥ 2^bits cannot be packed', async () => {
    const { ctx } = pairs.get('37 unpacked')!;
    const { msg, cs } = await setupMessage(ctx);
    try {
      const ser = unpackKey(msg, 37, 'public key');
      expect(ser.byteLength).toBe(PUBLIC_KEY_BYTES);
      expect(packKey(ser, 37)).toEqual(msg);
      const big = ser.slice();
      big[CT_DATA_OFFSET + 7] = 0x80; // coefficient 0 mod p0 (60 bits) set to ≥ 2^63
      expect(() => packKey(big, 37)).toThrow(/residue above 2\^60/);
    } finally {
      cs.delete();
    }
  });

  it('a short, long or out-of-range setup message is refused clearly, every SEAL object freed', async () => {
    const { ctx } = pairs.get('32 depth 3')!;
    const { msg, cs } = await setupMessage(ctx);
    const sessions = sealLive.sessions;
    const w = keyWireBytes(32), chain = chainFor(32), primes = [...chain.primes, chain.specialPrime];
    /** The message with residue (prime i, coefficient j) of wire object `obj` (0: the public key) set to `v` (< 2^bits). */
    const withResidue = (obj: number, i: number, j: number, v: bigint): Uint8Array => {
      const ser = unpackKey(msg.subarray(obj * w, (obj + 1) * w), 32, 'test');
      new DataView(ser.buffer).setBigUint64(CT_DATA_OFFSET + 8 * (i * N + j), v, true);
      const out = msg.slice();
      out.set(packKey(ser, 32), obj * w);
      return out;
    };
    try {
      const good = heServerSession(ctx, msg);
      expect(good.galois!.hasKey(8193)).toBe(true);
      good.delete();
      expect(() => heServerSession(ctx, msg.subarray(1))).toThrow(/key message has 2193299 bytes, expected 2193300/);
      const long = new Uint8Array(msg.byteLength + 1);
      long.set(msg);
      expect(() => heServerSession(ctx, long)).toThrow(/key message has 2193301 bytes, expected 2193300/);
      // Each residue equal to its prime (it fits the prime's bits): public key, a Galois key's special prime.
      expect(() => heServerSession(ctx, withResidue(0, 0, 5, primes[0]))).toThrow(/HE setup: public key: coefficient 5 mod prime 0 \(1152921504606748673\) is out of range/);
      expect(() => heServerSession(ctx, withResidue(0, 2, 0, primes[2] + 7n))).toThrow(/public key: coefficient 0 mod prime 2 .* out of range/);
      expect(() => heServerSession(ctx, withResidue(5, 3, N - 1, primes[3]))).toThrow(/Galois key 1 component 1: coefficient 8191 mod prime 3 \(1152921504606830593\) is out of range/);
      // Just below the prime is a valid residue: the message loads (a different key, not a refusal).
      const edge = heServerSession(ctx, withResidue(9, 1, 3, primes[1] - 1n));
      edge.delete();
      // Garbage of the right length: refused at the first residue.
      expect(() => heServerSession(ctx, new Uint8Array(msg.byteLength).fill(0xff))).toThrow(/public key: coefficient 0 mod prime 0 .* out of range/);
      expect(sealLive.sessions).toBe(sessions);
    } finally {
      cs.delete();
    }
  }, 60_000);
});
