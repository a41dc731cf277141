// Near-minimax polynomial fits (iteratively reweighted least squares on a grid of [0, T], in the
// scaled variable y / T for conditioning) for the polynomial forms of src/crypto/nonlinear/poly.ts;
// test/nonlinear/activations.test.ts checks the literals' fit error with it.
function solve(A: number[][], b: number[]): number[] {
  const n = b.length, M = A.map((r, i) => [...r, b[i]]);
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let r = i + 1; r < n; r++) if (Math.abs(M[r][i]) > Math.abs(M[p][i])) p = r;
    [M[i], M[p]] = [M[p], M[i]];
    for (let r = 0; r < n; r++) {
      if (r === i) continue;
      const f = M[r][i] / M[i][i];
      for (let c = i; c <= n; c++) M[r][c] -= f * M[i][c];
    }
  }
  return M.map((r, i) => r[n] / r[i]);
}

export const evalMono = (c: number[], y: number): number => c.reduceRight((a, x) => a * y + x, 0);

/** Max |P − f| on a fine grid of [0, T]. */
export function fitError(c: number[], f: (y: number) => number, T: number, pts = 20001): number {
  let err = 0;
  for (let i = 0; i < pts; i++) {
    const y = (T * i) / (pts - 1);
    err = Math.max(err, Math.abs(evalMono(c, y) - f(y)));
  }
  return err;
}

/** Coefficients a_0 … a_d of a near-minimax fit of f on [0, T]. */
export function fitPoly(f: (y: number) => number, T: number, d: number, pts = 4001, iters = 120): number[] {
  const ys = Array.from({ length: pts }, (_, i) => (T * i) / (pts - 1));
  let w = ys.map(() => 1), c: number[] = [];
  for (let it = 0; it < iters; it++) {
    const A = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0)), b = new Array<number>(d + 1).fill(0);
    ys.forEach((y, k) => {
      const t = y / T, p = Array.from({ length: d + 1 }, (_, i) => t ** i);
      for (let i = 0; i <= d; i++) {
        b[i] += w[k] * p[i] * f(y);
        for (let j = 0; j <= d; j++) A[i][j] += w[k] * p[i] * p[j];
      }
    });
    c = solve(A, b).map((v, i) => v / T ** i);
    const e = ys.map((y) => Math.abs(evalMono(c, y) - f(y))), m = Math.max(...e);
    w = w.map((x, k) => x * (0.5 + e[k] / m));
    const sum = w.reduce((a, x) => a + x, 0);
    w = w.map((x) => (x / sum) * pts);
  }
  return c;
}
