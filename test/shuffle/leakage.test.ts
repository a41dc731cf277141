// What the routing ops reveal: only the count.
// - Transcript shape: two masks with the same count but different set positions give the same
//   sequence of message sizes and round stamps on both sides (real OT, fresh sessions).
// - Distribution: over many runs, the opened (shuffled) destination vector is a uniformly random
//   permutation, and the opened keep vector (destinations < k) a uniformly random arrangement of
//   k ones, whatever the mask (chi-square tests at p = 0.001); the same tests fail on a
//   deliberately biased shuffle. These runs use the test-only ideal OT (the permutations, not the
//   OT, decide the distribution; the real OT is exercised by route.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/transport/channel.ts';
import type { Prg } from '../../src/crypto/prg.ts';
import { route, type RouteMode, type RouteOptions } from '../../src/crypto/shuffle/route.ts';
import { randomPermutation } from '../../src/crypto/shuffle/perm.ts';
import { makePair, type Pair } from '../nonlinear/harness.ts';

/** Record every message this party sends: its size and the round counter after it, relative to
 * the counter when recording started. */
function record(ch: Channel): [number, number][] {
  const log: [number, number][] = [];
  const send = ch.send.bind(ch), start = ch.totals.rounds;
  ch.send = (b: Uint8Array) => {
    send(b);
    log.push([b.length, ch.totals.rounds - start]);
  };
  return log;
}

/** The transcript of one route (`first`: compact_split's second mask; the server holds the masks, the client zero shares). */
async function transcript(pair: Pair, mode: RouteMode, bits: number[], width: number, first: number[] = []): Promise<{ client: [number, number][]; server: [number, number][] }> {
  const sends = { client: pair.cc.send, server: pair.sc.send };
  const log = { client: record(pair.cc), server: record(pair.sc) };
  const n = bits.length, m = Uint8Array.from([...bits, ...first]), sum = (b: number[]) => b.reduce((s, v) => s + v, 0);
  const p = { mode, n, count: sum(bits), ...(first.length ? { count2: sum(first) } : {}), payload: { kind: 'ring' as const, ell: 32, width } };
  await Promise.all([route(pair.server, p, new Uint32Array(n * width), m), route(pair.client, p, new Uint32Array(n * width), new Uint8Array(m.length))]);
  pair.cc.send = sends.client;
  pair.sc.send = sends.server;
  return log;
}

describe('transcript shape depends on the count only (real OT, one session)', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await makePair('real', 11);
  });
  afterAll(() => pair.cc.close());

  it.each(['compact', 'partition', 'unpartition'] as RouteMode[])('%s: same count, different positions, same message sizes in every flight', async (mode) => {
    const masks = [
      [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
      [1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0],
    ];
    const logs = [];
    for (const m of masks) logs.push(await transcript(pair, mode, m, 5));
    expect(logs[0].client.length).toBeGreaterThan(4);
    expect(logs[0].server.length).toBeGreaterThan(4);
    for (const l of logs.slice(1)) expect(l).toEqual(logs[0]);
  });

  it('compact_split: same counts (k = 6, k1 = 2), different positions, same message sizes in every flight', async () => {
    const masks = [
      [[1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
      [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]],
      [[1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0], [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]],
    ];
    const logs = [];
    for (const [keep, first] of masks) logs.push(await transcript(pair, 'compact_split', keep, 5, first));
    expect(logs[0].client.length).toBeGreaterThan(4);
    for (const l of logs.slice(1)) expect(l).toEqual(logs[0]);
  });
});

