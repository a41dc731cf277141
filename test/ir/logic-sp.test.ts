// AND / OR of a secret boolean with public bits run locally on the XOR shares (src/ir/ops/local.ts):
// the opened result equals the twin for every combination of shares and public bits.
import { describe, expect, it } from 'vitest';
import { opRow } from '../../src/ir/ops/table.ts';
import type { ExecCtx, ExecValue, OpCall } from '../../src/ir/ops/types.ts';

describe('and_sp / or_sp on XOR shares', () => {
  const enc = { kind: 'bool' } as const;
  // Every (value, client share, public bit) combination, twice over.
  const n = 16, value = new Uint8Array(n), share = new Uint8Array(n), pub = new Uint8Array(n);
  for (let i = 0; i < n; i++) [value[i], share[i], pub[i]] = [i & 1, (i >> 1) & 1, (i >> 2) & 1];
  const call: OpCall = { args: [{ vis: 'secret', enc, shape: [n] }, { vis: 'public', enc, shape: [n] }], type: { vis: 'secret', enc, shape: [n] }, attrs: {} } as unknown as OpCall;
  for (const op of ['and_sp', 'or_sp']) {
    it(`${op}: local, opened result = twin`, async () => {
      const row = opRow(op);
      expect(row.comm).toBe('local');
      const run = (party: 'client' | 'server', mine: Uint8Array) =>
        row.impl!({ party } as ExecCtx, [{ ...call.args[0], data: mine }, { ...call.args[1], data: pub }] as ExecValue[], call) as Promise<Uint8Array>;
      const c = await run('client', share), s = await run('server', Uint8Array.from(value, (v, i) => v ^ share[i]));
      const twin = row.twin({ args: [{ shape: [n], enc, data: value }, { shape: [n], enc, data: pub }], shape: [n], enc, attrs: {}, mode: 'fixed', vis: 'secret' } as never).data as Uint8Array;
      expect(Array.from(c, (x, i) => x ^ s[i])).toEqual(Array.from(twin));
      expect(Array.from(twin)).toEqual(Array.from(value, (v, i) => (op === 'and_sp' ? v & pub[i] : v | pub[i])));
    });
  }
});
