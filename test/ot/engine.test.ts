// Reveal-and-check for every OT flavour: after the OTs the sender reveals its messages / Δ over
// the channel and the receiver checks the correlation. Both directions; batch sizes 0, 1, 127,
// 128, 129, and 2^20 for every flavour at one message length (1-of-256 at 2^20 only with
// CIPHERPRUNE_SLOW=1). The same suite runs over each correlated-OT backend: IKNP; Ferret with
// toy LPN parameters (many refills, setup and main iterations: 2^20 for COT in the default suite,
// for every flavour with CIPHERPRUNE_SLOW=1); Ferret with the paper's parameters from the first
// COT (sizes up to 129 in a bootstrapped setup iteration; 2^20, which runs main iterations, only
// with CIPHERPRUNE_SLOW=1).
import { beforeAll, describe, expect, it } from 'vitest';
import type { MemoryChannel } from '../../src/transport/channel.ts';
import type { OtEngine } from '../../src/crypto/ot/engine.ts';
import { msgBytes, xorInto } from '../../src/crypto/ot/bits.ts';
import { DEFAULT_SCHEDULE } from '../../src/crypto/ot/ferret/schedule.ts';
import { choiceBits, enginePair, FERRET_TOY, firstDiff, IKNP, randomMsgs, reveal, type TestBackend } from './helpers.ts';

const SLOW = !!process.env.CIPHERPRUNE_SLOW;
const BITS = [1, 8, 37, 128, 300];
const BIG = 1 << 20;
/** `big`: 2^20 for every flavour; `bigCot`: 2^20 for correlated OT. */
const backends: { name: string; backend: TestBackend; big: boolean; bigCot: boolean }[] = [
  { name: 'IKNP', backend: IKNP, big: true, bigCot: true },
  { name: 'Ferret (toy parameters)', backend: FERRET_TOY, big: SLOW, bigCot: true },
  { name: 'Ferret (paper parameters)', backend: { kind: 'ferret', schedule: { ...DEFAULT_SCHEDULE, iknpUpTo: 0 } }, big: SLOW, bigCot: SLOW },
];

