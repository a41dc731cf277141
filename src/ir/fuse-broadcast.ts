// Lowering of products by a broadcast vector: which operand stays unexpanded.
import { constValue, dimEq, type Dim } from '../front/dims.ts';

/**
 * Which operand of a secure product stays unexpanded (src/ir/ops/mul.ts): a row vector
 * ([..., 1] against [..., n]) or a trailing-axis vector ([d] against [n, d]) while the other
 * operand has the full shape. mul_ss: either operand (the first is then moved second); mul_sx:
 * only the private operand (the second). Null: expand as for any elementwise op.
 */
export function fusedBroadcast(name: string, shapes: Dim[][], full: Dim[]): number | null {
  if (name !== 'mul_ss' && name !== 'mul_sx') return null;
  const isFull = (s: Dim[]) => s.length === full.length && s.every((d, i) => dimEq(d, full[i]));
  const one = (d: Dim) => constValue(d) === 1;
  const vector = (s: Dim[]): boolean => {
    if (isFull(s) || s.length > full.length) return false;
    if (s.length === full.length) return full.length > 0 && one(s[s.length - 1]) && !one(full[full.length - 1]) && s.slice(0, -1).every((d, i) => dimEq(d, full[i]));
    let k = 0;
    while (k < s.length && one(s[k])) k++;
    const off = full.length - s.length;
    return s.slice(k).every((d, i) => dimEq(d, full[off + k + i]));
  };
  if (isFull(shapes[0]) && vector(shapes[1])) return 1;
  if (name === 'mul_ss' && isFull(shapes[1]) && vector(shapes[0])) return 0;
  return null;
}
