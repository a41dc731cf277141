// Primal LPN encoding of Ferret (Yang et al., CCS 2020, §3.1, Fig. 7 step 4): y = x·A ⊕ e, with
// a public k × n matrix A whose every column j has d ones, i.e. y_j = e_j ⊕ ⊕_{m<d} x_{A(j,m)}.
// Both parties apply it to 128-bit blocks: the sender to its COT blocks, the receiver to its blocks
// (whose least significant bit carries its choice bit, so the same pass yields the new choices).
//
// A is a fixed public matrix, the same in every iteration of a parameter set: the row indices of
// column j are d 32-bit words of an AES-128-CTR stream under a public key derived from (n, k, d),
// each mapped to [0, k) by ⌊w·k / 2^32⌋ (bias < k/2^32, immaterial for a public random matrix).
// Small matrices (the setup parameters') are generated once per process and kept; large ones are
// regenerated on the fly in slices (storing FERRET_MAIN's would take n·d·4 bytes, 432 MB).
// The gather runs in a WebAssembly kernel (lpn-wasm.ts); the JavaScript gather below is its
// reference (`impl: 'js'`), word for word the same map (test/ot/ferret-parts.test.ts).
import { createCipheriv, createHash } from 'node:crypto';
import { words } from '../bits.ts';
import type { LpnParams } from './params.ts';
import { KERNEL_MAX_D, lpnKernel, reserve } from './lpn-wasm.ts';

const SLICE = 1 << 12;
/**
 * Columns per kernel call: 40 KB of matrix stream per AES call. node:crypto allocates every
 * call's output; above glibc's mmap threshold (128 KB) each call touches fresh pages, which cost
 * 50–75 ns per COT here against 7–8 ns at 40 KB.
 */
const KSLICE = 1 << 10;
/** Secrets the kernel takes (byte offsets 16·row stay below 2^31 in its 32-bit memory); larger ones, or d > KERNEL_MAX_D, use the reference. */
const KERNEL_MAX_K = 1 << 26;

/**
 * Matrices of at most this many entries (n·d) are generated once per process and kept (the setup
 * parameters: 6.5 M entries, 26 MB); larger ones (FERRET_MAIN: 108 M entries, 432 MB) are
 * regenerated on the fly in every iteration.
 */
export const LPN_TABLE_LIMIT = 1 << 23;

const tables = new Map<string, Uint32Array>();

