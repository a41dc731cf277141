// Random small CPL programs over the prelude's ops, for the property test. Every output is one op
// applied to operands that are exact functions of the inputs (sums, differences, transposes,
// exact reductions), so the secure result must equal the twin within that op's stated error.
// Input magnitudes are drawn per program, some far beyond the ops' safe ranges (and a few beyond
// the encoding), so many programs must be refused by the twin's precondition checks.
import { Prg } from '../../src/crypto/prg.ts';
import type { InputValues } from '../../src/ir/dim-env.ts';

/** Operand expressions: secret values built exactly from the inputs x (client), y (server). */
const SECRET = ['(x + y)', '(x - y)', '(y - x)', '(0.0 - x - y)', 'transpose(transpose(x + y))', 'concat(take::<1>(x + y), drop::<1>(x - y))'];

/**
 * Output templates: `$a`, `$b` are secret operands ([2, 4], fix<32, 12>). Each template's last op
 * is the one under test; `he` marks homomorphic products (costlier: used less often).
 */
export const TEMPLATES: { expr: string; he?: boolean }[] = [
  { expr: '$a * $b' },                         // mul_ss
  { expr: '$a * g' },                          // mul_sx (server vector, broadcast)
  { expr: '$a * 0.7421875' },                  // mul_sp
  { expr: '$a / 3' },                          // div_sp
  { expr: '$a / 768' },                        // div_sp, a large divisor
  { expr: '$a > $b' },                         // gt_ss
  { expr: '$a < $b' },                         // lt_ss
  { expr: '$a == (x + z)' },                   // eq_ss (z is often 0: ties)
  { expr: 'select_ss($a > $b, $a, $b)' },      // select_ss
  { expr: '($a > $b) && ($b > 0.0 - y)' },     // and_ss
  { expr: '($a > $b) || ($b > x)' },           // or_ss
  { expr: '!($a > $b)' },                      // not
  { expr: 'count(($a > $b)[1])' },             // count
  { expr: 'count(($a > $b)[0]) > 2' },         // gt_ss on secret integers
  { expr: 'count(($a > $b)[0]) + count(($b > $a)[1]) - 1' }, // integer arithmetic
  { expr: 'count(($a > $b)[0]) == count(($b > $a)[0])' },     // eq_ss on integers
  { expr: 'convert::<fix<32, 12>>(count(($a > $b)[0])) * 0.5' },
  { expr: 'exp_hi($a)' },                      // often out of domain (x > 0)
  { expr: 'exp_hi($a - rowmax($a))' },
  { expr: 'exp_lo($a - rowmax($a))' },
  { expr: 'exp_lo($a)' },
  { expr: 'gelu_hi($a)' },
  { expr: 'gelu_lo($a)' },
  { expr: 'tanh($a)' },
  { expr: 'recip($a)' },                       // often out of domain (x ≤ 0)
  { expr: 'rsqrt($a)' },
  { expr: 'rowmax($a)' },
  { expr: 'rowsum($a)' },
  { expr: 'colsum($a)' },
  { expr: 'sum0($a)' },
  { expr: 'convert::<fix<37, 12>>($a)' },
  { expr: 'convert::<fix<24, 8>>($a)' },
  { expr: 'convert::<int>($a > $b)' },
  { expr: 'sumsq::<fix<44, 24>>($a)' },
  { expr: 'sumsq::<fix<44, 20>>($a)' },
  { expr: '$a @ w', he: true },                // matmul_sx
  { expr: '$a @ transpose($b)', he: true },    // matmul_ss
];

export interface GenProgram {
  name: string;
  /** The model block's text. */
  text: string;
  inputs: InputValues;
  /** The range the inputs were drawn from (real units) and whether some are beyond the encoding. */
  scale: number;
  beyondEncoding: boolean;
}

const SCALES = [0.5, 2, 6, 12, 40, 300, 5000, 200000];

export function generate(count: number, seed: number): GenProgram[] {
  const prg = Prg.fromInt(seed);
  const u32 = (): number => new Uint32Array(prg.bytes(4).buffer)[0];
  const pick = <T>(xs: T[]): T => xs[u32() % xs.length];
  const uniform = (n: number, s: number, grid: number) => Array.from({ length: n }, () => Math.round(((u32() / 2 ** 32) * 2 - 1) * s * grid) / grid);
  const out: GenProgram[] = [];
  for (let k = 0; k < count; k++) {
    const outputs = 1 + (u32() % 2);
    const lines: string[] = [];
    for (let o = 0; o < outputs; o++) {
      let t = pick(TEMPLATES);
      if (t.he && u32() % 3) t = pick(TEMPLATES.filter((x) => !x.he)); // HE in about 1 of 20 outputs
      const e = t.expr.replaceAll('$a', pick(SECRET)).replaceAll('$b', pick(SECRET));
      lines.push(`  output ${e} to client`);
    }
    const scale = pick(SCALES), beyondEncoding = u32() % 25 === 0;
    const grid = u32() % 2 ? 4096 : 64; // exact multiples of 2^-12, or coarse values (ties)
    const x = uniform(8, scale, grid), y = uniform(8, scale, grid);
    if (beyondEncoding) x[u32() % 8] = 600000;
    const z = Array.from({ length: 8 }, (_, i) => (u32() % 2 ? 0 : y[i]));
    const inputs: InputValues = { x, y, z, g: uniform(4, 2, 4096), w: uniform(16, 0.5, 4096) };
    const name = `p${k}`;
    const text = `model ${name} {
  input x: client F[2, 4]
  input y: server F[2, 4]
  input z: server F[2, 4]
  input g: server F[4]
  input w: server F[4, 4]
${lines.join('\n')}
}`;
    out.push({ name, text, inputs, scale, beyondEncoding });
  }
  return out;
}

/** One module holding every generated model (checked once, lowered per model). */
export const moduleText = (ps: GenProgram[]): string => `module generated\ntype F = fix<32, 12>\n\n${ps.map((p) => p.text).join('\n\n')}\n`;
