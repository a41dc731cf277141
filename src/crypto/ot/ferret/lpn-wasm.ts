// The LPN map's gather (lpn.ts; Ferret, Yang et al., CCS 2020, Fig. 7 step 4) as a small
// WebAssembly kernel with 128-bit SIMD loads, emitted byte by byte (no toolchain), as
// src/crypto/he/mac-wasm.ts emits its kernel. From this description:
//
//   lpn(x, y, w, m, k): for j < m: y[j] ^= ⊕_{e<d} x[⌊w[d·j + e]·k / 2^32⌋]
//     x: the k secret blocks (16 bytes each), y: m output blocks, w: the d·m raw 32-bit words of the
//     matrix stream (lpn.ts, `matrixStream`), k: the secret length (≤ 2^26, lpn.ts); pointers in bytes.
//   lpnIdx(x, y, o, m): y[j] ^= ⊕_{e<d} x[o[d·j + e]] with byte offsets o = 16·row (the kept
//     tables of small matrices, lpn.ts).
//
// The row map ⌊w·k / 2^32⌋ is an exact 64-bit product and shift here, the same integer as lpn.ts's
// double-precision form (w·k < 2^52). The d loads of a column are independent (their addresses
// come from the stream, not from the accumulator), so the CPU overlaps their cache misses; one
// v128 load per secret block replaces four 32-bit loads with their bounds checks.

import { code, countdown, get, i32c, I32, I64, type KernelMemory, op, section, set, str, uleb, vec, V128, wasm } from '../../wasm-emit.ts';

/** SIMD sub-opcodes (prefix 0xfd). */
const simd = { load: 0x00, store: 0x0b, xor: 0x51 };
const ld32 = (offset: number) => [op.ld32, 2, ...uleb(offset)];
const ldv = (offset = 0) => [op.simd, simd.load, 4, ...uleb(offset)];
const stv = (offset = 0) => [op.simd, simd.store, 4, ...uleb(offset)];
const vxor = [op.simd, simd.xor];
/** local += by (i32). */
const bump = (local: number, by: number) => [...get(local), ...i32c(by), op.i32add, ...set(local)];
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
// lpnIdx(x, y, o, m); local 4 acc (v128)
const lpnIdxBody = (d: number) => gatherBody(d, 0, 1, 3, 4, (e) => [...get(2), ...ld32(4 * e)], 2);

/** Column weights the kernel unrolls (the paper's d = 10). */
export const KERNEL_MAX_D = 64;

/** The kernel module's bytes for columns of weight d (deterministic). */
export function lpnModuleBytes(d: number): Uint8Array {
  if (!Number.isInteger(d) || d < 1 || d > KERNEL_MAX_D) throw new RangeError(`LPN kernel: column weight ${d} out of range`);
  const types = vec([
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), ...vec([])], // lpn
    [0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([])], // lpnIdx
  ]);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, vec([[0], [1]])),
    ...section(5, vec([[0x00, ...uleb(1)]])), // memory: 1 page, grows on demand
    ...section(7, vec([
      [...str('memory'), 0x02, 0],
      [...str('lpn'), 0x00, 0],
      [...str('lpnIdx'), 0x00, 1],
    ])),
    ...section(10, vec([
      code([[1, I64], [1, V128]], lpnBody(d)),
      code([[1, V128]], lpnIdxBody(d)),
    ])),
  ]);
}

export interface LpnKernel {
  memory: KernelMemory;
  lpn(x: number, y: number, w: number, m: number, k: number): void;
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
