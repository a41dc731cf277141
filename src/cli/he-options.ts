// --threads and --he-cache-mb: HE worker threads per party and the server's prepared-weights
// cache (src/crypto/he/pool.ts, weights.ts; docs/he.md).
import { DEFAULT_ZERO_STOCK, defaultThreads, heConfig } from '../crypto/he/index.ts';
import { UsageError } from './args.ts';

export const heOptions = { threads: { type: 'string' }, 'he-cache-mb': { type: 'string' } } as const;

export const heOptionsHelp = (cacheDefault: number): string => `  --threads N          HE worker threads for this process's parties (default: one per
                       core, here ${defaultThreads()}; 1 = no workers)
  --he-cache-mb N      the server keeps its prepared (encoded, NTT) weight blocks up to
                       N MiB for the process's lifetime (default ${cacheDefault}; 0 = off)`;

function count(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag} expects an integer >= ${min}, got '${v}'`);
  return Number(v);
}

/** Set the process's HE configuration from the options. */
export function applyHeOptions(values: { threads?: string; 'he-cache-mb'?: string }, cacheDefault: number): void {
  heConfig.threads = count(values.threads, '--threads', 1) ?? defaultThreads();
  heConfig.weightCacheBytes = (count(values['he-cache-mb'], '--he-cache-mb', 0) ?? cacheDefault) * 2 ** 20;
  // Workers make the server's encryptions of zero in their idle time (src/crypto/he/zeros.ts).
  heConfig.zeroStock = heConfig.threads > 1 ? DEFAULT_ZERO_STOCK : 0;
}
