// The bytes study of issue 15 (docs/he.md, "Bytes: levers studied"):
//
//   npm run bench -- bytes [--bandwidths 25e6,12.5e6,5e6,2e6] [--tree 16@32@0,16@37@0,...]
//
// 1. Predicted bytes of BERT-base CipherPrune (published kept counts) and the HE compute estimated
//    with OP_COST_US, for each bytes price of the blocking search, with unpacked and with packed
//    results (CIPHERPRUNE_HE_PACK=0 / 1: the cost model of pack.ts); each in its own process.
// 2. Result packing on node-seal 7 (tree.ts): the merge is exact, key switches timed (give the
//    load average beside them), Galois keys' size.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { report } from '../lib.ts';
import { mergeTree } from './tree.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}
const bandwidths = arg('bandwidths', '25e6,12.5e6,5e6,2e6').split(',').map(Number);
// P@ell@level: ell 32 or 37, level 0 (before the first switch) or 1
const trees = arg('tree', '16@32@0,16@32@1,64@32@0,16@37@0').split(',').filter(Boolean).map((x) => x.split('@').map(Number));
const policy = fileURLToPath(new URL('./policy.ts', import.meta.url));
const run = (bw: number, pack: string) =>
  JSON.parse(execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', policy, String(bw)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, CIPHERPRUNE_HE_PACK: pack } }));
const policies = bandwidths.flatMap((bw) => [run(bw, '0'), run(bw, '1')]);
const load = [loadavg()[0]];
const tree = [];
for (const [P, ell, level] of trees) tree.push(await mergeTree(P, ell, level));
load.push(loadavg()[0]);
report('bytes', { policies, tree, loadAverage: load });
