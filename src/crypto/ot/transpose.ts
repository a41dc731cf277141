// Bit-matrix transpose for IKNP: 128 columns of m bits (one Uint32Array per column, bit r of
// word w = row 32w + r) into m rows of 128 bits (4 words per row, LSB-first). Works on 32×32
// blocks with the 5-stage swap network of Hacker's Delight §7-3 on a 32-word scratch block.

/** Transpose 128 columns (each `rows/32` words) into `out` (4·rows words). `rows` % 32 == 0. */
export function transpose128(cols: readonly Uint32Array[], rows: number, out: Uint32Array): void {
  if (cols.length !== 128) throw new RangeError(`transpose128 needs 128 columns, got ${cols.length}`);
  if (rows % 32 !== 0) throw new RangeError(`transpose128: rows must be a multiple of 32, got ${rows}`);
  if (out.length < rows * 4) throw new RangeError(`transpose128: output too small`);
  const a = new Int32Array(32);
  const words = rows >>> 5;
  for (let k = 0; k < 4; k++) {
    const base = k * 32;
    for (let w = 0; w < words; w++) {
      for (let j = 0; j < 32; j++) a[j] = cols[base + j][w];
      block32(a);
      let o = (w * 32) * 4 + k;
      for (let r = 0; r < 32; r++, o += 4) out[o] = a[r];
    }
  }
}

/** In-place transpose of a 32×32 bit block: bit c of a[r] ↔ bit r of a[c]. */
export function block32(a: Int32Array): void {
  let m = 0x0000ffff;
  for (let j = 16; j !== 0; j >>>= 1, m ^= m << j) {
    for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
      const t = ((a[k] >>> j) ^ a[k + j]) & m;
      a[k] ^= t << j;
      a[k + j] ^= t;
    }
  }
}
