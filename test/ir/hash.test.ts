// Program identity (issue 14): the hash covers the canonical compiled program — ops, types,
// sizes, config — and not where the source file lives or where in it an op comes from.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalProgram, programHash } from '../../src/ir/hash.ts';
import { compile } from '../exec/helpers.ts';

const PROG = 'test/exec/programs/layer.cpl';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('programHash', () => {
  it('is the same for a copy at another path, and for the source moved down by a comment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cipherprune-hash-'));
    try {
      const copy = join(dir, 'elsewhere.cpl');
      copyFileSync(PROG, copy);
      const shifted = join(dir, 'shifted.cpl');
      writeFileSync(shifted, `// a comment that moves every line\n\n${readFileSync(PROG, 'utf8')}`);
      const h = hex(programHash(compile(PROG)));
      expect(hex(programHash(compile(copy)))).toBe(h);
      expect(hex(programHash(compile(shifted)))).toBe(h);
      expect(canonicalProgram(compile(PROG))).not.toMatch(/layer\.cpl|\.cpl:\d/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('changes with the config and with the program', () => {
    const h = hex(programHash(compile(PROG)));
    expect(hex(programHash(compile(PROG, undefined, { n: 5 })))).not.toBe(h);
    expect(hex(programHash(compile('test/exec/programs/he.cpl')))).not.toBe(h);
  });
});
