// One configuration of the bytes study (bench/bytes/run.ts runs each in its own process: the op
// table memoises HE costs per shape, so a pricing change needs a fresh process).
//
//   node policy.ts BANDWIDTH PACK_KS_MS [MODEL]
//
// BANDWIDTH: the bytes price of the blocking search (bytes/s; DEFAULT_HE_PARAMS.bandwidth is set
// to it before any cost is computed). PACK_KS_MS: 0 = today's result frames; > 0 = the model of
// result packing with automorphisms (docs/he.md, "Bytes: levers studied"), priced with that many
// ms per key switch. Prints one JSON line: predicted bytes of BERT-base (the published kept counts
// for bert_cipherprune), rounds, and the HE compute estimated with today's OP_COST_US (one
// thread, weights not cached), so that policies compare on the same unit costs.
import { DEFAULT_HE_PARAMS } from '../../src/crypto/he/seal.ts';
import { OP_COST_US, blockCounts, type Blocking, type ProductKind } from '../../src/crypto/he/packing.ts';
import { heBatchMatmulCost, heMatmulCost, type HeCost } from '../../src/crypto/he/matmul.ts';
import { lookupPlan, planProduct } from '../../src/crypto/lookup/index.ts';
import { compileProgram } from '../../src/cli/program.ts';
import { assumedSizes } from '../../src/cli/sizes.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { makeCostParams } from '../../src/ir/ops/table.ts';
import { packedChoice, type Compute } from './packed.ts';

const [bwArg, ksArg, modelArg] = process.argv.slice(2);
const bandwidth = Number(bwArg), ksMs = Number(ksArg), model = modelArg ?? 'bert_cipherprune';
if (!(bandwidth > 0) || !(ksMs >= 0)) throw new Error('usage: policy.ts BANDWIDTH PACK_KS_MS [MODEL]');
DEFAULT_HE_PARAMS.bandwidth = bandwidth;

const KEPT = '128,55,54,52,49,45,24,14,5,2,1,1';
const io = { out: (s: string) => void process.stderr.write(s), err: (s: string) => void process.stderr.write(s), color: false, tty: false };
const p = compileProgram(new URL('../../protocols/bert.cpl', import.meta.url).pathname, { model, config: ['bert-base'] }, io);
const dims = assumedSizes(p, model === 'bert_cipherprune' ? { kept: KEPT } : {});
const cp = makeCostParams({});
interface Call { kind: ProductKind; heads: number; n: number; k: number; m: number; ell: number; cost: HeCost }
const calls: Call[] = [];
const params = (ell: number) => ({ ...DEFAULT_HE_PARAMS, ell });
const { heMatmul, heBatch } = cp;
cp.heMatmul = (n, k, m, ell) => (calls.push({ kind: 'plain', heads: 1, n, k, m, ell, cost: heMatmulCost(n, k, m, params(ell)) }), heMatmul(n, k, m, ell));
cp.heBatch = (shape, ell) => (calls.push({ kind: 'shared', ...shape, ell, cost: heBatchMatmulCost(shape, params(ell)) }), heBatch(shape, ell));
const total = predictSchedule(buildSchedule(p, { merge: true }), dims, cp);
// The embedding lookup's product does not go through heMatmul (src/ir/ops/lookup.ts).
const lp = lookupPlan(128, 30522, 768, 32), lc = planProduct(128, 768, 32, lp);
if (lc) calls.push({ kind: 'plain', heads: 1, n: 128, k: lp.A, m: lp.B * 768, ell: 32, cost: lc });

/** Today's unit costs (microseconds) of one head's product with blocking b. */
function today(kind: ProductKind, b: Blocking): Compute {
  const c = blockCounts(b, kind), u = OP_COST_US;
  return {
    server: c.inCts * u.serverInput + c.plains * u.serverPlain + c.products * u.product + c.outCts * u.serverOutput,
    client: c.inCts * u.clientEncrypt + c.outCts * u.clientDecrypt,
    blocks: kind === 'plain' ? c.plains : 0,
  };
}

let heToday = 0, heNew = 0, server = 0, client = 0, blocks = 0, raw = 0, packed = 0;
for (const c of calls) {
  const bytes = c.cost.bytesUp + c.cost.bytesDown;
  heToday += bytes;
  // Every ring width packs (special prime of 60 bits at ell <= 32, 54 at ell = 37: tree.ts);
  // env PACK_ELL32_ONLY leaves the ell = 37 attention scores with today's frames.
  const pk = ksMs > 0 && (c.ell <= 32 || !process.env.PACK_ELL32_ONLY) ? packedChoice(c.kind, c.n, c.k, c.m, c.ell, bandwidth, ksMs) : null;
  const u = pk ? pk.compute : today(c.kind, c.cost.blocking);
  heNew += pk ? c.heads * pk.bytes : bytes;
  server += c.heads * u.server;
  client += c.heads * u.client;
  blocks += c.heads * u.blocks;
  raw += pk ? c.heads * pk.raw : c.cost.outCts;
  packed += pk ? c.heads * pk.packed : c.cost.outCts;
}
const all = total.bytesC2S + total.bytesS2C - heToday + heNew;
process.stdout.write(
  JSON.stringify({
    model, bandwidth, packKsMs: ksMs,
    GB: +(all / 1e9).toFixed(3), heGB: +(heNew / 1e9).toFixed(3), otherGB: +((all - heNew) / 1e9).toFixed(3),
    c2sGB: ksMs > 0 ? null : +(total.bytesC2S / 1e9).toFixed(3), s2cGB: ksMs > 0 ? null : +(total.bytesS2C / 1e9).toFixed(3),
    rounds: total.rounds, heServerS: +(server / 1e6).toFixed(1), heClientS: +(client / 1e6).toFixed(1), weightBlocks: blocks,
    resultCts: raw, sentResultCts: packed, lookup: { B: lp.B, blocking: lc?.blocking ?? null },
  }) + '\n',
);
