// Constant folding of public scalars during lowering: enough to evaluate `if` conditions, loop
// bounds and sizes computed from constants and config sizes (e.g. `d / h`).
type K = number | boolean | undefined;

const num = (f: (...xs: number[]) => number) => (ks: K[]) => (ks.every((k) => typeof k === 'number') ? f(...(ks as number[])) : undefined);
const bool = (f: (...xs: boolean[]) => boolean) => (ks: K[]) => (ks.every((k) => typeof k === 'boolean') ? f(...(ks as boolean[])) : undefined);
const cmp = (f: (a: number, b: number) => boolean) => (ks: K[]) => (ks.every((k) => typeof k === 'number') ? f(ks[0] as number, ks[1] as number) : undefined);

const folders: Record<string, (ks: K[]) => K> = {
  add: num((a, b) => a + b),
  sub: num((a, b) => a - b),
  neg: num((a) => -a),
  mul_pp: num((a, b) => a * b),
  div_pp: num((a, b) => a / b),
  rsqrt_pp: num((a) => 1 / Math.sqrt(a)),
  gt_pp: cmp((a, b) => a > b),
  lt_pp: cmp((a, b) => a < b),
  eq_pp: (ks) => (ks[0] !== undefined && ks[1] !== undefined ? ks[0] === ks[1] : undefined),
  and_pp: bool((a, b) => a && b),
  or_pp: bool((a, b) => a || b),
  not: bool((a) => !a),
};

/** The constant result of a public op on constant scalar arguments, if it can be computed.
 * Integers divide with floor (`intResult`: the result's encoding is an integer one). */
export function evalConst(op: string, ks: K[], intResult = false): K {
  const f = folders[op];
  if (!f || ks.length === 0) return undefined;
  const v = f(ks);
  return intResult && op === 'div_pp' && typeof v === 'number' ? Math.floor(v) : v;
}
