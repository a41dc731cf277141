// Symbolic tensor dimensions in a small polynomial normal form, so that shapes compare by value:
// `h * (d / h)` equals `d`, `kh + (k - kh)` equals `k`, and a revealed `k` never equals `n`.
// A dimension is a sum of terms coef * symbols * quotients, where a quotient is an exact division
// of a polynomial by a monomial that could not be simplified (e.g. `d / h` for symbols d, h).
import type { SourceFile } from './source.ts';

/** A rigid dimension symbol: a config size, a function's dimension parameter, a revealed count. */
export interface DimSymbol {
  id: number;
  name: string;
  /** Where it comes from, for notes: 'config', 'param', 'reveal', 'loop', 'result'. */
  origin: string;
  /** Where it was introduced (for notes). */
  at?: { file: SourceFile; start: number; end: number };
  /** Set once a reveal's or a result's symbol is named after the variable it is bound to. */
  named?: boolean;
}

let nextId = 1;
export function freshSymbol(name: string, origin: string, at?: DimSymbol['at']): DimSymbol {
  return { id: nextId++, name, origin, at };
}

interface Quot {
  num: Dim;
  den: Dim; // a single term
}
interface Term {
  coef: number;
  syms: DimSymbol[]; // sorted by id, with repetition
  quots: Quot[];
}
export interface Dim {
  terms: Term[]; // normalized: sorted by key, no zero coefficients
}

const symKey = (syms: DimSymbol[]) => syms.map((s) => s.id).join('*');
const termKey = (t: Term): string => `${symKey(t.syms)}|${t.quots.map((q) => `(${dimKey(q.num)})/(${dimKey(q.den)})`).sort().join('|')}`;
export const dimKey = (d: Dim): string => d.terms.map((t) => `${t.coef}:${termKey(t)}`).join(' + ') || '0';

function normalize(terms: Term[]): Dim {
  const byKey = new Map<string, Term>();
  for (const t of terms) {
    const k = termKey(t);
    const prev = byKey.get(k);
    if (prev) prev.coef += t.coef;
    else byKey.set(k, { coef: t.coef, syms: [...t.syms].sort((a, b) => a.id - b.id), quots: [...t.quots] });
  }
  const out = [...byKey.entries()].filter(([, t]) => t.coef !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { terms: out.map(([, t]) => t) };
}

export const constDim = (n: number): Dim => normalize([{ coef: n, syms: [], quots: [] }]);
export const symDim = (s: DimSymbol): Dim => ({ terms: [{ coef: 1, syms: [s], quots: [] }] });

export function constValue(d: Dim): number | null {
  if (d.terms.length === 0) return 0;
  if (d.terms.length === 1 && d.terms[0].syms.length === 0 && d.terms[0].quots.length === 0) return d.terms[0].coef;
  return null;
}

export const dimEq = (a: Dim, b: Dim): boolean => dimKey(a) === dimKey(b);

export const addDim = (a: Dim, b: Dim): Dim => normalize([...a.terms, ...b.terms]);
export const negDim = (a: Dim): Dim => normalize(a.terms.map((t) => ({ ...t, coef: -t.coef })));
export const subDim = (a: Dim, b: Dim): Dim => addDim(a, negDim(b));

function mulTerm(a: Term, b: Term): Term[] {
  let t: Term = { coef: a.coef * b.coef, syms: [...a.syms, ...b.syms], quots: [...a.quots, ...b.quots] };
  // Cancel a quotient's denominator against the term's own factors: h * (d / h) = d.
  for (let i = 0; i < t.quots.length; i++) {
    const q = t.quots[i];
    const den = q.den.terms[0];
    const rest = removeFactor(t, den);
    if (rest) {
      const others = { ...rest, quots: rest.quots.filter((_, j) => j !== i) };
      return q.num.terms.flatMap((nt) => mulTerm(others, nt));
    }
  }
  return [t];
}

/** t / den if den's symbols and coefficient divide t exactly, else null. */
function removeFactor(t: Term, den: Term): Term | null {
  if (den.quots.length || t.coef % den.coef !== 0) return null;
  const syms = [...t.syms];
  for (const s of den.syms) {
    const i = syms.findIndex((x) => x.id === s.id);
    if (i < 0) return null;
    syms.splice(i, 1);
  }
  return { coef: t.coef / den.coef, syms, quots: t.quots };
}

export function mulDim(a: Dim, b: Dim): Dim {
  const out: Term[] = [];
  for (const x of a.terms) for (const y of b.terms) out.push(...mulTerm(x, y));
  return normalize(out);
}

/** Exact division. Returns null when both are constants and the division is not exact. */
export function divDim(a: Dim, b: Dim): Dim | null {
  const bv = constValue(b);
  if (bv !== null) {
    if (bv === 0) return null;
    const av = constValue(a);
    if (av !== null) return av % bv === 0 ? constDim(av / bv) : null;
  }
  if (b.terms.length === 1) {
    const den = b.terms[0];
    const divided = a.terms.map((t) => removeFactor(t, den));
    if (divided.every((t) => t !== null)) return normalize(divided as Term[]);
    return normalize([{ coef: 1, syms: [], quots: [{ num: a, den: b }] }]);
  }
  // Division by a sum: keep it as an opaque quotient over a single synthetic term.
  return normalize([{ coef: 1, syms: [], quots: [{ num: a, den: { terms: [{ coef: 1, syms: [freshSymbol(`(${showDim(b)})`, 'quotient')], quots: [] }] } }] }]);
}

export function showDim(d: Dim): string {
  if (d.terms.length === 0) return '0';
  const parts = d.terms.map((t, i) => {
    const factors = [...t.syms.map((s) => s.name), ...t.quots.map((q) => `(${showDim(q.num)}) / ${showDim(q.den)}`.replace(/^\(([A-Za-z_0-9]+)\)/, '$1'))];
    const mag = Math.abs(t.coef);
    const body = factors.length === 0 ? String(mag) : mag === 1 ? factors.join(' * ') : `${mag} * ${factors.join(' * ')}`;
    if (i === 0) return t.coef < 0 ? `-${body}` : body;
    return t.coef < 0 ? ` - ${body}` : ` + ${body}`;
  });
  return parts.join('');
}

/** Symbols a dimension mentions. */
export function dimSymbols(d: Dim): DimSymbol[] {
  const out: DimSymbol[] = [];
  for (const t of d.terms) {
    out.push(...t.syms);
    for (const q of t.quots) out.push(...dimSymbols(q.num), ...dimSymbols(q.den));
  }
  return out;
}

/** Replace symbols by dimensions (for instantiating signatures and config values). */
export function substDim(d: Dim, map: (s: DimSymbol) => Dim | undefined): Dim {
  let acc = constDim(0);
  for (const t of d.terms) {
    let term = constDim(t.coef);
    for (const s of t.syms) term = mulDim(term, map(s) ?? symDim(s));
    for (const q of t.quots) term = mulDim(term, divDim(substDim(q.num, map), substDim(q.den, map)) ?? constDim(0));
    acc = addDim(acc, term);
  }
  return acc;
}
