// Unit tests of the shuffle's building blocks without a channel: punctured GGM trees agree with
// the full trees except at the punctured leaf, and permute-and-share gives shares of x_{π(i)} for
// every block kind. The OT that hands A its level sums is replaced by a direct selection here
// (test only; the protocol tests in route.test.ts run it over the real OT engine).
import { describe, expect, it } from 'vitest';
import { Prg } from '../../src/crypto/prg.ts';
import { ringOf } from '../../src/crypto/ring.ts';
import { depth, punctureChoices, puncturedTrees, senderTrees } from '../../src/crypto/shuffle/ggm.ts';
import { Layout, fromWords, toWords, type BlockSpec } from '../../src/crypto/shuffle/layout.ts';
import { randomPermutation } from '../../src/crypto/shuffle/perm.ts';
import { receiverCorrelation, receiverOutput, senderCorrelation, senderMessage } from '../../src/crypto/shuffle/perm-share.ts';

function chosenKeys(keys: Uint32Array, choices: Uint8Array): Uint32Array {
  const out = new Uint32Array(4 * choices.length);
  for (let i = 0; i < choices.length; i++) out.set(keys.subarray(8 * i + 4 * choices[i], 8 * i + 4 * choices[i] + 4), 4 * i);
  return out;
}

describe('punctured GGM trees', () => {
  it.each([2, 3, 5, 8, 17])('n = %i: every leaf but the punctured one matches', (n) => {
    const prg = Prg.fromInt(n);
    const full = senderTrees(prg, n);
    const points = randomPermutation(Prg.fromInt(100 + n), n);
    const h = depth(n), N = 1 << h;
    const p = puncturedTrees(n, h, chosenKeys(full.keys, punctureChoices(points, h)), points);
    for (let t = 0; t < n; t++) {
      for (let j = 0; j < N; j++) {
        const a = full.leaves.subarray(4 * (t * N + j), 4 * (t * N + j) + 4), b = p.leaves.subarray(4 * (t * N + j), 4 * (t * N + j) + 4);
        if (j === points[t]) expect([...b]).toEqual([0, 0, 0, 0]);
        else expect([...b]).toEqual([...a]);
      }
    }
  });
});

const specs: [string, BlockSpec][] = [
  ['ring<32>', { kind: 'ring', ell: 32, width: 3 }],
  ['ring<13>', { kind: 'ring', ell: 13, width: 5 }],
  ['ring<37>', { kind: 'ring', ell: 37, width: 2 }],
  ['ring<64>', { kind: 'ring', ell: 64, width: 4 }],
  ['bits', { kind: 'bits', width: 37 }],
];

describe('permute-and-share', () => {
  it.each(specs)('%s payload: shares of x_{π(i)}', (_name, spec) => {
    const n = 11, w = spec.width;
    const layout = new Layout([spec, { kind: 'ring', ell: 32, width: 1 }]);
    const pi = randomPermutation(Prg.fromInt(5), n);
    const h = depth(n);
    const trees = senderTrees(Prg.fromInt(6), n);
    const punct = puncturedTrees(n, h, chosenKeys(trees.keys, punctureChoices(pi, h)), pi);
    const sc = senderCorrelation(trees, layout);
    const delta = receiverCorrelation(punct, pi, layout);
    // x = xA + xB, in the payload block and a 32-bit block.
    const gen = (seed: number) => {
      const prg = Prg.fromInt(seed);
      if (spec.kind === 'bits') return prg.bytes(n * w).map((v) => v & 1);
      return ringOf(spec.ell).random(n * w, prg);
    };
    const xA = [toWords(spec, gen(1), n), ringOf(32).random(n, Prg.fromInt(2)) as Uint32Array];
    const xB = [toWords(spec, gen(3), n), ringOf(32).random(n, Prg.fromInt(4)) as Uint32Array];
    const m = layout.unpack(layout.pack(senderMessage(layout, xB, sc), n), n);
    const outA = receiverOutput(layout, m, delta, xA, pi);
    const x = layout.combine(xA, xB, 1), y = layout.combine(outA, sc.b, 1);
    const want = layout.gather(x, pi);
    for (const [k, b] of layout.blocks.entries()) {
      expect(fromWords(b.spec, y[k], n)).toEqual(fromWords(b.spec, want[k], n));
    }
  });
});