function matrixStream(p: LpnParams) {
  const key = createHash('sha256').update(`cipherprune/ferret/lpn/${p.n}/${p.k}/${p.d}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, new Uint8Array(16));
}

/** Row indices of columns from .. from+m as word offsets (4·row): ⌊w·k / 2^32⌋, exact in doubles (w·k < 2^52). */
function mapRows(w: Uint32Array, k: number, idx: Uint32Array, count: number): void {
  for (let i = 0; i < count; i++) idx[i] = ((w[i] * k) / 4294967296) << 2; // ToInt32 truncates = floor (k < 2^29)
}

/** The index table of `p` (n·d word offsets 4·row), generated now. */
function buildTable(p: LpnParams): Uint32Array {
  const t = new Uint32Array(p.n * p.d);
  const stream = matrixStream(p), zeros = new Uint8Array(4 * p.d * SLICE);
  for (let from = 0; from < p.n; from += SLICE) {
    const m = Math.min(SLICE, p.n - from), c = p.d * m;
    mapRows(words(stream.update(m === SLICE ? zeros : zeros.subarray(0, 4 * c))), p.k, t.subarray(p.d * from, p.d * from + c), c);
  }
  return t;
}

/**
 * The kept table of `p`, generated once per process and unit: word offsets 4·row (`shift` 0, the
 * reference gather) or byte offsets 16·row (`shift` 2, the kernel's lpnIdx); each is kept only
 * once used.
 */
function table(p: LpnParams, shift = 0): Uint32Array {
  const key = `${p.n}/${p.k}/${p.d}/${shift}`;
  let t = tables.get(key);
  if (!t) {
    t = buildTable(p);
    if (shift) for (let i = 0; i < t.length; i++) t[i] <<= shift;
    tables.set(key, t);
  }
  return t;
}

export interface LpnOptions {
  /** false: regenerate even a small matrix (tests compare both paths). */
  cache?: boolean;
  /** 'wasm': the SIMD kernel of lpn-wasm.ts; 'js': the reference gather below (tests, bench A/B). */
  impl?: 'wasm' | 'js';
}

/** Default implementation: the kernel; `CIPHERPRUNE_LPN=js` selects the reference for a process or worker (benchmarks' before/after). */
const defaultImpl = (): 'wasm' | 'js' => (process.env.CIPHERPRUNE_LPN === 'js' ? 'js' : 'wasm');

/**
 * y ^= x·A in place: `x` holds the k secret blocks (4 words each), `y` the n noise blocks (the
 * GGM leaves, 4 words each). Both implementations give the same words.
 */
export function lpnEncode(p: LpnParams, x: Uint32Array, y: Uint32Array, { cache = true, impl = defaultImpl() }: LpnOptions = {}): void {
  if (x.length < 4 * p.k || y.length < 4 * p.n) throw new RangeError(`LPN: need ${p.k} secret and ${p.n} output blocks`);
  const kept = cache && p.n * p.d <= LPN_TABLE_LIMIT;
  if (impl === 'wasm' && p.k <= KERNEL_MAX_K && p.d <= KERNEL_MAX_D) lpnWasm(p, x, y, kept);
  else lpnJs(p, x, y, kept);
}

function lpnJs(p: LpnParams, x: Uint32Array, y: Uint32Array, kept: boolean): void {
  const d = p.d;
  if (kept) {
    const t = table(p);
    if (d === 10) gather10(x, y, t, 0, p.n);
    else gather(x, y, t, 0, p.n, d);
    return;
  }
  const stream = matrixStream(p);
  const zeros = new Uint8Array(4 * d * SLICE);
  const idx = new Uint32Array(d * SLICE);
  for (let from = 0; from < p.n; from += SLICE) {
    const m = Math.min(SLICE, p.n - from);
    mapRows(words(stream.update(m === SLICE ? zeros : zeros.subarray(0, 4 * d * m))), p.k, idx, d * m);
    if (d === 10) gather10(x, y, idx, 4 * from, m);
    else gather(x, y, idx, 4 * from, m, d);
  }
}

/**
 * The kernel's memory: x at 0, then one slice's stream words (or table offsets) at `w`, then one
 * slice of outputs at `o`. Each slice: its words in, the outputs in, the kernel, the outputs out.
 */
function lpnWasm(p: LpnParams, x: Uint32Array, y: Uint32Array, kept: boolean): void {
  const d = p.d, kern = lpnKernel(d), xBytes = 16 * p.k;
  const w = (xBytes + 15) & ~15, o = w + 4 * d * KSLICE;
  reserve(kern, o + 16 * KSLICE);
  const mem = kern.memory.buffer;
  new Uint32Array(mem, 0, 4 * p.k).set(x.subarray(0, 4 * p.k));
  const wv = new Uint32Array(mem, w, d * KSLICE), ov = new Uint32Array(mem, o, 4 * KSLICE);
  const t = kept ? table(p, 2) : null, stream = kept ? null : matrixStream(p), zeros = kept ? null : new Uint8Array(4 * d * KSLICE);
  for (let from = 0; from < p.n; from += KSLICE) {
    const m = Math.min(KSLICE, p.n - from), out = y.subarray(4 * from, 4 * (from + m));
    if (t) wv.set(t.subarray(d * from, d * (from + m)));
    else wv.set(words(stream!.update(m === KSLICE ? zeros! : zeros!.subarray(0, 4 * d * m))));
    ov.set(out);
    if (t) kern.lpnIdx(0, o, w, m);
    else kern.lpn(0, o, w, m, p.k);
    out.set(ov.subarray(0, 4 * m));
  }
}

/** Columns of weight 10 (Ferret's d), unrolled: ten independent loads per word let the CPU overlap the cache misses. */
function gather10(x: Uint32Array, y: Uint32Array, idx: Uint32Array, o: number, m: number): void {
  for (let j = 0, r = 0; j < m; j++, o += 4, r += 10) {
    const i0 = idx[r], i1 = idx[r + 1], i2 = idx[r + 2], i3 = idx[r + 3], i4 = idx[r + 4];
    const i5 = idx[r + 5], i6 = idx[r + 6], i7 = idx[r + 7], i8 = idx[r + 8], i9 = idx[r + 9];
    y[o] ^= x[i0] ^ x[i1] ^ x[i2] ^ x[i3] ^ x[i4] ^ x[i5] ^ x[i6] ^ x[i7] ^ x[i8] ^ x[i9];
    y[o + 1] ^= x[i0 + 1] ^ x[i1 + 1] ^ x[i2 + 1] ^ x[i3 + 1] ^ x[i4 + 1] ^ x[i5 + 1] ^ x[i6 + 1] ^ x[i7 + 1] ^ x[i8 + 1] ^ x[i9 + 1];
    y[o + 2] ^= x[i0 + 2] ^ x[i1 + 2] ^ x[i2 + 2] ^ x[i3 + 2] ^ x[i4 + 2] ^ x[i5 + 2] ^ x[i6 + 2] ^ x[i7 + 2] ^ x[i8 + 2] ^ x[i9 + 2];
    y[o + 3] ^= x[i0 + 3] ^ x[i1 + 3] ^ x[i2 + 3] ^ x[i3 + 3] ^ x[i4 + 3] ^ x[i5 + 3] ^ x[i6 + 3] ^ x[i7 + 3] ^ x[i8 + 3] ^ x[i9 + 3];
  }
}

function gather(x: Uint32Array, y: Uint32Array, idx: Uint32Array, o: number, m: number, d: number): void {
  for (let j = 0, r = 0; j < m; j++, o += 4) {
    let a0 = y[o], a1 = y[o + 1], a2 = y[o + 2], a3 = y[o + 3];
    for (let e = 0; e < d; e++, r++) {
      const s = idx[r];
      a0 ^= x[s];
      a1 ^= x[s + 1];
      a2 ^= x[s + 2];
      a3 ^= x[s + 3];
    }
    y[o] = a0;
    y[o + 1] = a1;
    y[o + 2] = a2;
    y[o + 3] = a3;
  }
}
