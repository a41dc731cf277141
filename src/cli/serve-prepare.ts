// `serve` prepares its weights before it accepts clients (issue 16, item 2; docs/he.md "Weights
// prepared once"). The weight operands of the HE products are computed by the program from the
// server's inputs (QKV side by side, ...), so the reliable way to know them is to run it: a
// rehearsal session, both parties in this process over a MemoryChannel, with the server's real
// inputs and all-zero client inputs. Each [X]·W product of the rehearsal keeps its weight blocks
// in the process's cache (one thread) or the workers' caches (threads), within --he-cache-mb; a
// real session's product with the same weights and the same (dw, mw) blocking then hits. The
// rehearsal costs one inference (its nonlinear parts too); the report (stdout) gives blocks, MiB,
// seconds; progress goes to stderr.
import type { OtBackend } from '../crypto/ot/index.ts';
import { heConfig, processPool, processWeightCache, type WeightCacheReport } from '../crypto/he/index.ts';
import { DimEnv, type InputValues } from '../ir/dim-env.ts';
import type { IrProgram } from '../ir/ir.ts';
import { size } from '../ir/tensor.ts';
import { MemoryChannel } from '../transport/channel.ts';
import { runBoth } from '../exec/run-both.ts';
import type { Io } from './args.ts';

/**
 * Weight elements (over all [X]·W products) below which serve does not rehearse: a rehearsal
 * costs a whole session (HE and OT setup included) and small weights prepare in milliseconds.
 * 2^19 is 64 blocks at the densest packing (N = 8192), about 50 ms of encoding and NTT.
 */
export const servePrepare = { minWeightElements: 2 ** 19 };

/** Elements of the weight operands of the program's [X]·W products, the embedding lookup's table
 * included (its HE product caches the table's blocks alike; a size known only at run time counts
 * as large). */
function weightElements(p: IrProgram): number {
  let total = 0;
  for (const op of p.ops) {
    if (op.op !== 'matmul_sx' && op.op !== 'lookup') continue;
    try {
      total += size(new DimEnv().shape(p.ops[op.args[1]].type.shape));
    } catch {
      return Infinity;
    }
  }
  return total;
}

export interface PreparedWeights extends WeightCacheReport {
  /** Wall time of the rehearsal session. */
  seconds: number;
}

/** The process's prepared-weights cache, whichever holds it (null when there is none). */
async function cacheReport(): Promise<WeightCacheReport | null> {
  if (heConfig.threads > 1) return (await processPool())?.weightReport() ?? null;
  return processWeightCache()?.report() ?? null;
}

/** Run the rehearsal (nothing to do without a cache budget); progress and the cost on stderr. */
export async function prepareServeWeights(p: IrProgram, serverInputs: InputValues, ot: OtBackend, io: Io): Promise<PreparedWeights | null> {
  if (heConfig.weightCacheBytes <= 0 || weightElements(p) < servePrepare.minWeightElements) return null;
  const inputs: InputValues = { ...serverInputs };
  for (const inp of p.inputs) if (inp.owner === 'client') inputs[inp.name] = new Float64Array(size(new DimEnv().shape(inp.type.shape)));
  const t0 = performance.now();
  // Progress on stderr once the rehearsal lasts (small programs prepare in about a second, quietly).
  let shown = -10;
  const onProgress = (done: number, total: number) => {
    const pct = Math.floor((100 * done) / Math.max(1, total)), s = (performance.now() - t0) / 1000;
    if (pct < shown + 10 || s < 2) return;
    if (shown < 0) io.err(`preparing weights (a rehearsal session with zero client inputs, cache budget ${Math.round(heConfig.weightCacheBytes / 2 ** 20)} MiB)\n`);
    shown = pct - (pct % 10);
    io.err(`preparing weights: ${shown} % of the program, ${s.toFixed(1)} s\n`);
  };
  try {
    await runBoth(p, inputs, MemoryChannel.pair(), { onProgress, ot });
  } catch (e) {
    // Not fatal: what was prepared stays, the rest is prepared per product as without a rehearsal.
    io.err(`preparing weights stopped early (${(e as Error).message}); the rest is prepared per product\n`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const r = await cacheReport();
  if (!r) return null;
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  io.out(
    `prepared weights: ${r.blocks} blocks of ${r.matrices} weight operands, ${mib(r.bytes)} of ${mib(r.budgetBytes)} MiB, ` +
      `${(r.buildMs / 1000).toFixed(1)} s of encoding and NTT, ${seconds.toFixed(1)} s for the rehearsal` +
      (r.misses > r.blocks ? ` (${r.misses - r.blocks} block uses did not fit the budget: prepared per product)` : '') +
      '\n',
  );
  return { ...r, seconds };
}
