// A small WebAssembly kernel for the server's ct×pt products in the NTT domain: lazy 128-bit
// multiply-accumulate of residues below 2^60, and the final reduction mod their prime p.
// SEAL's multiplyPlain reduces every product (Barrett on a 128-bit product, three 64×64 → 128
// multiplications emulated with 32-bit halves in wasm32) and a separate addInplace pass adds it;
// here each product is one 64×64 → 128 multiplication (four i64.mul) added to a 128-bit
// accumulator, and the reduction runs once per result coefficient (docs/he.md, "Products outside
// SEAL"). The module is emitted byte by byte below (no toolchain), from this description:
//
//   mac(acc, a, w, count):   for i < count: acc[i] += a[i]·w[i]      (acc: u128 pairs lo, hi)
//   mac2(acc, a, w, count):  mac(acc, a, w, count); mac(acc + 16·count, a + 8·count, w, count)
//   reduce(out, acc, count, p, r, rs, stride): for i < count: out[i] = acc[i] mod p, out advancing
//     by stride bytes (8: residues; 16 with out = acc: fold an accumulator in place)
//   lift(out, in, count, mask, half, inc): out[i] = x + (x >= half ? inc : 0), x = in[i] & mask: a
//     plaintext coefficient mod t lifted to [-t/2, t/2) mod p (inc = p - t), as SEAL's transform does
//   ntt(a, n, roots, rootsQ, p): the forward negacyclic NTT of n residues in place (Cooley-Tukey,
//     roots ψ^brv(k) in bit-reversed order, Harvey's lazy butterflies with Shoup's quotients
//     rootsQ[k] = ⌊roots[k]·2^64 / p⌋; values in [0, 4p) between stages, [0, p) at the end):
//     the transform SEAL applies to a plaintext (the tables are checked against SEAL, mac.ts)
//
// Bounds: a[i], w[i] < 2^60, so a product is < 2^120 and an accumulator holds 255 of them
// (plus a residue) below 2^128; the caller folds accumulators (reduce in place) before more.
// reduce: x = hi·2^64 + lo ≡ hi·r + lo (r = 2^64 mod p), hi·r mod p by Shoup's precomputed quotient
// rs = ⌊r·2^64 / p⌋, lo mod p by a division; p < 2^60 (checked by the caller).

import { code, countdown, get, i32c, i64c, I32, I64, op, section, set, str, tee, uleb, vec, wasm } from '../wasm-emit.ts';

const ld = (offset = 0) => [op.ld64, 3, ...uleb(offset)];
const st = (offset = 0) => [op.st64, 3, ...uleb(offset)];
const M32 = 0xffffffffn;

// mac(acc i32, a i32, w i32, count i32); locals: 4 x, 5 y, 6 lo, 7 hi, 8 mid, 9 t
const macBody = [
  ...countdown(3, [
    ...get(1), ...ld(), ...set(4), // x = a[i]
    ...get(2), ...ld(), ...set(5), // y = w[i]
    // mid = xl·yh + xh·yl (< 2^61)
    ...get(4), ...i64c(M32), op.i64and, ...get(5), ...i64c(32n), op.i64shru, op.i64mul,
    ...get(4), ...i64c(32n), op.i64shru, ...get(5), ...i64c(M32), op.i64and, op.i64mul, op.i64add, ...set(8),
    // t = xl·yl; lo = t + (mid << 32); hi = xh·yh + (mid >> 32) + (lo < t)
    ...get(4), ...i64c(M32), op.i64and, ...get(5), ...i64c(M32), op.i64and, op.i64mul, ...tee(9),
    ...get(8), ...i64c(32n), op.i64shl, op.i64add, ...tee(6), ...get(9), op.i64ltu, op.extU,
    ...get(4), ...i64c(32n), op.i64shru, ...get(5), ...i64c(32n), op.i64shru, op.i64mul, op.i64add,
    ...get(8), ...i64c(32n), op.i64shru, op.i64add, ...set(7),
    // acc.lo += lo (carry c); acc.hi += hi + c
    ...get(0), ...get(0), ...ld(0), ...get(6), op.i64add, ...tee(9), ...st(0),
    ...get(0), ...get(0), ...ld(8), ...get(7), op.i64add, ...get(9), ...get(6), op.i64ltu, op.extU, op.i64add, ...st(8),
    ...get(0), ...i32c(16), op.i32add, ...set(0),
    ...get(1), ...i32c(8), op.i32add, ...set(1),
    ...get(2), ...i32c(8), op.i32add, ...set(2),
  ]),
];

// mac2(acc, a, w, count): both polynomials of a ciphertext by the same plaintext.
const mac2Body = [
  ...get(0), ...get(1), ...get(2), ...get(3), op.call, 0,
  ...get(0), ...get(3), ...i32c(4), op.i32shl, op.i32add,
  ...get(1), ...get(3), ...i32c(3), op.i32shl, op.i32add,
  ...get(2), ...get(3), op.call, 0,
];

