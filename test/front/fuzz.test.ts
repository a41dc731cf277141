// Robustness: mutated programs (token deletions, duplications, swaps, random bytes) go through
// the whole front end. No exception may escape, and every input that differs from a valid
// program in a way the checker can see must get at least one diagnostic.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cplLexer } from '../../grammar/lexer.ts';
import { check } from '../../src/front/index.ts';
import { Prg } from '../../src/crypto/prg.ts';

const seeds = ['protocols/bert.cpl', 'protocols/gpt2.cpl', 'stdlib/nn.cpl', 'stdlib/prune.cpl'].map((p) => ({ path: p, text: readFileSync(p, 'utf8') }));

/** Deterministic small integers from the project PRG. */
function rng(seed: number) {
  const prg = Prg.fromInt(seed);
  let buf: Uint32Array = new Uint32Array(0);
  let i = 0;
  return (n: number) => {
    if (i >= buf.length) {
      buf = new Uint32Array(prg.bytes(4096).buffer);
      i = 0;
    }
    return buf[i++] % n;
  };
}

type Mutation = 'delete' | 'duplicate' | 'swap' | 'bytes';

function mutate(text: string, kind: Mutation, r: (n: number) => number): string {
  const toks = cplLexer.tokenize(text).tokens;
  if (kind === 'bytes' || toks.length < 2) {
    const at = r(text.length + 1);
    const junk = Array.from({ length: 1 + r(6) }, () => String.fromCharCode(r(2) ? 33 + r(94) : r(256))).join('');
    return text.slice(0, at) + junk + text.slice(at);
  }
  const a = toks[r(toks.length)];
  const b = toks[r(toks.length)];
  const cut = (t: typeof a) => [t.startOffset, t.endOffset! + 1] as const;
  if (kind === 'delete') {
    const [s, e] = cut(a);
    return text.slice(0, s) + text.slice(e);
  }
  if (kind === 'duplicate') {
    const [s, e] = cut(a);
    return text.slice(0, e) + ' ' + text.slice(s, e) + text.slice(e);
  }
  const [x, y] = a.startOffset < b.startOffset ? [a, b] : [b, a];
  if (x === y) return text;
  const [xs, xe] = cut(x);
  const [ys, ye] = cut(y);
  return text.slice(0, xs) + text.slice(ys, ye) + text.slice(xe, ys) + text.slice(xs, xe) + text.slice(ye);
}

/** Token streams equal (ignoring whitespace and comments): such a mutation may still be valid. */
const sameTokens = (a: string, b: string) =>
  cplLexer.tokenize(a).tokens.map((t) => t.image).join(' ') === cplLexer.tokenize(b).tokens.map((t) => t.image).join(' ');

describe('front-end fuzz', () => {
  const kinds: Mutation[] = ['delete', 'duplicate', 'swap', 'bytes'];
  const perKind = 520; // 4 kinds x 520 = 2,080 programs
  // CPU-bound and deterministic: about 25 s a kind on an idle 2-core machine, but 100 s and more
  // beside the rest of the suite under load, so the default 60 s limit failed runs that had found
  // nothing. The bound only stops a hang.
  const limit = 300_000;

  for (const kind of kinds) {
    it(`${kind}: ${perKind} mutated programs, no exception, diagnostics for every detectable change`, () => {
      const r = rng(kinds.indexOf(kind) + 1);
      let diagnosed = 0;
      let silent = 0;
      for (let i = 0; i < perKind; i++) {
        const seed = seeds[i % seeds.length];
        const text = mutate(seed.text, kind, r);
        let result;
        try {
          result = check([{ path: seed.path, text }]);
        } catch (e) {
          throw new Error(`front end threw on a ${kind} mutation of ${seed.path} (#${i}): ${(e as Error).stack}\n--- program ---\n${text}`);
        }
        if (result.diagnostics.length > 0) diagnosed++;
        else if (!sameTokens(text, seed.text)) silent++;
      }
      // Some mutations keep a program valid (swapping two identical names, deleting a redundant
      // parenthesis, duplicating a unary minus). Those are counted, not failed, but must be rare.
      expect(diagnosed + silent).toBeGreaterThan(0);
      expect(silent / perKind).toBeLessThan(0.15);
    }, limit);
  }
});
