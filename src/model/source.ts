// Input sources (docs/language.md, "Inputs and their sources"): the string after an input
// declaration names checkpoint tensors. `{l}` is the layer index (one tensor per layer, stacked
// on the input's first axis), `^T` a transpose, `[i]` a row, `[a:b]` a range of the first axis
// and `[:, a:b]` a range of columns; bounds are integers or multiples of `d`, the hidden size.
// Suffixes apply left to right.

export type Step = { kind: 'transpose' } | { kind: 'row'; index: number } | { kind: 'slice'; axis: 0 | 1; from: Bound; to: Bound };
/** An integer bound: `k · d + c`. */
export interface Bound {
  k: number;
  c: number;
}

export interface SourceRef {
  text: string;
  /** Tensor name, with `{l}` where the layer index goes. */
  name: string;
  perLayer: boolean;
  steps: Step[];
}

export class SourceError extends Error {
  override name = 'SourceError';
}

function bound(s: string, text: string): Bound {
  const m = /^\s*(\d*)\s*(d?)\s*$/.exec(s);
  if (!m || (m[1] === '' && m[2] === '')) throw new SourceError(`input source "${text}": bad bound '${s}' (an integer, d, or a multiple such as 2d)`);
  if (!m[2]) return { k: 0, c: Number(m[1]) };
  return { k: m[1] === '' ? 1 : Number(m[1]), c: 0 };
}

export function parseSource(text: string): SourceRef {
  const m = /^([^[^]+)((?:\^T|\[[^\]]*\])*)$/.exec(text);
  if (!m) throw new SourceError(`input source "${text}": expected a tensor name followed by ^T, [i], [a:b] or [:, a:b]`);
  const steps: Step[] = [];
  for (const s of m[2].match(/\^T|\[[^\]]*\]/g) ?? []) {
    if (s === '^T') {
      steps.push({ kind: 'transpose' });
      continue;
    }
    const inner = s.slice(1, -1).trim();
    const cols = /^:\s*,\s*(.+):(.+)$/.exec(inner);
    const range = /^([^,:]+):([^,:]+)$/.exec(inner);
    if (cols) steps.push({ kind: 'slice', axis: 1, from: bound(cols[1], text), to: bound(cols[2], text) });
    else if (range) steps.push({ kind: 'slice', axis: 0, from: bound(range[1], text), to: bound(range[2], text) });
    else if (/^\d+$/.test(inner)) steps.push({ kind: 'row', index: Number(inner) });
    else throw new SourceError(`input source "${text}": cannot read '${s}' (expected [i], [a:b] or [:, a:b])`);
  }
  return { text, name: m[1], perLayer: m[1].includes('{l}'), steps };
}

export const evalBound = (b: Bound, d: number): number => b.k * d + b.c;

/** One dimension of an expected raw tensor shape: exact, or at least `min`. */
export type ExpectedDim = { exact: number } | { min: number };

/** The raw tensor shape a source needs so that its steps produce `want`. */
export function expectedRawShape(ref: SourceRef, want: readonly number[], d: number): ExpectedDim[] {
  let shape: ExpectedDim[] = want.map((n) => ({ exact: n }));
  for (const s of [...ref.steps].reverse()) {
    if (s.kind === 'transpose') shape = [...shape].reverse();
    else if (s.kind === 'row') shape = [{ min: s.index + 1 }, ...shape];
    else shape = shape.map((x, i) => (i === s.axis ? { min: evalBound(s.to, d) } : x));
  }
  return shape;
}

export const showExpected = (s: ExpectedDim[]): string => `[${s.map((x) => ('exact' in x ? String(x.exact) : `≥${x.min}`)).join(', ')}]`;

export const fitsExpected = (shape: readonly number[], want: ExpectedDim[]): boolean =>
  shape.length === want.length && want.every((x, i) => ('exact' in x ? shape[i] === x.exact : shape[i] >= x.min));

/** Apply the steps to a row-major tensor that fits `expectedRawShape`. */
export function applySteps(ref: SourceRef, data: Float64Array, shape: readonly number[], d: number): { data: Float64Array; shape: number[] } {
  let cur = data;
  let sh = [...shape];
  for (const s of ref.steps) {
    if (s.kind === 'transpose') {
      if (sh.length === 1) continue;
      const [r, c] = sh;
      const o = new Float64Array(cur.length);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) o[j * r + i] = cur[i * c + j];
      cur = o;
      sh = [c, r];
    } else if (s.kind === 'row') {
      const w = cur.length / sh[0];
      cur = cur.slice(s.index * w, (s.index + 1) * w);
      sh = sh.slice(1);
    } else {
      const a = evalBound(s.from, d), b = evalBound(s.to, d);
      if (s.axis === 0) {
        const w = cur.length / sh[0];
        cur = cur.slice(a * w, b * w);
        sh = [b - a, ...sh.slice(1)];
      } else {
        const [r, c] = sh;
        const o = new Float64Array(r * (b - a));
        for (let i = 0; i < r; i++) o.set(cur.subarray(i * c + a, i * c + b), i * (b - a));
        cur = o;
        sh = [r, b - a];
      }
    }
  }
  return { data: cur, shape: sh };
}