// reduce(out i32, acc i32, count i32, p i64, r i64, rs i64, stride i32): out[i] = acc[i] mod p, out
// advancing by stride bytes; stride 16 writes a 0 high word too (fold: reduce in place).
// x = hi·2^64 + lo ≡ hi·r + lo with r = 2^64 mod p: hi·r mod p by Shoup's method with
// rs = ⌊r·2^64 / p⌋ (q = ⌊hi·rs / 2^64⌋, hi·r − q·p ∈ [0, 2p)), lo mod p by i64.rem_u.
const R = { out: 0, acc: 1, count: 2, p: 3, r: 4, rs: 5, stride: 6, hi: 7, lo: 8, t: 9, z: 10, ll: 11, lh: 12, hl: 13, mid: 14 };
const lo32 = (i: number) => [...get(i), ...i64c(M32), op.i64and];
const hi32 = (i: number) => [...get(i), ...i64c(32n), op.i64shru];
/** ⌊a·b / 2^64⌋ of locals a, b (four 32 × 32 → 64 products), left on the stack; t: four scratch i64 locals. */
const mulhiWith = (a: number, b: number, t: [number, number, number, number]) => {
  const [ll, lh, hl, mid] = t;
  return [
    ...lo32(a), ...lo32(b), op.i64mul, ...set(ll),
    ...lo32(a), ...hi32(b), op.i64mul, ...set(lh),
    ...hi32(a), ...lo32(b), op.i64mul, ...set(hl),
    ...hi32(ll), ...lo32(lh), op.i64add, ...lo32(hl), op.i64add, ...set(mid),
    ...hi32(a), ...hi32(b), op.i64mul, ...hi32(lh), op.i64add, ...hi32(hl), op.i64add, ...hi32(mid), op.i64add,
  ];
};
const mulhi = (a: number, b: number) => mulhiWith(a, b, [R.ll, R.lh, R.hl, R.mid]);
/** local x = x >= m ? x - m : x (branch-free), m a local */
const condSubBy = (x: number, m: number) => [...get(x), ...get(m), op.i64sub, ...get(x), ...get(x), ...get(m), op.i64geu, op.select, ...set(x)];
const condSub = (x: number) => condSubBy(x, R.p);
const reduceBody = [
  ...countdown(R.count, [
    ...get(R.acc), ...ld(8), ...set(R.hi),
    ...get(R.acc), ...ld(0), ...set(R.lo),
    // t = hi·r − ⌊hi·rs / 2^64⌋·p (mod 2^64; in [0, 2p)), then < p
    ...get(R.hi), ...get(R.r), op.i64mul, ...mulhi(R.hi, R.rs), ...get(R.p), op.i64mul, op.i64sub, ...set(R.t),
    ...condSub(R.t),
    // z = t + lo mod p
    ...get(R.t), ...get(R.lo), ...get(R.p), op.i64remu, op.i64add, ...set(R.z),
    ...condSub(R.z),
    ...get(R.out), ...get(R.z), ...st(0),
    ...get(R.stride), ...i32c(16), op.i32eq, op.if, op.void, ...get(R.out), ...i64c(0n), ...st(8), op.end,
    ...get(R.out), ...get(R.stride), op.i32add, ...set(R.out),
    ...get(R.acc), ...i32c(16), op.i32add, ...set(R.acc),
  ]),
];

// lift(out i32, in i32, count i32, mask i64, half i64, inc i64); local 6 x
const liftBody = [
  ...countdown(2, [
    ...get(0),
    ...get(1), ...ld(), ...get(3), op.i64and, ...tee(6), ...get(5), op.i64add, ...get(6), ...get(6), ...get(4), op.i64geu, op.select,
    ...st(),
    ...get(0), ...i32c(8), op.i32add, ...set(0),
    ...get(1), ...i32c(8), op.i32add, ...set(1),
  ]),
];