// 2^20 with the paper's parameters runs main iterations (both parties in one thread): slow.
describe.each(backends)('$name', { timeout: SLOW ? 900_000 : 60_000 }, ({ backend, big, bigCot }) => {
  const SIZES = [0, 1, 127, 128, 129];
  const BIGS = big ? [BIG] : [];

  let E: { client: OtEngine; server: OtEngine; cc: MemoryChannel; sc: MemoryChannel };
  beforeAll(async () => {
    E = await enginePair(undefined, 7, backend);
  }, 120_000);

  type Dir = { name: string; S: OtEngine; R: OtEngine; sCh: MemoryChannel; rCh: MemoryChannel };
  const dirs = (): Dir[] => [
    { name: 'client→server', S: E.client, R: E.server, sCh: E.cc, rCh: E.sc },
    { name: 'server→client', S: E.server, R: E.client, sCh: E.sc, rCh: E.cc },
  ];

  /** Expected receiver output of a 1-of-2 OT: m_b per OT. */
  function select(m0: Uint8Array, m1: Uint8Array, b: Uint8Array, s: number): Uint8Array {
    const out = new Uint8Array(b.length * s);
    for (let i = 0; i < b.length; i++) out.set((b[i] ? m1 : m0).subarray(i * s, (i + 1) * s), i * s);
    return out;
  }

  describe('correlated OT (global Δ)', () => {
    it.each([...SIZES, ...(bigCot ? [BIG] : [])])('cot n=%i, both directions: t_i = q_i ⊕ b_i·Δ', async (n) => {
      for (const d of dirs()) {
        const b = choiceBits(n, n + 1);
        const [q, t] = await Promise.all([d.S.cotSend(n), d.R.cotRecv(b)]);
        expect(q.length).toBe(16 * n);
        const delta = await reveal(d.sCh, d.rCh, d.S.delta);
        const qRevealed = await reveal(d.sCh, d.rCh, q);
        expect(delta.some((x) => x !== 0)).toBe(true);
        const expected = qRevealed.slice();
        for (let i = 0; i < n; i++) if (b[i]) xorInto(expected.subarray(16 * i, 16 * i + 16), delta);
        expect(firstDiff(t, expected), d.name).toBe(-1);
      }
    });

    it.each([0, 1, 129, ...BIGS])('random-choice cot n=%i: balanced choices and the same correlation', async (n) => {
      for (const d of dirs()) {
        const [q, r] = await Promise.all([d.S.rcotSend(n), d.R.rcotRecv(n)]);
        const delta = await reveal(d.sCh, d.rCh, d.S.delta);
        const expected = q.slice();
        for (let i = 0; i < n; i++) if (r.choices[i]) xorInto(expected.subarray(16 * i, 16 * i + 16), delta);
        expect(firstDiff(r.blocks, expected), d.name).toBe(-1);
        if (n === BIG) {
          const ones = r.choices.reduce((a, x) => a + x, 0);
          expect(Math.abs(ones - n / 2)).toBeLessThan(5000);
        }
      }
    });

    it('a wrong Δ is detected (the check can fail)', async () => {
      const d = dirs()[0];
      const b = choiceBits(64, 3);
      const [q, t] = await Promise.all([d.S.cotSend(64), d.R.cotRecv(b)]);
      const wrong = d.S.delta.slice();
      wrong[5] ^= 1;
      const expected = q.slice();
      for (let i = 0; i < 64; i++) if (b[i]) xorInto(expected.subarray(16 * i, 16 * i + 16), wrong);
      expect(firstDiff(t, expected)).toBeGreaterThanOrEqual(0);
    });
  });

  describe('random OT', () => {
    const cases = [...SIZES.flatMap((n) => BITS.map((bits) => [n, bits])), ...BIGS.map((n) => [n, 128])];
    it.each(cases)('rot n=%i bits=%i, both directions', async (n, bits) => {
      const s = msgBytes(bits);
      for (const d of dirs()) {
        const b = choiceBits(n, 2 * n + bits);
        const [{ m0, m1 }, got] = await Promise.all([d.S.rotSend(n, bits), d.R.rotRecv(b, bits)]);
        const r0 = await reveal(d.sCh, d.rCh, m0), r1 = await reveal(d.sCh, d.rCh, m1);
        expect(firstDiff(got, select(r0, r1, b, s)), d.name).toBe(-1);
        if (n >= 127 && bits >= 8) expect(firstDiff(r0, r1)).toBeGreaterThanOrEqual(0);
        if (bits % 8) for (let i = 0; i < n; i++) expect(got[i * s + s - 1] >> (bits % 8)).toBe(0);
      }
    });
  });

  describe('chosen-message OT', () => {
    const cases = [...SIZES.flatMap((n) => BITS.map((bits) => [n, bits])), ...BIGS.map((n) => [n, 128])];
    it.each(cases)('ot n=%i bits=%i, both directions', async (n, bits) => {
      const s = msgBytes(bits);
      for (const d of dirs()) {
        const m0 = randomMsgs(n, bits, 10 + n), m1 = randomMsgs(n, bits, 20 + n);
        const b = choiceBits(n, 3 * n + bits);
        const [, got] = await Promise.all([d.S.otSend(m0, m1, bits), d.R.otRecv(b, bits)]);
        const r0 = await reveal(d.sCh, d.rCh, m0), r1 = await reveal(d.sCh, d.rCh, m1);
        expect(firstDiff(got, select(r0, r1, b, s)), d.name).toBe(-1);
      }
    });
  });

  describe('correlated OT with a correlation function', () => {
    it.each([...SIZES.flatMap((n) => BITS.map((bits) => [n, bits])), ...BIGS.map((n) => [n, 37])])('fcot n=%i bits=%i: receiver gets b ? f(x) : x', async (n, bits) => {
      const s = msgBytes(bits);
      const key = randomMsgs(n, bits, 99);
      // f(x)_i = x_i ⊕ key_i: an XOR correlation chosen per OT.
      const f = (x: Uint8Array, from: number) => xorInto(x.slice(), key.subarray(from * s, from * s + x.length));
      for (const d of dirs()) {
        const b = choiceBits(n, 5 * n + bits);
        const [x, got] = await Promise.all([d.S.fcotSend(n, bits, f), d.R.fcotRecv(b, bits)]);
        const rx = await reveal(d.sCh, d.rCh, x);
        expect(firstDiff(got, select(rx, f(rx, 0), b, s)), d.name).toBe(-1);
      }
    });

    const ELLS = [1, 8, 32, 37, 64];
    it.each([...SIZES.flatMap((n) => ELLS.map((ell) => [n, ell])), ...BIGS.flatMap((n) => [[n, 37], [n, 32]])])('acot n=%i ell=%i: receiver gets x + b·c mod 2^ell', async (n, ell) => {
      for (const d of dirs()) {
        const b = choiceBits(n, 7 * n + ell);
        const raw = randomMsgs(n, 64, 40 + ell).slice(); // own buffer, offset 0
        const c = ell > 32 ? new BigUint64Array(raw.buffer).map((v) => BigInt.asUintN(ell, v)) : new Uint32Array(raw.buffer, 0, n).map((v) => (ell === 32 ? v : v & ((1 << ell) - 1)));
        const [x, got] = await Promise.all([d.S.acotSend(ell, c), d.R.acotRecv(ell, b)]);
        expect(x.length).toBe(n);
        const rx = await reveal(d.sCh, d.rCh, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
        const mod = 1n << BigInt(ell);
        const xs = ell > 32 ? new BigUint64Array(rx.buffer, rx.byteOffset, n) : new Uint32Array(rx.buffer, rx.byteOffset, n);
        let bad = -1;
        for (let i = 0; i < n && bad < 0; i++) {
          const xi = BigInt(xs[i]);
          const want = (xi + (b[i] ? BigInt(c[i]) : 0n)) % mod;
          if (xi >= mod || BigInt(got[i]) !== want) bad = i;
        }
        expect(bad, d.name).toBe(-1);
      }
    });
  });

  describe('1-out-of-N OT', () => {
    const NS = [2, 4, 16, 256];
    const cases = [...SIZES.flatMap((n) => NS.flatMap((N) => BITS.map((bits) => [n, N, bits]))), ...BIGS.map((n) => [n, 16, 8])];
    if (SLOW && big) cases.push([BIG, 256, 1], [BIG, 4, 300]);
    it.each(cases)('otN n=%i N=%i bits=%i, both directions', async (n, N, bits) => {
      const s = msgBytes(bits);
      for (const d of dirs()) {
        const msgs = randomMsgs(n * N, bits, 1000 + N + bits);
        const c = new Uint8Array(n).map((_, i) => (i * 37 + 11 * N + bits) % N);
        const [, got] = await Promise.all([d.S.otNSend(msgs, N, bits), d.R.otNRecv(c, N, bits)]);
        const rm = await reveal(d.sCh, d.rCh, msgs);
        const expected = new Uint8Array(n * s);
        for (let i = 0; i < n; i++) expected.set(rm.subarray((i * N + c[i]) * s, (i * N + c[i] + 1) * s), i * s);
        expect(firstDiff(got, expected), d.name).toBe(-1);
      }
    });
  });
});
