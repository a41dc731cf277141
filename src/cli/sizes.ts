// Sizes revealed at run time, given before a run (for predictions): --assume NAME=N, or the
// per-layer token counts --kept (CipherPrune's published form: the tokens each layer processes,
// the first being the input length) and --kept-hi (how many of them get the accurate
// polynomials; default half, rounded up).
import { DimEnv } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import { UsageError } from './args.ts';

export const sizeOptions = {
  assume: { type: 'string', multiple: true },
  kept: { type: 'string' },
  'kept-hi': { type: 'string' },
} as const;

export const sizesHelp = `  --assume NAME=N      assume a size revealed at run time, e.g. --assume k@l=0=12 (repeatable)
  --kept N0,N1,...     tokens each layer processes (N0 = the input length): binds the kept
                       counts k@l=i = N(i+1) (the last layer keeps its count), e.g. the
                       published BERT-base schedule 128,55,54,52,49,45,24,14,5,2,1,1
  --kept-hi M0,M1,...  of those, how many get the accurate polynomials per layer (kh@l=i);
                       default: half of each kept count, rounded up`;

function list(v: string, flag: string): number[] {
  const xs = v.split(',').map((x) => x.trim());
  if (xs.some((x) => !/^\d+$/.test(x))) throw new UsageError(`${flag} expects a comma-separated list of non-negative integers, got '${v}'`);
  return xs.map(Number);
}

/** Revealed sizes from --assume / --kept / --kept-hi; every revealed size must be bound. */
export function assumedSizes(p: IrProgram, values: { assume?: string[]; kept?: string; 'kept-hi'?: string }): DimEnv {
  const dims = new DimEnv();
  const byName = new Map(p.runtimeDims.map((r) => [r.symbol.name, r.symbol]));
  const names = () => p.runtimeDims.map((r) => r.symbol.name).join(', ') || '(no sizes are revealed)';
  const bind = (name: string, v: number, flag: string) => {
    const sym = byName.get(name);
    if (!sym) throw new UsageError(`${flag}: the program reveals no size named ${name} (it reveals: ${names()})`);
    dims.values.set(sym, v);
  };
  const layerSyms = (prefix: string) => p.runtimeDims.map((r) => r.symbol.name).filter((n) => n.startsWith(`${prefix}@`));
  let kept: number[] = [];
  if (values.kept) {
    const n = list(values.kept, '--kept'), ks = layerSyms('k');
    if (ks.length === 0) throw new UsageError(`--kept: the program reveals no kept counts (k@...); it reveals: ${names()}`);
    if (n.length !== ks.length && n.length !== ks.length + 1) throw new UsageError(`--kept: give ${ks.length} counts (one per layer, the first being the input length) or ${ks.length + 1}; got ${n.length}`);
    const tokens = p.config.seq_len;
    if (tokens !== undefined && n[0] !== tokens) throw new UsageError(`--kept: the first count is the input length, ${tokens} tokens (--tokens), got ${n[0]}`);
    kept = ks.map((_, i) => n[Math.min(i + 1, n.length - 1)]);
    for (let i = 0; i < ks.length; i++) {
      if (kept[i] < 1 || kept[i] > (i === 0 ? n[0] : kept[i - 1])) throw new UsageError(`--kept: layer ${i} cannot keep ${kept[i]} of ${i === 0 ? n[0] : kept[i - 1]} tokens`);
      bind(ks[i], kept[i], '--kept');
    }
    const hs = layerSyms('kh');
    const hi = values['kept-hi'] ? list(values['kept-hi'], '--kept-hi') : kept.map((k) => Math.ceil(k / 2));
    if (hs.length && hi.length !== hs.length) throw new UsageError(`--kept-hi: give ${hs.length} counts, got ${hi.length}`);
    hs.forEach((name, i) => {
      if (hi[i] > kept[i]) throw new UsageError(`--kept-hi: layer ${i} keeps ${kept[i]} tokens, so at most ${kept[i]} get the accurate polynomials, not ${hi[i]}`);
      bind(name, hi[i], '--kept-hi');
    });
  } else if (values['kept-hi']) throw new UsageError('--kept-hi needs --kept');
  for (const a of values.assume ?? []) {
    const m = /^(.+)=(\d+)$/.exec(a);
    if (!m) throw new UsageError(`--assume ${a}: expected NAME=N for one of: ${names()}`);
    bind(m[1], Number(m[2]), '--assume');
  }
  return dims;
}

/**
 * Run a prediction that needs revealed sizes; if one it needs is unknown, a usage error names
 * those not given (a revealed count that sizes nothing need not be given).
 */
export function withSizes<T>(p: IrProgram, dims: DimEnv, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const missing = p.runtimeDims.filter((r) => !dims.values.has(r.symbol));
    if (missing.length && /is not known yet/.test((e as Error).message)) {
      throw new UsageError(`${what} needs the sizes revealed at run time (--kept, or --assume): ${missing.map((r) => r.symbol.name).join(', ')}`);
    }
    throw e;
  }
}
