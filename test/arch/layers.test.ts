// The source folders are layers (README, "Layout"): a folder imports only from folders below it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
/** Bottom to top. `format` sits beside the compiler (it uses the front end only); `lsp` uses both. */
const ORDER = ['transport', 'crypto', 'front', 'ir', 'interp', 'opt', 'exec', 'inspect', 'text', 'autodiff', 'model', 'train', 'format', 'lsp', 'cli'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const layerOf = (path: string): string => relative(SRC, path).split('/')[0];

describe('layering', () => {
  it('every import points down (or stays in its folder)', () => {
    const bad: string[] = [];
    for (const f of files(SRC)) {
      const from = layerOf(f);
      if (!ORDER.includes(from)) continue; // src/index.ts: the library API re-exports every layer
      for (const m of readFileSync(f, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = resolve(dirname(f), m[1]);
        if (!target.startsWith(SRC)) continue; // grammar/
        const to = layerOf(target);
        if (ORDER.indexOf(to) > ORDER.indexOf(from)) bad.push(`${relative(SRC, f)} imports ${relative(SRC, target)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('knows every source folder', () => {
    const dirs = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory() && files(join(SRC, n)).length > 0);
    expect(dirs.filter((d) => !ORDER.includes(d))).toEqual([]);
  });
});
