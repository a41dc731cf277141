// Fitter for the low-degree GELU / exp lookup tables (src/crypto/nonlinear/pwl-tables.ts): per
// segment j a line a_j + b_j·(x − jδ) that is minimax on [jδ, (j+2)δ) ∩ [lo, hi] — twice the
// segment width, because the secure segment index may be one less than floor(x/δ) (the carry of
// the low bits is not computed). The slope is quantised to F fractional bits first (three
// candidates around the secant slope), then the intercept is the mid-range. Segments whose
// interval is empty or a single point take the neighbouring slope through f at that point.
export interface FittedLines {
  a: number[];
  S: number[];
  /** Max |f − line| over each segment's interval (before output rounding). */
  err: number;
}

export function fitLines(f: (x: number) => number, delta: number, jLo: number, N: number, lo: number, hi: number, F: number, grid = 2000): FittedLines {
  const a: number[] = [], S: number[] = [];
  let err = 0;
  for (let j = jLo; j < jLo + N; j++) {
    const x0 = j * delta, l = Math.max(lo, x0), r = Math.min(hi, (j + 2) * delta);
    if (!(r > l)) {
      const s = (S.length ? S[S.length - 1] : Math.round(((f(l + delta) - f(l)) / delta) * 2 ** F)) + 0;
      S.push(s);
      a.push(f(l) - (s / 2 ** F) * (l - x0));
      continue;
    }
    const sec = Math.round(((f(r) - f(l)) / (r - l)) * 2 ** F);
    let best = Infinity, bs = sec, ba = 0;
    for (const cand of [sec - 1, sec, sec + 1]) {
      const sl = cand / 2 ** F;
      let mx = -Infinity, mn = Infinity;
      for (let g = 0; g <= grid; g++) {
        const x = l + ((r - l) * g) / grid, e = f(x) - sl * (x - x0);
        mx = Math.max(mx, e);
        mn = Math.min(mn, e);
      }
      if ((mx - mn) / 2 < best) [best, bs, ba] = [(mx - mn) / 2, cand, (mx + mn) / 2];
    }
    S.push(bs + 0); // no −0
    a.push(ba);
    err = Math.max(err, best);
  }
  return { a, S, err };
}
