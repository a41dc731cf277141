// Ferret's parts on their own: the paper's parameters, GGM trees (punctured expansion gives every
// leaf but one), the LPN map (linear, deterministic, columns of weight d), one iteration over a
// channel (reveal-and-check: t_i = q_i ⊕ r_i·Δ, and the receiver's bit is lsb(t_i)), and the
// refill schedule (what runs when, and its exact messages).
import { SOFTSPOKEN_K } from '../../src/crypto/ot/softspoken.ts';
import { describe, expect, it } from 'vitest';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { Tccr } from '../../src/crypto/ot/aes.ts';
import { words } from '../../src/crypto/ot/bits.ts';
import { Ggm, sumAt } from '../../src/crypto/ot/ggm.ts';
import { lpnEncode } from '../../src/crypto/ot/ferret/lpn.ts';
import { checkParams, consumedBy, FERRET_MAIN, FERRET_SETUP, iterationBytes, type LpnParams } from '../../src/crypto/ot/ferret/params.ts';
import { ferretDomain, iterateReceiver, iterateSender } from '../../src/crypto/ot/ferret/extend.ts';
import { DEFAULT_SCHEDULE, PoolState, refillMessages } from '../../src/crypto/ot/ferret/schedule.ts';
import { FerretReplay } from '../../src/crypto/ot/ferret/cot.ts';
import { BlockPool } from '../../src/crypto/ot/ferret/pool.ts';
import { TOY_SCHEDULE } from './helpers.ts';

describe('parameters', () => {
  it('the paper’s sets are consistent: n = t·2^h, the setup set feeds one main iteration', () => {
    for (const p of [FERRET_SETUP, FERRET_MAIN]) expect(() => checkParams(p)).not.toThrow();
    expect(consumedBy(FERRET_MAIN)).toBe(606_907);
    expect(FERRET_SETUP.n).toBeGreaterThanOrEqual(consumedBy(FERRET_MAIN));
    // Steady state: one main iteration's bytes over the COTs it adds to the pool.
    const b = iterationBytes(FERRET_MAIN);
    const bits = (8 * (b.receiverToSender + b.senderToReceiver)) / (FERRET_MAIN.n - consumedBy(FERRET_MAIN));
    expect(bits).toBeGreaterThan(0.44);
    expect(bits).toBeLessThan(0.46);
    expect(() => checkParams({ ...FERRET_MAIN, n: FERRET_MAIN.n + 1 })).toThrow(/bad LPN parameters/);
  });
});

