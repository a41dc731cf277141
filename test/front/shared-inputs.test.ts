// Shared input declarations: `inputs NAME { input ... }` declared once, `inputs NAME` in each model.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check, formatDiagnostics } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';

describe('shared inputs', () => {
  for (const [file, dense, pruned, extra] of [
    ['protocols/bert.cpl', 'bert_dense', 'bert_cipherprune', ['theta', 'theta_hi']],
    ['protocols/gpt2.cpl', 'gpt2_dense', 'gpt2_cipherprune', ['theta', 'theta_hi']],
  ] as const) {
    it(`${file} declares each input once, and both models take the shared list`, () => {
      const text = readFileSync(file, 'utf8');
      const names = [...text.matchAll(/^\s*input (\w+):/gm)].map((m) => m[1]);
      expect(names.length).toBeGreaterThan(5);
      expect(new Set(names).size).toBe(names.length);
      expect([...text.matchAll(/^\s*inputs \w+$/gm)]).toHaveLength(2);
      const r = check([{ path: file }]);
      expect(formatDiagnostics(r.diagnostics)).toBe('');
      const list = (m: string) => r.models.find((x) => x.name === m)!.inputs.map((i) => `${i.owner} ${i.name} = ${i.source}`);
      expect(list(pruned)).toEqual([...list(dense), ...list(pruned).filter((i) => extra.some((e) => i.startsWith(`server ${e} `)))]);
      expect(list(pruned).length).toBe(list(dense).length + extra.length);
      // Lowered, the shared declarations are the model's inputs, in order.
      const p = lowerModel(r, r.models.find((x) => x.name === dense)!);
      expect(p.inputs.map((i) => i.name)).toEqual(r.models.find((x) => x.name === dense)!.inputs.map((i) => i.name));
    });
  }
});
