// One configuration of the bytes study (bench/bytes/run.ts runs each in its own process: the op
// table memoises HE costs per shape, so a pricing change needs a fresh process).
//
//   [CIPHERPRUNE_HE_PACK=1] node policy.ts BANDWIDTH [MODEL]
//
// BANDWIDTH: the bytes price of the blocking search (bytes/s; DEFAULT_HE_PARAMS.bandwidth is set
// to it before any cost is computed). CIPHERPRUNE_HE_PACK=1 / 0 sets DEFAULT_HE_PARAMS.packed (packed
// results, pack.ts, docs/he.md "Packed results"; unset: the default). Prints one JSON line: predicted bytes of BERT-base (the published
// kept counts for bert_cipherprune), rounds, and the HE compute estimated with OP_COST_US (one
// thread, weights not cached: packing.ts computeUs), so that policies compare on the same unit costs.
import { DEFAULT_HE_PARAMS } from '../../src/crypto/he/seal.ts';
import { computeUs, finishCounts, type ProductKind } from '../../src/crypto/he/packing.ts';
import { heBatchMatmulCost, heMatmulCost, type HeCost } from '../../src/crypto/he/matmul.ts';
import { lookupPlan, planProduct } from '../../src/crypto/lookup/index.ts';
import { compileProgram } from '../../src/cli/program.ts';
import { assumedSizes } from '../../src/cli/sizes.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { makeCostParams } from '../../src/ir/ops/table.ts';

const [bwArg, modelArg] = process.argv.slice(2);
const bandwidth = Number(bwArg), model = modelArg ?? 'bert_cipherprune';
if (!(bandwidth > 0)) throw new Error('usage: policy.ts BANDWIDTH [MODEL]');
DEFAULT_HE_PARAMS.bandwidth = bandwidth;
if (process.env.CIPHERPRUNE_HE_PACK) DEFAULT_HE_PARAMS.packed = process.env.CIPHERPRUNE_HE_PACK === '1';

const KEPT = '128,55,54,52,49,45,24,14,5,2,1,1';
const io = { out: (s: string) => void process.stderr.write(s), err: (s: string) => void process.stderr.write(s), color: false, tty: false };
const p = compileProgram(new URL('../../protocols/bert.cpl', import.meta.url).pathname, { model, config: ['bert-base'] }, io);
const dims = assumedSizes(p, model === 'bert_cipherprune' ? { kept: KEPT } : {});
const cp = makeCostParams({});
interface Call { kind: ProductKind; heads: number; ell: number; cost: HeCost }
const calls: Call[] = [];
const params = (ell: number) => ({ ...DEFAULT_HE_PARAMS, ell });
const { heMatmul, heBatch } = cp;
cp.heMatmul = (n, k, m, ell) => (calls.push({ kind: 'plain', heads: 1, ell, cost: heMatmulCost(n, k, m, params(ell)) }), heMatmul(n, k, m, ell));
cp.heBatch = (shape, ell) => (calls.push({ kind: 'shared', heads: shape.heads, ell, cost: heBatchMatmulCost(shape, params(ell)) }), heBatch(shape, ell));
const total = predictSchedule(buildSchedule(p, { merge: true }), dims, cp);
// The embedding lookup's product does not go through heMatmul (src/ir/ops/lookup.ts).
const lp = lookupPlan(128, 30522, 768, 32), lc = planProduct(128, 768, 32, lp);
if (lc) calls.push({ kind: 'plain', heads: 1, ell: 32, cost: lc });

let he = 0, server = 0, client = 0, blocks = 0, raw = 0, sent = 0, switches = 0;
for (const c of calls) {
  const packed = !!DEFAULT_HE_PARAMS.packed, b = c.cost.blocking, u = computeUs(b, c.kind, packed), f = finishCounts(b, packed);
  he += c.cost.bytesUp + c.cost.bytesDown;
  server += c.heads * u.server;
  client += c.heads * u.client;
  blocks += c.heads * u.blocks;
  raw += c.heads * b.nb * b.mb;
  sent += c.cost.outCts;
  switches += c.heads * f.switches;
}
const all = total.bytesC2S + total.bytesS2C;
process.stdout.write(
  JSON.stringify({
    model, bandwidth, packed: !!DEFAULT_HE_PARAMS.packed,
    GB: +(all / 1e9).toFixed(3), heGB: +(he / 1e9).toFixed(3), otherGB: +((all - he) / 1e9).toFixed(3),
    c2sGB: +(total.bytesC2S / 1e9).toFixed(3), s2cGB: +(total.bytesS2C / 1e9).toFixed(3),
    rounds: total.rounds, heServerS: +(server / 1e6).toFixed(1), heClientS: +(client / 1e6).toFixed(1), weightBlocks: blocks,
    resultCts: raw, sentResultCts: sent, keySwitches: switches, lookup: { B: lp.B, blocking: lc?.blocking ?? null },
  }) + '\n',
);