describe('GGM trees', () => {
  it('the punctured expansion rebuilds every leaf but α from the level sums on the other side', () => {
    const ggm = new Ggm(), t = 5, h = 6, prg = Prg.fromInt(3);
    const leaves = new Uint32Array(4 * t * 2 ** h);
    const sums = ggm.expand(prg.bytes(16 * t), t, h, leaves);
    // level sums are the XOR of each side's nodes; leaves have lsb 0
    for (let i = 0; i < t; i++) {
      const acc = new Uint32Array(8);
      for (let j = 0; j < 2 ** h; j++) for (let w = 0; w < 4; w++) acc[4 * (j & 1) + w] ^= leaves[4 * (i * 2 ** h + j) + w];
      expect(Array.from(acc)).toEqual(Array.from(sums.subarray(sumAt(t, h, i, 0), sumAt(t, h, i, 0) + 8)));
    }
    for (let j = 0; j < leaves.length; j += 4) expect(leaves[j] & 1).toBe(0);
    const alpha = Uint32Array.from([0, 63, 17, 32, 1]);
    const known = (l: number, i: number) => {
      const side = 1 - ((alpha[i] >>> (h - l)) & 1), s = sumAt(t, l, i, side);
      return sums.slice(s, s + 4);
    };
    const got = new Uint32Array(4 * t * 2 ** h).fill(7);
    const p = { leaves: got, others: ggm.expandPunctured(t, h, alpha, known, got) };
    for (let i = 0; i < t; i++) {
      const others = new Uint32Array(4);
      for (let j = 0; j < 2 ** h; j++) {
        const o = 4 * (i * 2 ** h + j);
        if (j === alpha[i]) {
          expect(Array.from(p.leaves.subarray(o, o + 4))).toEqual([0, 0, 0, 0]);
          continue;
        }
        expect(Array.from(p.leaves.subarray(o, o + 4)), `tree ${i} leaf ${j}`).toEqual(Array.from(leaves.subarray(o, o + 4)));
        for (let w = 0; w < 4; w++) others[w] ^= leaves[o + w];
      }
      expect(Array.from(p.others.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(others));
    }
  });

  it('a wrong level sum gives wrong leaves (the check can fail)', () => {
    const ggm = new Ggm(), t = 1, h = 4;
    const leaves = new Uint32Array(4 * 16), got = new Uint32Array(4 * 16);
    const sums = ggm.expand(Prg.fromInt(4).bytes(16), t, h, leaves);
    const alpha = Uint32Array.from([5]);
    ggm.expandPunctured(t, h, alpha, (l, i) => {
      const s = sumAt(t, l, i, 1 - ((alpha[i] >>> (h - l)) & 1));
      const k = sums.slice(s, s + 4);
      if (l === 2) k[1] ^= 1;
      return k;
    }, got);
    let same = 0;
    for (let j = 0; j < 16; j++) if (j !== 5 && got[4 * j + 1] === leaves[4 * j + 1]) same++;
    expect(same).toBeLessThan(15);
  });
});

describe('LPN map', () => {
  const P: LpnParams = { name: 'toy', n: 4096, k: 300, t: 16, h: 8, d: 10 };
  it('is linear in the secret, deterministic, and adds d secret blocks per output', () => {
    const x1 = words(Prg.fromInt(5).bytes(16 * P.k)), x2 = words(Prg.fromInt(6).bytes(16 * P.k));
    const enc = (x: Uint32Array) => {
      const y = new Uint32Array(4 * P.n);
      lpnEncode(P, x, y);
      return y;
    };
    const y1 = enc(x1), y2 = enc(x2), y12 = enc(x1.map((v, i) => v ^ x2[i]));
    expect(y12.every((v, i) => v === (y1[i] ^ y2[i]) >>> 0)).toBe(true);
    expect(enc(x1)).toEqual(y1);
    // The kept index table (small matrices) and the on-the-fly stream give the same map.
    const streamed = new Uint32Array(4 * P.n);
    lpnEncode(P, x1, streamed, { cache: false });
    expect(streamed).toEqual(y1);
    // With x = e_j (one secret block set to all ones), output i is all ones iff column i hits j an odd number of times.
    const hits = new Uint32Array(P.k);
    for (let j = 0; j < P.k; j += 37) {
      const e = new Uint32Array(4 * P.k);
      e.fill(0xffffffff, 4 * j, 4 * j + 4);
      const y = enc(e);
      for (let i = 0; i < P.n; i++) if (y[4 * i] === 0xffffffff) hits[j]++;
    }
    // Each column has d = 10 random rows of k = 300: row j is hit ≈ n·d/k ≈ 136 times.
    for (let j = 0; j < P.k; j += 37) {
      expect(hits[j]).toBeGreaterThan(80);
      expect(hits[j]).toBeLessThan(200);
    }
  });

  // The WebAssembly kernel (lpn-wasm.ts) against the JavaScript reference gather, on random
  // inputs: kept tables and streamed matrices, column weights 10 and 17, output counts that end
  // mid-slice, and the setup parameters (a kept table of 6.5 M entries).
  const cases: LpnParams[] = [
    P,
    { name: 'odd', n: 3 * 1024 + 17, k: 1013, t: 1, h: 1, d: 10 },
    { name: 'd17', n: 5000, k: 4097, t: 1, h: 1, d: 17 },
    FERRET_SETUP,
  ];
  for (const p of cases) {
    it(`the kernel and the reference give the same words (${p.name}: n ${p.n}, k ${p.k}, d ${p.d})`, () => {
      const prg = Prg.fromInt(p.n + p.d);
      const x = words(prg.bytes(16 * p.k).slice()), y = words(prg.bytes(16 * p.n).slice());
      for (const cache of [true, false]) {
        const ref = y.slice(), got = y.slice();
        lpnEncode(p, x, ref, { cache, impl: 'js' });
        lpnEncode(p, x, got, { cache, impl: 'wasm' });
        let diff = 0, moved = 0; // element-wise (toEqual is slow on millions of words)
        for (let i = 0; i < y.length; i++) {
          if (got[i] !== ref[i]) diff++;
          if (got[i] !== y[i]) moved++;
        }
        expect(diff).toBe(0);
        expect(moved).toBeGreaterThan(y.length / 2);
      }
    });
  }
});

async function iteration(P: LpnParams, seed: number) {
  const prg = Prg.fromInt(seed), M = consumedBy(P);
  const delta = prg.bytes(16).slice();
  delta[0] |= 1;
  // Input COTs with the backend's lsb convention: q has lsb 0, t = q ⊕ r·Δ has lsb r.
  const q = prg.bytes(16 * M).slice(), r = prg.bytes(M).map((b) => b & 1);
  for (let i = 0; i < M; i++) q[16 * i] &= 0xfe;
  const t = q.slice();
  for (let i = 0; i < M; i++) if (r[i]) for (let b = 0; b < 16; b++) t[16 * i + b] ^= delta[b];
  const [cc, sc] = MemoryChannel.pair();
  const ps = Prg.fromInt(seed + 1), pc = Prg.fromInt(seed + 2);
  const ctx = (ch: MemoryChannel, p: Prg) => ({ ch, hash: new Tccr(), ggm: new Ggm(), random: (n: number) => p.bytes(n), tweakBase: 0, domain: ferretDomain(true) });
  const qw = new Uint32Array(4 * P.n), tw = new Uint32Array(4 * P.n);
  await Promise.all([iterateSender(ctx(sc, ps), P, delta, q, qw), iterateReceiver(ctx(cc, pc), P, t, tw)]);
  const [qo, to] = [new Uint8Array(qw.buffer), new Uint8Array(tw.buffer)];
  return { qo, to, delta, bytes: { c2s: cc.totals.bytesSent, s2c: sc.totals.bytesSent } };
}

describe('one iteration (reveal-and-check)', () => {
  it('toy parameters: n correlated outputs, t_i = q_i ⊕ lsb(t_i)·Δ, balanced bits, exact bytes', async () => {
    const P: LpnParams = { name: 'toy', n: 8192, k: 500, t: 32, h: 8, d: 10 };
    const { qo, to, delta, bytes } = await iteration(P, 11);
    let bad = -1, ones = 0;
    for (let i = 0; i < P.n && bad < 0; i++) {
      const r = to[16 * i] & 1;
      ones += r;
      if (qo[16 * i] & 1) bad = i;
      for (let b = 0; b < 16; b++) if (to[16 * i + b] !== (qo[16 * i + b] ^ (r ? delta[b] : 0))) bad = i;
    }
    expect(bad).toBe(-1);
    expect(Math.abs(ones - P.n / 2)).toBeLessThan(400);
    expect(bytes).toEqual({ c2s: iterationBytes(P).receiverToSender, s2c: iterationBytes(P).senderToReceiver });
  });

  it('the paper’s setup parameters (n = 649,728)', { timeout: 60_000 }, async () => {
    const { qo, to, delta } = await iteration(FERRET_SETUP, 12);
    let bad = -1;
    for (let i = 0; i < FERRET_SETUP.n && bad < 0; i += 7) {
      const r = to[16 * i] & 1;
      for (let b = 0; b < 16; b++) if (to[16 * i + b] !== (qo[16 * i + b] ^ (r ? delta[b] : 0))) bad = i;
    }
    expect(bad).toBe(-1);
  });
});

describe('refill schedule', () => {
  it('the default schedule bootstraps at the first refill and runs main iterations from 2^22 COTs', () => {
    const s = new PoolState(DEFAULT_SCHEDULE);
    const steps = (n: number) => {
      const st = s.refill(n);
      s.take(n);
      return st.map((x) => (x.kind === 'softspoken' ? 'softspoken' : `${x.params.name} keep ${x.keep}`));
    };
    const S = consumedBy(FERRET_SETUP), usable = FERRET_SETUP.n - S;
    expect(steps(1000)).toEqual(['softspoken', `setup keep ${S}`]);
    expect(steps(2 * usable)).toEqual([`setup keep ${S}`, `setup keep ${S}`]);
    // a need that takes the direction past 2^22: the next setup iteration keeps the main input
    expect(steps(1 << 22)).toEqual([`setup keep ${consumedBy(FERRET_MAIN)}`, `main keep ${consumedBy(FERRET_MAIN)}`]);
  });

  it('SoftSpokenOT alone for a direction’s first COTs (iknpUpTo), then the bootstrap, setup iterations, main iterations', () => {
    const s = new PoolState({ ...DEFAULT_SCHEDULE, iknpUpTo: 1 << 16, mainFrom: 0 });
    const steps = (n: number) => {
      const st = s.refill(n);
      s.take(n);
      return st.map((x) => (x.kind === 'softspoken' ? `softspoken ${x.n} ${x.into}${x.first ? ' first' : ''}` : `${x.params.name} keep ${x.keep}`));
    };
    expect(steps(1000)).toEqual(['softspoken 1000 pool first']); // the first carries the PPRF sums
    expect(steps(0)).toEqual([]);
    expect(steps(64_536)).toEqual(['softspoken 64536 pool']);
    // past 2^16 in all: bootstrap from SoftSpokenOT, one setup iteration (it keeps the next one's input)
    expect(steps(10)).toEqual([`softspoken ${consumedBy(FERRET_SETUP)} reserve`, `setup keep ${consumedBy(FERRET_SETUP)}`]);
    const usable1 = FERRET_SETUP.n - consumedBy(FERRET_SETUP) - 10;
    expect(s.usable).toBe(usable1);
    expect(steps(usable1)).toEqual([]);
    // the second setup iteration keeps the main iteration's input; then main ones
    expect(steps(1)).toEqual([`setup keep ${consumedBy(FERRET_MAIN)}`]);
    expect(steps(FERRET_SETUP.n)).toEqual([`main keep ${consumedBy(FERRET_MAIN)}`]);
    expect(steps(3 * FERRET_MAIN.n)).toEqual(Array(3).fill(`main keep ${consumedBy(FERRET_MAIN)}`));
    expect(s.drawn).toBe(65_536 + 10 + usable1 + 1 + FERRET_SETUP.n + 3 * FERRET_MAIN.n);
  });

  it('refill messages: SoftSpokenOT corrections per chunk (the first with the 4 KB PPRF sums), two messages per iteration; the replay keeps directions apart', () => {
    const r = new FerretReplay(TOY_SCHEDULE, 256);
    const boot = r.draw('server', 600);
    const M = consumedBy(TOY_SCHEDULE.setup);
    const iknp = [];
    for (let from = 0; from < M; from += 256) iknp.push({ from: 'receiver', bytes: (128 / SOFTSPOKEN_K - 1) * Math.ceil(Math.min(256, M - from) / 8) + (from === 0 ? 4096 : 0) });
    const it = iterationBytes(TOY_SCHEDULE.setup);
    expect(boot).toEqual([...iknp, { from: 'receiver', bytes: it.receiverToSender }, { from: 'sender', bytes: it.senderToReceiver }]);
    expect(r.draw('server', 1)).toEqual([]);
    expect(r.draw('client', 600)).toEqual(boot);
    expect(refillMessages([], 256)).toEqual([]);
  });
});

describe('block pool', () => {
  it('serves first in, first out: IKNP batches, carried-over blocks, then the iteration buffer', () => {
    const pool = new BlockPool();
    const blk = (v: number, n: number) => new Uint8Array(16 * n).fill(v);
    pool.push(blk(1, 3));
    let out = pool.iterationBuffer(10);
    new Uint8Array(out.buffer, 0, 160).set(blk(2, 10));
    pool.afterIteration(10, 4); // 4 blocks reserved, 6 usable
    expect(pool.reserve!.length).toBe(64);
    expect(pool.size).toBe(9);
    expect(Array.from(pool.take(4)).filter((_, i) => i % 16 === 0)).toEqual([1, 1, 1, 2]);
    // the next iteration reuses the buffer: the 5 blocks left move to the carry first
    out = pool.iterationBuffer(10);
    new Uint8Array(out.buffer, 0, 160).set(blk(3, 10));
    pool.afterIteration(10, 2);
    expect(pool.size).toBe(13);
    expect(Array.from(pool.take(13)).filter((_, i) => i % 16 === 0)).toEqual([2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3]);
    expect(() => pool.take(1)).toThrow(/short by 1/);
  });

  it('hands out views of carried blocks without copying; blocks of the reused buffer are copies', () => {
    const pool = new BlockPool();
    const blk = (v: number, n: number) => new Uint8Array(16 * n).fill(v);
    const first = (a: Uint8Array) => Array.from(a).filter((_, i) => i % 16 === 0);
    const iterate = (v: number, n: number, keep: number) => {
      const out = pool.iterationBuffer(n);
      new Uint8Array(out.buffer, out.byteOffset, 16 * n).set(blk(v, n));
      pool.afterIteration(n, keep);
      return out.buffer;
    };
    const pushed = blk(1, 3);
    pool.push(pushed);
    const buf1 = iterate(2, 10, 4);
    const a = pool.take(2); // inside the pushed batch: a view of it
    expect(a.buffer).toBe(pushed.buffer);
    expect(first(pool.take(2))).toEqual([1, 2]); // across two pieces: a copy
    const b = pool.take(3); // from the iteration buffer: a copy
    expect(b.buffer).not.toBe(buf1);
    expect(iterate(3, 10, 2)).toBe(buf1); // the buffer is reused; b keeps its blocks
    expect(first(b)).toEqual([2, 2, 2]);
    expect(first(pool.take(3))).toEqual([2, 2, 3]); // the old buffer's last blocks (carried), then the new ones
    expect(first(a)).toEqual([1, 1]);
  });
});