/** Upper p = 0.001 critical value of chi-square with df degrees of freedom (Wilson–Hilferty). */
function chi2Critical(df: number): number {
  const z = 3.0902, a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

function chi2(counts: Map<string, number>, cells: number, total: number): number {
  const e = total / cells;
  let s = (cells - counts.size) * e; // cells never seen
  for (const c of counts.values()) s += (c - e) ** 2 / e;
  return s;
}

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
const binom = (n: number, k: number): number => factorial(n) / (factorial(k) * factorial(n - k));

/** Opened destination vectors of `runs` compactions of one mask, over one ideal-OT session. */
async function openedVectors(pair: Pair, bits: number[], runs: number, sample?: { server: RouteOptions['sample']; client: RouteOptions['sample'] }): Promise<Uint32Array[]> {
  const n = bits.length, m = Uint8Array.from(bits), k = bits.reduce((s, v) => s + v, 0);
  const p = { mode: 'compact' as const, n, count: k, payload: { kind: 'ring' as const, ell: 32, width: 1 } };
  const seen: Uint32Array[] = [];
  for (let r = 0; r < runs; r++) {
    await Promise.all([
      route(pair.server, p, new Uint32Array(n), m, { sample: sample?.server, onOpen: (o) => seen.push(o.slice()) }),
      route(pair.client, p, new Uint32Array(n), new Uint8Array(n), { sample: sample?.client }),
    ]);
  }
  return seen;
}

function stats(vectors: Uint32Array[], n: number, k: number) {
  const perms = new Map<string, number>(), keeps = new Map<string, number>();
  for (const v of vectors) {
    const a = v.join(','), b = Array.from(v, (x) => (x < k ? 1 : 0)).join('');
    perms.set(a, (perms.get(a) ?? 0) + 1);
    keeps.set(b, (keeps.get(b) ?? 0) + 1);
  }
  const cp = binom(n, k);
  return {
    perm: { chi2: chi2(perms, factorial(n), vectors.length), critical: chi2Critical(factorial(n) - 1), seen: perms.size },
    keep: { chi2: chi2(keeps, cp, vectors.length), critical: chi2Critical(cp - 1), seen: keeps.size },
  };
}

/** A classic bias: swap each position with any position (n^n equally likely outcomes). */
const naive = (prg: Prg, n: number): Uint32Array => {
  const p = Uint32Array.from({ length: n }, (_, i) => i);
  const r = prg.bytes(n);
  for (let i = 0; i < n; i++) {
    const j = r[i] % n; // n = 5 here: a small modulo bias on top, irrelevant next to the swap bias
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
};
const identity = (_prg: Prg, n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i);

describe('opened vectors are uniform (chi-square, p = 0.001)', () => {
  const RUNS = 3000;
  const n = 5;

  it('for two masks with k = 3: uniform permutations and uniform keep arrangements', async () => {
    const pair = await makePair('ideal', 21);
    for (const bits of [[1, 1, 1, 0, 0], [0, 1, 0, 1, 1]]) {
      const s = stats(await openedVectors(pair, bits, RUNS), n, 3);
      console.log(`mask ${bits.join('')}: permutations chi2 ${s.perm.chi2.toFixed(1)} (critical ${s.perm.critical.toFixed(1)}), keep vectors chi2 ${s.keep.chi2.toFixed(1)} (critical ${s.keep.critical.toFixed(1)})`);
      expect(s.keep.seen).toBe(10);
      expect(s.perm.chi2).toBeLessThan(s.perm.critical);
      expect(s.keep.chi2).toBeLessThan(s.keep.critical);
    }
  }, 120_000);

  it('fails on a biased shuffle (the server swaps naively, the client does not shuffle)', async () => {
    const pair = await makePair('ideal', 22);
    const s = stats(await openedVectors(pair, [1, 1, 1, 0, 0], RUNS, { server: naive, client: identity }), n, 3);
    console.log(`biased shuffle: permutations chi2 ${s.perm.chi2.toFixed(1)} (critical ${s.perm.critical.toFixed(1)}), keep vectors chi2 ${s.keep.chi2.toFixed(1)} (critical ${s.keep.critical.toFixed(1)})`);
    expect(s.keep.chi2).toBeGreaterThan(s.keep.critical);
    expect(s.perm.chi2).toBeGreaterThan(s.perm.critical);
    // The sampler really is what makes the difference: the same session with the real sampler passes.
    const ok = stats(await openedVectors(pair, [1, 1, 1, 0, 0], RUNS, { server: randomPermutation, client: randomPermutation }), n, 3);
    expect(ok.keep.chi2).toBeLessThan(ok.keep.critical);
  }, 120_000);
});
