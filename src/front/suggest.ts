// "Did you mean …?" for unknown names: what CPL calls the primitive a researcher reached for
// (`exp` → `exp_hi`, `softmax` → `nn.softmax`), names that extend the unknown one, then the
// closest by edit distance, among the names in reach (locals, module, prelude, imports' members).
import type { Checker } from './check.ts';
import type { Module } from './modules.ts';
import type { Entity, Scope } from './scope.ts';

/** Names researchers reach for, and what CPL calls them (prelude ops, or `nn` functions). */
export const SYNONYMS: Record<string, string[]> = {
  exp: ['exp_hi', 'exp_lo'], gelu: ['gelu_hi', 'gelu_lo'], softmax: ['nn.softmax'], layernorm: ['nn.layernorm'], layer_norm: ['nn.layernorm'],
  linear: ['nn.linear'], dense: ['nn.linear'], attention: ['nn.attention_probs'], embedding: ['nn.embed'], embed: ['nn.embed'],
  sum: ['rowsum', 'colsum', 'sum0'], reduce_sum: ['rowsum'], amax: ['rowmax', 'max'], maximum: ['max'], minimum: ['min'], rowmin: ['min'],
  where: ['select_ss'], select: ['select_ss'], mux: ['select_ss'], arange: ['iota'], range: ['iota'], positions: ['iota'],
  cast: ['convert'], float: ['convert'], to_fix: ['convert'], astype: ['convert'], to_int: ['convert'], int: ['convert'],
  swish: ['silu'], logistic: ['sigmoid'], sqrt: ['rsqrt'], inv_sqrt: ['rsqrt'], reciprocal: ['recip'], inv: ['recip'], div: ['recip'],
  cat: ['concat'], concatenate: ['concat'], view: ['reshape'], expand_dims: ['unsqueeze'], ravel: ['flatten'], index_select: ['gather'], take_along: ['gather'],
  onehot_ss: ['onehot'], one_hot: ['onehot'], mean: ['rowsum'], count_nonzero: ['count'], sum_bool: ['count'], eq: ['eq_ss'], equal: ['eq_ss'],
  top_k: ['topk'], argmin: ['argmax'], relu6: ['relu'], rms_norm: ['rsqrt', 'sumsq'], dot: ['matmul'], mm: ['matmul'], bmm: ['bmm_ss'],
};

const callableKind = (e: Entity) => e.kind === 'fn' || e.kind === 'overload';
const valueKind = (e: Entity) => e.kind === 'var' || e.kind === 'generic-dim';
const hidden = (n: string) => n.startsWith('(');

/** Names to suggest for an unknown one: callables for a call, values otherwise, from the scopes
 * in reach (locals, the module, the prelude) and the members of imported modules (`nn.softmax`). */
function candidates(c: Checker, scope: Scope, callable: boolean): Set<string> {
  const out = new Set<string>();
  const wanted = callable ? callableKind : valueKind;
  for (let s: Scope | null = scope; s; s = s.parent) {
    for (const [n, e] of s.entries()) {
      if (hidden(n)) continue;
      if (wanted(e)) out.add(n);
      if (e.kind === 'module') for (const [m, me] of c.scopeOf(e.module).entries()) if (wanted(me) && !hidden(m)) out.add(`${n}.${m}`);
    }
  }
  return out;
}

const render = (hits: string[], tail = '') => (hits.length ? `did you mean '${hits[0]}'${hits[1] ? ` (or '${hits[1]}')` : ''}?${tail}` : undefined);

/** The suggestion for an unknown name: a known synonym in reach (or in a stdlib module not yet
 * imported), then names that extend it (`exp` → `exp_hi`), then the closest by edit distance. */
export function suggestName(c: Checker, name: string, scope: Scope, callable: boolean): string | undefined {
  const names = candidates(c, scope, callable);
  const bare = (n: string) => n.slice(n.lastIndexOf('.') + 1);
  const synonyms = SYNONYMS[name.toLowerCase()] ?? [];
  const hits = synonyms.filter((n) => names.has(n));
  if (!hits.length) {
    const elsewhere = synonyms.filter((n) => n.includes('.') && !scope.lookup(n.slice(0, n.indexOf('.'))));
    if (elsewhere.length) return render(elsewhere, ` (after \`import ${elsewhere[0].slice(0, elsewhere[0].indexOf('.'))}\`)`);
  }
  if (!hits.length) hits.push(...[...names].filter((n) => bare(n).startsWith(name + '_') || (name.length >= 3 && bare(n).startsWith(name))).sort((a, b) => a.length - b.length || a.localeCompare(b)));
  if (!hits.length) {
    let bestD = Math.max(2, Math.floor(name.length / 3)) + 1;
    for (const n of [...names].sort()) {
      const d = Math.min(editDistance(name, n), editDistance(name, bare(n)));
      if (d < bestD) [hits[0], bestD] = [n, d];
    }
  }
  return render(hits);
}

/** The suggestion for an unknown member of a module: one that extends it, else the closest. */
export function suggestMember(c: Checker, m: Module, name: string): string | undefined {
  let best: string | null = null;
  let bestD = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const [n] of c.scopeOf(m).entries()) {
    if (hidden(n)) continue;
    const d = n.startsWith(name + '_') ? 0 : editDistance(name, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return render(best ? [best] : []);
}

export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
