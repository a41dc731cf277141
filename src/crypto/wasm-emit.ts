// Emitting small WebAssembly modules byte by byte (no toolchain), shared by the hand-written
// kernels (src/crypto/he/mac-wasm.ts, src/crypto/ot/ferret/lpn-wasm.ts): LEB128 numbers, vectors,
// sections, the opcodes they use, and the parts of the WebAssembly JavaScript API they call.
// Binary format: WebAssembly Core Specification 2.0, §5 (SIMD opcodes after the 0xfd prefix).

export const I32 = 0x7f, I64 = 0x7e, V128 = 0x7b;
export const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, void: 0x40, select: 0x1b,
  get: 0x20, set: 0x21, tee: 0x22,
  i32c: 0x41, i64c: 0x42,
  ld32: 0x28, ld64: 0x29, st32: 0x36, st64: 0x37,
  i32eqz: 0x45, i32eq: 0x46, if: 0x04, i32add: 0x6a, i32sub: 0x6b, i32shl: 0x74, i32geu: 0x4f,
  i32ltu: 0x49, i32mul: 0x6c, i32shru: 0x76,
  i64add: 0x7c, i64sub: 0x7d, i64mul: 0x7e, i64and: 0x83, i64or: 0x84, i64shl: 0x86, i64shru: 0x88,
  i64ltu: 0x54, i64geu: 0x5a, i64remu: 0x82, wrap: 0xa7, extU: 0xad, call: 0x10, simd: 0xfd,
};

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

export function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
export const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
export const get = (i: number) => [op.get, i];
export const set = (i: number) => [op.set, i];
export const tee = (i: number) => [op.tee, i];
export const i64c = (v: bigint) => [op.i64c, ...sleb(v)];
export const i32c = (v: number) => [op.i32c, ...sleb(BigInt(v))];
/** `for (;count != 0; count--) body` around a body that advances its own pointers. */
export const countdown = (count: number, body: number[]) => [
  op.block, op.void, op.loop, op.void,
  ...get(count), op.i32eqz, op.brIf, 1,
  ...body,
  ...get(count), ...i32c(1), op.i32sub, ...set(count),
  op.br, 0, op.end, op.end,
];
/** A function body: its locals (count, type) and code. */
export const code = (locals: [number, number][], body: number[]) => {
  const b = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...body, op.end];
  return [...uleb(b.length), ...b];
};

/** The parts of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
export const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

/** A kernel's exported memory. */
export interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
