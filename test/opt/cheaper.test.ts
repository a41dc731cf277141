// Commutative products pick the cheaper op whatever the operand order (`gamma * gelu_hi(c)`, the
// server's value first, is mul_sx like `gelu_hi(c) * gamma`), and `check --costs` /
// `compile --emit cost` point at an op whose operand was made secret only to fit a parameter,
// priced in the program's session: its mode (exact mode prices every truncation's carry) and OT
// backend, so the hint's bytes for an op are its row in `compile --emit cost`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { check, formatDiagnostics } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import { DimEnv } from '../../src/ir/dim-env.ts';
import { predictCost } from '../../src/opt/cost.ts';
import { cheaperOps, formatCheaper } from '../../src/opt/cheaper.ts';

const program = (body: string) => `type act = fix<32, 12>
fn scale<n, d>(x: secret act[n, d], g: secret act[d]) -> secret act[n, d] {
  return x * g
}
model m {
  input x: client act[4, 8]
  input w: server act[8, 8]
  input gamma: server act[8]
  let c = x @ w
${body}
}
`;
const lower = (body: string) => {
  const r = check([{ path: 'cheaper.cpl', text: program(body) }]);
  expect(formatDiagnostics(r.diagnostics)).toBe('');
  return { r, p: lowerModel(r, r.models[0]) };
};
const ops = (p: ReturnType<typeof lower>['p']) => p.ops.map((o) => o.op).filter((o) => o.startsWith('mul_'));

describe('commutative products', () => {
  it('gamma * gelu_hi(c) is mul_sx, costs what gelu_hi(c) * gamma costs, and computes it', () => {
    const a = lower('  output gamma * gelu_hi(c) to client'), b = lower('  output gelu_hi(c) * gamma to client');
    expect(ops(a.p)).toEqual(['mul_sx']);
    expect(ops(b.p)).toEqual(['mul_sx']);
    const ca = predictCost(a.p, new DimEnv()), cb = predictCost(b.p, new DimEnv());
    expect([ca.bytesC2S, ca.bytesS2C, ca.rounds]).toEqual([cb.bytesC2S, cb.bytesS2C, cb.rounds]);
    expect(cheaperOps(a.r, a.p, new DimEnv())).toEqual([]);
  });

  it('points at mul_ss where the server value was made secret to fit a parameter', () => {
    const { r, p } = lower('  output scale(gelu_hi(c), gamma) to client');
    expect(ops(p)).toEqual(['mul_ss']);
    const hints = cheaperOps(r, p, new DimEnv());
    expect(hints).toHaveLength(1);
    expect(hints[0]).toMatchObject({ alternative: 'mul_sx' });
    expect(hints[0].alternativeBytes).toBeLessThan(hints[0].bytes);
    expect(formatCheaper(hints[0])).toMatch(/cheaper\.cpl:3:10, in .*scale: mul_ss costs \d+ B here .*mul_sx would cost \d+ B \(argument 2 is the server's value, made secret to fit/);
  });
});

describe('cheaper-op hints in the session of the program', () => {
  /** compile --emit cost: mul_ss's row (c->s + s->c), and the hint's bytes for it and for mul_sx. */
  async function cost(file: string, args: string[]): Promise<{ row: number; hint: number; alt: number }> {
    let out = '';
    const code = await main(['compile', file, '--emit', 'cost', ...args], { out: (s) => void (out += s), err: (s) => void (out += s), color: false, tty: false });
    expect(code).toBe(0);
    const row = /%\d+ mul_ss +c->s +(\d+) B +s->c +(\d+) B/.exec(out)!;
    const hint = /mul_ss costs (\d+) B here \(after the session setup\); mul_sx would cost (\d+) B/.exec(out)!;
    expect(row && hint).toBeTruthy();
    return { row: Number(row[1]) + Number(row[2]), hint: Number(hint[1]), alt: Number(hint[2]) };
  }

  it.each([['ferret'], ['iknp']])('--ot %s, default and exact mode: the hint prices mul_ss as the cost table does', async (ot) => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-cheaper-'));
    try {
      const file = join(dir, 'cheaper.cpl');
      writeFileSync(file, program('  output scale(gelu_hi(c), gamma) to client'));
      const dflt = await cost(file, ['--ot', ot]), exact = await cost(file, ['--ot', ot, '--exact']);
      expect(dflt.hint).toBe(dflt.row);
      expect(exact.hint).toBe(exact.row);
      // Exact mode: both the op and its alternative pay the exact truncation.
      expect(exact.hint).toBeGreaterThan(dflt.hint);
      expect(exact.alt).toBeGreaterThan(dflt.alt);
      expect(exact.alt).toBeLessThan(exact.hint);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
