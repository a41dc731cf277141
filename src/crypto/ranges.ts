// Preconditions of fixed-point ops (docs/approximations.md, "Domains and errors"). A secure
// protocol cannot see the values it works on, so an input outside its safe range gives a wrong
// result, never an error; the plaintext twins check the same ranges on opened values instead.
// Without a probe a violation throws `RangeViolation` (value, element, safe range, encoding);
// with a probe (`cipherprune calibrate`) every check is recorded and nothing throws.

/** One checked quantity of one op call: its safe interval (real units) and what was seen. */
export interface RangeRecord {
  /** What is checked, e.g. 'the product before truncation', 'the input of exp'. */
  what: string;
  /** Encoding whose range applies, e.g. 'fix<32, 12>'. */
  enc: string;
  /** Safe interval [lo, hi) — or [lo, hi] when `hiIncl` — in real units. */
  lo: number;
  hi: number;
  hiIncl?: boolean;
  /** How to fix a violation (shown after the message). */
  hint?: string;
  /** The bound grows with the ring width: the violation message suggests the ring that holds
   * the largest magnitude seen (fix<ell + k, s>). */
  widen?: { ell: number; s: number };
  /** Smallest and largest value seen (real units) and how many elements were checked. */
  min: number;
  max: number;
  count: number;
  /** Elements outside the interval, and the first of them. */
  bad: number;
  first?: { index: number; value: number; detail?: string };
}

export type RangeSpec = Pick<RangeRecord, 'what' | 'enc' | 'lo' | 'hi' | 'hiIncl' | 'hint' | 'widen'>;

/** Receives every check of a twin call (calibrate); absent: violations throw. */
export type RangeProbe = (r: RangeRecord) => void;

export class RangeViolation extends RangeError {
  override name = 'RangeViolation';
  readonly record: RangeRecord;
  constructor(record: RangeRecord) {
    const f = record.first!;
    const hint = record.hint ?? (record.widen ? widerHint(record) : undefined);
    super(`${record.what} = ${fmt(f.value)}${f.detail ? ` (${f.detail})` : ''} is outside the safe range ${showRange(record)} of ${record.enc}${hint ? `; ${hint}` : ''}`);
    this.record = record;
  }
}

/** Compact decimal for messages: integers as is, others with 6 significant digits. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(6)));
}

export const showRange = (r: Pick<RangeRecord, 'lo' | 'hi' | 'hiIncl'>): string => `[${fmt(r.lo)}, ${fmt(r.hi)}${r.hiIncl ? ']' : ')'}`;

/**
 * Bits of headroom: log2 of (the bound on the side of the largest magnitude seen / that
 * magnitude), negative when that bound was crossed; −Infinity when a one-sided domain was left
 * (x ≤ 0 for exp, x ≥ 2^−s for recip: no wider ring helps); Infinity when no value approaches a
 * bound that scales with magnitude.
 */
export function headroomBits(r: Pick<RangeRecord, 'lo' | 'hi' | 'hiIncl' | 'min' | 'max'>): number {
  if ((r.hi <= 0 && (r.hiIncl ? r.max > r.hi : r.max >= r.hi)) || (r.lo >= 0 && r.min < r.lo)) return -Infinity;
  const up = r.max > 0 && r.hi > 0 ? Math.log2(r.hi / r.max) : Infinity;
  const down = r.min < 0 && r.lo < 0 ? Math.log2(r.lo / r.min) : Infinity;
  const h = Math.min(up, down);
  // The bound itself is excluded: a value at it has no headroom left (and is outside).
  return h === 0 && (r.max >= r.hi || r.min < r.lo) ? -Number.EPSILON : h;
}

/**
 * Check real values against `spec`. `detail(i)` describes element i in the message (e.g. its
 * operands). Throws on the first violation unless a probe is given.
 */
export function checkRange(values: ArrayLike<number>, spec: RangeSpec, probe?: RangeProbe, detail?: (i: number) => string): void {
  const { lo, hi, hiIncl } = spec;
  let min = Infinity, max = -Infinity, bad = 0, firstAt = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (!(v >= lo && (hiIncl ? v <= hi : v < hi))) {
      if (firstAt < 0) firstAt = i;
      bad++;
    }
  }
  if (!probe && bad === 0) return;
  const rec: RangeRecord = { ...spec, min, max, count: values.length, bad };
  if (firstAt >= 0) rec.first = { index: firstAt, value: values[firstAt], detail: detail?.(firstAt) };
  if (probe) probe(rec);
  else throw new RangeViolation(rec);
}

export const encName = (ell: number, s?: number): string => (s === undefined ? `ring<${ell}>` : `fix<${ell}, ${s}>`);

/** Extra ring bits that would hold the largest magnitude seen (for a bound that doubles per bit). */
export function extraBits(r: Pick<RangeRecord, 'lo' | 'hi' | 'min' | 'max'>): number {
  const need = Math.max(r.max > 0 && r.hi > 0 ? r.max / r.hi : 0, r.min < 0 && r.lo < 0 ? r.min / r.lo : 0);
  return need < 1 ? 0 : Math.floor(Math.log2(need)) + 1;
}

/** The encoding that holds what was seen: fix<ell + k, s> (for `widen` ranges). */
export function widerEnc(r: RangeRecord): string | null {
  return r.widen ? encName(r.widen.ell + Math.max(1, extraBits(r)), r.widen.s) : null;
}

function widerHint(r: RangeRecord): string {
  return `use a wider ring (${widerEnc(r)} holds the largest value seen, ${fmt(Math.max(Math.abs(r.min), Math.abs(r.max)))}) or scale the values down first`;
}

// ---- the ranges of fixed point fix<ℓ, s> (real units) ----

/** Values of fix<ℓ, s>: [−2^(ℓ−1−s), 2^(ℓ−1−s)). */
export function valueSpec(ell: number, s: number, what: string): RangeSpec {
  const h = 2 ** (ell - 1 - s);
  return { what, enc: encName(ell, s), lo: -h, hi: h, widen: { ell, s } };
}

/**
 * The secure truncation's input (Cheetah's known-MSB truncation, docs/nonlinear.md): the raw
 * value at scale `t` (e.g. a product at scale 2s) must lie in [−2^(ℓ−2), 2^(ℓ−2)); in real units
 * [−2^(ℓ−2−t), 2^(ℓ−2−t)). The same bound holds for ring extension and the comparisons' clamps.
 */
export function truncSpec(ell: number, s: number, t: number, what: string): RangeSpec {
  const h = 2 ** (ell - 2 - t);
  return { what, enc: encName(ell, s), lo: -h, hi: h, widen: { ell, s } };
}

/** Signed raw values times 2^−t, as reals. */
export function realOf(signed: Float64Array, t: number): Float64Array {
  if (t === 0) return signed;
  const f = 2 ** -t, out = new Float64Array(signed.length);
  for (let i = 0; i < out.length; i++) out[i] = signed[i] * f;
  return out;
}
