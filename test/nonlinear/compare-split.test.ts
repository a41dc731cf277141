// Balanced leaf roles (compare-leaves.ts, compare.ts `millionairesSplit`): whichever party sends
// an element's leaf tables, the opened bits are [a > b]; measured bytes and rounds equal the cost
// model's (`millionairesCost` with the same split), and a split call sends exactly the bytes of
// the all-server call in total (both directions' leaf messages ride the same two flights).
import { describe, expect, it } from 'vitest';
import { millionairesCost, millionairesSplit } from '../../src/crypto/nonlinear/compare.ts';
import { serverLeaves } from '../../src/crypto/nonlinear/compare-leaves.ts';
import { costOf, ringOf } from '../../src/crypto/nonlinear/context.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { makePair, openBits, run2 } from './harness.ts';
import { IKNP } from '../ot/helpers.ts';

describe('millionaires with split leaf roles', () => {
  const n = 37, C = 3, bits = 31, ring = ringOf(32), mask = 2 ** bits - 1;
  const prg = Prg.fromInt(5);
  // a: n·C values (c fastest), b: n values; some a equal to b, some one apart, the extremes.
  const b = ring.random(n, prg) as Uint32Array, a = ring.random(n * C, prg) as Uint32Array;
  for (let i = 0; i < n; i++) b[i] &= mask;
  for (let t = 0; t < n * C; t++) a[t] &= mask;
  for (let i = 0; i < n; i += 3) [a[i * C], a[i * C + 1], a[i * C + 2]] = [b[i], (b[i] + 1) & mask, Math.max(0, b[i] - 1)];
  [a[0], b[0], a[C], b[1]] = [mask, mask, 0, mask];

  for (const kind of ['ideal', 'real'] as const) {
    // The real engine (slow setup) on the balanced split and the client sending everything.
    for (const h of kind === 'ideal' ? [n, 0, 1, n - 1, serverLeaves(n)] : [0, serverLeaves(n)]) {
      it(`h = ${h} of ${n} (${kind === 'ideal' ? 'ideal OT' : 'IKNP'})`, { timeout: 60_000 }, async () => {
        const pair = await makePair(kind, 2, IKNP);
        const r = await run2(pair, async (ctx, party) => {
          const server = party === 'server';
          // The server holds a on [0, h) and b on [h, n); the client the rest.
          const send = server ? a.subarray(0, h * C) : a.subarray(h * C), recv = server ? b.subarray(h) : b.subarray(0, h);
          return (await millionairesSplit(ctx, n, C, bits, { h, send, recv })).gt;
        });
        const got = openBits(r.server, r.client);
        for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) expect(got[i * C + c], `element ${i}, c = ${c}`).toBe(a[i * C + c] > b[i] ? 1 : 0);
        const cost = costOf((cb) => millionairesCost(cb, n, C, bits, [], undefined, h), pair.client.ot.cost);
        expect(r.cost).toEqual({ bytesClientToServer: cost.bytesClientToServer, bytesServerToClient: cost.bytesServerToClient, rounds: cost.rounds });
        const all = costOf((cb) => millionairesCost(cb, n, C, bits), pair.client.ot.cost);
        expect(cost.rounds).toBe(all.rounds);
        expect(cost.bytesClientToServer + cost.bytesServerToClient).toBe(all.bytesClientToServer + all.bytesServerToClient);
      });
    }
  }

  it('refuses inputs that do not match the split', async () => {
    const pair = await makePair('ideal', 3);
    await expect(millionairesSplit(pair.server, n, C, bits, { h: 5, send: a.subarray(0, 4 * C), recv: b.subarray(5) })).rejects.toThrow(/server needs 5·3 values as leaf sender and 32 as chooser/);
  });
});
