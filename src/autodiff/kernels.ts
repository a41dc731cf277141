// Dense float64 kernels for the autodiff: row-major matrix products in the three orientations
// that forward and backward passes need. Each accumulates into `out` (callers zero it first when
// they want a plain product). Loops keep the innermost index contiguous.

/** out[n, m] += a[n, k] · b[k, m] */
export function mmAdd(a: Float64Array, b: Float64Array, out: Float64Array, n: number, k: number, m: number, aOff = 0, bOff = 0, oOff = 0): void {
  for (let i = 0; i < n; i++) {
    const oi = oOff + i * m;
    const ai = aOff + i * k;
    for (let p = 0; p < k; p++) {
      const av = a[ai + p];
      if (av === 0) continue;
      const bp = bOff + p * m;
      for (let j = 0; j < m; j++) out[oi + j] += av * b[bp + j];
    }
  }
}

/** out[n, m] += a[n, k] · b[m, k]ᵀ */
export function mmAddTB(a: Float64Array, b: Float64Array, out: Float64Array, n: number, k: number, m: number, aOff = 0, bOff = 0, oOff = 0): void {
  for (let i = 0; i < n; i++) {
    const ai = aOff + i * k;
    const oi = oOff + i * m;
    for (let j = 0; j < m; j++) {
      const bj = bOff + j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      out[oi + j] += s;
    }
  }
}

/** out[k, m] += a[n, k]ᵀ · b[n, m] */
export function mmAddTA(a: Float64Array, b: Float64Array, out: Float64Array, n: number, k: number, m: number, aOff = 0, bOff = 0, oOff = 0): void {
  for (let i = 0; i < n; i++) {
    const ai = aOff + i * k;
    const bi = bOff + i * m;
    for (let p = 0; p < k; p++) {
      const av = a[ai + p];
      if (av === 0) continue;
      const op = oOff + p * m;
      for (let j = 0; j < m; j++) out[op + j] += av * b[bi + j];
    }
  }
}
