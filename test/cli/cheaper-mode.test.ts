// `compile --emit cost` points at an op with a cheaper equivalent (src/opt/cheaper.ts) and prices
// it in the program's session: its mode (exact mode prices every truncation's carry) and its OT
// backend. The hint's bytes for the op are the table's row for that op (after the session setup,
// which the first OT op carries), in each mode and backend.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'cp-cheaper-'));
const file = join(dir, 'cheaper.cpl');
writeFileSync(file, `type act = fix<32, 12>
fn scale<n, d>(x: secret act[n, d], g: secret act[d]) -> secret act[n, d] {
  return x * g
}
model m {
  input x: client act[4, 8]
  input w: server act[8, 8]
  input gamma: server act[8]
  let c = x @ w
  output scale(gelu_hi(c), gamma) to client
}
`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cost(args: string[]): Promise<{ row: number; hint: number; alt: number }> {
  let out = '';
  const code = await main(['compile', file, '--emit', 'cost', ...args], { out: (s) => void (out += s), err: (s) => void (out += s), color: false, tty: false });
  expect(code).toBe(0);
  const row = /%\d+ mul_ss +c->s +(\d+) B +s->c +(\d+) B/.exec(out)!;
  const hint = /mul_ss costs (\d+) B here \(after the session setup\); mul_sx would cost (\d+) B/.exec(out)!;
  expect(row && hint).toBeTruthy();
  return { row: Number(row[1]) + Number(row[2]), hint: Number(hint[1]), alt: Number(hint[2]) };
}

describe('cheaper-op hints in the session of the program', () => {
  it.each([['ferret'], ['iknp']])('--ot %s, default and exact mode: the hint prices mul_ss as the cost table does', async (ot) => {
    const dflt = await cost(['--ot', ot]), exact = await cost(['--ot', ot, '--exact']);
    expect(dflt.hint).toBe(dflt.row);
    expect(exact.hint).toBe(exact.row);
    // Exact mode: both the op and its alternative pay the exact truncation.
    expect(exact.hint).toBeGreaterThan(dflt.hint);
    expect(exact.alt).toBeGreaterThan(dflt.alt);
    expect(exact.alt).toBeLessThan(exact.hint);
  });
});