/** `while (cond) body`, cond leaving an i32 on the stack. */
const whileDo = (cond: number[], body: number[]) => [
  op.block, op.void, op.loop, op.void, ...cond, op.i32eqz, op.brIf, 1, ...body, op.br, 0, op.end, op.end,
];
// ntt(a i32, n i32, roots i32, rootsQ i32, p i64); i32 locals 5 m, 6 gap (bytes), 7 i, 8 j, 9 end;
// i64 locals 10 W, 11 Wq, 12 X, 13 Y, 14 Q, 15 twoP, 16..19 mulhi scratch.
const T = { a: 0, n: 1, roots: 2, rootsQ: 3, p: 4, m: 5, gap: 6, i: 7, j: 8, end: 9, W: 10, Wq: 11, X: 12, Y: 13, Q: 14, twoP: 15 };
const nttBody = [
  ...get(T.p), ...i64c(1n), op.i64shl, ...set(T.twoP),
  ...i32c(1), ...set(T.m),
  ...get(T.n), ...i32c(2), op.i32shl, ...set(T.gap), // (n/2)·8 bytes
  ...whileDo([...get(T.m), ...get(T.n), op.i32ltu], [
    ...i32c(0), ...set(T.i),
    ...whileDo([...get(T.i), ...get(T.m), op.i32ltu], [
      // W = roots[m + i], Wq = rootsQ[m + i]
      ...get(T.roots), ...get(T.m), ...get(T.i), op.i32add, ...i32c(3), op.i32shl, op.i32add, ...ld(), ...set(T.W),
      ...get(T.rootsQ), ...get(T.m), ...get(T.i), op.i32add, ...i32c(3), op.i32shl, op.i32add, ...ld(), ...set(T.Wq),
      // j = a + 2·i·gap, end = j + gap
      ...get(T.a), ...get(T.i), ...get(T.gap), op.i32mul, ...i32c(1), op.i32shl, op.i32add, ...tee(T.j), ...get(T.gap), op.i32add, ...set(T.end),
      ...whileDo([...get(T.j), ...get(T.end), op.i32ltu], [
        ...get(T.j), ...ld(), ...set(T.X),
        ...condSubBy(T.X, T.twoP),
        ...get(T.j), ...get(T.gap), op.i32add, ...ld(), ...set(T.Y),
        // Q = W·Y − ⌊Wq·Y / 2^64⌋·p (mod 2^64), in [0, 2p)
        ...get(T.W), ...get(T.Y), op.i64mul, ...mulhiWith(T.Wq, T.Y, [16, 17, 18, 19]), ...get(T.p), op.i64mul, op.i64sub, ...set(T.Q),
        ...get(T.j), ...get(T.X), ...get(T.Q), op.i64add, ...st(),
        ...get(T.j), ...get(T.gap), op.i32add, ...get(T.X), ...get(T.twoP), op.i64add, ...get(T.Q), op.i64sub, ...st(),
        ...get(T.j), ...i32c(8), op.i32add, ...set(T.j),
      ]),
      ...get(T.i), ...i32c(1), op.i32add, ...set(T.i),
    ]),
    ...get(T.m), ...i32c(1), op.i32shl, ...set(T.m),
    ...get(T.gap), ...i32c(1), op.i32shru, ...set(T.gap),
  ]),
  // [0, 4p) -> [0, p)
  ...get(T.a), ...set(T.j),
  ...countdown(T.n, [
    ...get(T.j), ...ld(), ...set(T.X),
    ...condSubBy(T.X, T.twoP),
    ...condSubBy(T.X, T.p),
    ...get(T.j), ...get(T.X), ...st(),
    ...get(T.j), ...i32c(8), op.i32add, ...set(T.j),
  ]),
];

/** The kernel module's bytes (deterministic). */
export function macModuleBytes(): Uint8Array {
  const types = vec([
    [0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([])], // mac, mac2
    [0x60, ...vec([[I32], [I32], [I32], [I64], [I64], [I64], [I32]]), ...vec([])], // reduce
    [0x60, ...vec([[I32], [I32], [I32], [I64], [I64], [I64]]), ...vec([])], // lift
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I64]]), ...vec([])], // ntt
  ]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, vec([[0], [0], [1], [2], [3]])),
    ...section(5, vec([[0x00, ...uleb(1)]])), // memory: 1 page, grows on demand
    ...section(7, vec([
      [...str('memory'), 0x02, 0],
      [...str('mac'), 0x00, 0],
      [...str('mac2'), 0x00, 1],
      [...str('reduce'), 0x00, 2],
      [...str('lift'), 0x00, 3],
      [...str('ntt'), 0x00, 4],
    ])),
    ...section(10, vec([
      code([[6, I64]], macBody),
      code([], mac2Body),
      code([[8, I64]], reduceBody),
      code([[1, I64]], liftBody),
      code([[5, I32], [10, I64]], nttBody),
    ])),
  ];
  return Uint8Array.from(bytes);
}

export interface MacKernel {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  mac(acc: number, a: number, w: number, count: number): void;
  mac2(acc: number, a: number, w: number, count: number): void;
  reduce(out: number, acc: number, count: number, p: bigint, r: bigint, rs: bigint, stride: number): void;
  lift(out: number, inp: number, count: number, mask: bigint, half: bigint, inc: bigint): void;
  ntt(a: number, n: number, roots: number, rootsQ: number, p: bigint): void;
}

let compiled: object | null = null;

/** A new kernel instance (its own memory: one per thread that uses it). */
export function macKernel(): MacKernel {
  compiled ??= new wasm.Module(macModuleBytes());
  return new wasm.Instance(compiled).exports as unknown as MacKernel;
}
