// Commutative products pick the cheaper op whatever the operand order (`gamma * gelu_hi(c)`, the
// server's value first, is mul_sx like `gelu_hi(c) * gamma`), and `check --costs` /
// `compile --emit cost` point at an op whose operand was made secret only to fit a parameter.
import { describe, expect, it } from 'vitest';
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
