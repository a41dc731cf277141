// The LPN map's gather (lpn.ts; Ferret, Yang et al., CCS 2020, Fig. 7 step 4) as a small
// WebAssembly kernel with 128-bit SIMD loads, emitted byte by byte (no toolchain), as
// src/crypto/he/mac-wasm.ts emits its kernel. From this description:
//
//   lpn(x, y, w, m, k): for j < m: y[j] ^= ⊕_{e<d} x[⌊w[d·j + e]·k / 2^32⌋]
//     x: the k secret blocks (16 bytes each), y: m output blocks, w: the d·m raw 32-bit words of the
//     matrix stream (lpn.ts, `matrixStream`), k: the secret length (< 2^31); pointers in bytes.
//   rows(out, w, c, k): out[i] = ⌊w[i]·k / 2^32⌋ << 4 for i < c: the byte offsets of the rows
//     (kept tables of small matrices, lpn.ts), then
//   lpnIdx(x, y, o, m): y[j] ^= ⊕_{e<d} x[o[d·j + e]] with byte offsets o (as rows leaves them).
//
// The row map ⌊w·k / 2^32⌋ is an exact 64-bit product and shift here, the same integer as lpn.ts's
// double-precision form (w·k < 2^52). The d loads of a column are independent (their addresses
// come from the stream, not from the accumulator), so the CPU overlaps their cache misses; one
// v128 load per secret block replaces four 32-bit loads with their bounds checks.

const I32 = 0x7f, I64 = 0x7e, V128 = 0x7b;
const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, void: 0x40,
  get: 0x20, set: 0x21, i32c: 0x41, i64c: 0x42,
  ld32: 0x28, st32: 0x36, i32eqz: 0x45, i32add: 0x6a, i32sub: 0x6b, i32shl: 0x74,
  i64mul: 0x7e, i64shru: 0x88, wrap: 0xa7, extU: 0xad, simd: 0xfd,
};
/** SIMD sub-opcodes (prefix 0xfd). */
const simd = { load: 0x00, store: 0x0b, xor: 0x51 };

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const get = (i: number) => [op.get, i];
const set = (i: number) => [op.set, i];
/** Signed LEB128 of an i32 (constants). */
function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}
const i32c = (v: number) => [op.i32c, ...sleb(v)];
const ld32 = (offset: number) => [op.ld32, 2, ...uleb(offset)];
const ldv = (offset = 0) => [op.simd, simd.load, 4, ...uleb(offset)];
const stv = (offset = 0) => [op.simd, simd.store, 4, ...uleb(offset)];
const vxor = [op.simd, simd.xor];
/** local += by (i32). */
const bump = (local: number, by: number) => [...get(local), ...i32c(by), op.i32add, ...set(local)];
/** `for (; count != 0; count--) body`, the body advancing its own pointers. */
const countdown = (count: number, body: number[]) => [
  op.block, op.void, op.loop, op.void,
  ...get(count), op.i32eqz, op.brIf, 1,
  ...body,
  ...get(count), ...i32c(1), op.i32sub, ...set(count),
  op.br, 0, op.end, op.end,
];
/** ⌊w·k / 2^32⌋ << 4 of the stack's i32 word w, with local kk the i64 k. */
const rowOffset = (kk: number) => [op.extU, ...get(kk), op.i64mul, op.i64c, 32, op.i64shru, op.wrap, ...i32c(4), op.i32shl];

/** y[j] ^= d loads of x, column by column; `offset(e)` leaves row e's byte offset on the stack. */
const gatherBody = (d: number, x: number, y: number, m: number, acc: number, offset: (e: number) => number[], src: number) => countdown(m, [
  ...get(y), ...ldv(), ...set(acc),
  ...Array.from({ length: d }, (_, e) => [...get(acc), ...get(x), ...offset(e), op.i32add, ...ldv(), ...vxor, ...set(acc)]).flat(),
  ...get(y), ...get(acc), ...stv(),
  ...bump(y, 16), ...bump(src, 4 * d),
]);

// lpn(x, y, w, m, k); locals 5 kk (i64), 6 acc (v128)
const lpnBody = (d: number) => [
  ...get(4), op.extU, ...set(5),
  ...gatherBody(d, 0, 1, 3, 6, (e) => [...get(2), ...ld32(4 * e), ...rowOffset(5)], 2),
];
// rows(out, w, c, k); local 4 kk (i64)
const rowsBody = [
  ...get(3), op.extU, ...set(4),
  ...countdown(2, [...get(0), ...get(1), ...ld32(0), ...rowOffset(4), op.st32, 2, 0, ...bump(0, 4), ...bump(1, 4)]),
];
// lpnIdx(x, y, o, m); local 4 acc (v128)
const lpnIdxBody = (d: number) => gatherBody(d, 0, 1, 3, 4, (e) => [...get(2), ...ld32(4 * e)], 2);

const code = (locals: [number, number][], body: number[]) => {
  const b = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...body, op.end];
  return [...uleb(b.length), ...b];
};

/** The kernel module's bytes for columns of weight d (deterministic). */
export function lpnModuleBytes(d: number): Uint8Array {
  if (!Number.isInteger(d) || d < 1 || d > 64) throw new RangeError(`LPN kernel: column weight ${d} out of range`);
  const types = vec([
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), ...vec([])], // lpn
    [0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([])], // rows, lpnIdx
  ]);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, vec([[0], [1], [1]])),
    ...section(5, vec([[0x00, ...uleb(1)]])), // memory: 1 page, grows on demand
    ...section(7, vec([
      [...str('memory'), 0x02, 0],
      [...str('lpn'), 0x00, 0],
      [...str('rows'), 0x00, 1],
      [...str('lpnIdx'), 0x00, 2],
    ])),
    ...section(10, vec([
      code([[1, I64], [1, V128]], lpnBody(d)),
      code([[1, I64]], rowsBody),
      code([[1, V128]], lpnIdxBody(d)),
    ])),
  ]);
}

/** The parts of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

export interface LpnKernel {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  lpn(x: number, y: number, w: number, m: number, k: number): void;
  rows(out: number, w: number, c: number, k: number): void;
  lpnIdx(x: number, y: number, o: number, m: number): void;
}

const compiled = new Map<number, object>();
const instances = new Map<number, LpnKernel>();

/** This thread's kernel for column weight d (one instance, and so one memory, per thread and d). */
export function lpnKernel(d: number): LpnKernel {
  let k = instances.get(d);
  if (!k) {
    let m = compiled.get(d);
    if (!m) compiled.set(d, (m = new wasm.Module(lpnModuleBytes(d))));
    instances.set(d, (k = new wasm.Instance(m).exports as unknown as LpnKernel));
  }
  return k;
}

/** Grow `k`'s memory to at least `bytes`. */
export function reserve(k: LpnKernel, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
}
