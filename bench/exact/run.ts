// Which truncations drive the secure importance-score error (issue 13, session 8, bench-only):
// a plaintext *noisy twin*. The reference interpreter's fixed-point mode truncates through
// Ring.shr (every twin's floor(x / 2^t)); here that one hook is replaced, while a twin runs, by
// the secure protocol's faithful result floor(x / 2^t) − c, c ∈ {0, 1}, P(c = 1) =
// 1 − (L + 1)/2^t for the low bits L (trunc.ts: the dropped carry of the shares' low bits),
// seeded. Call sites (op name + source line of the shr) in the `--exact` list keep the exact
// floor. Per sentence: the noisy run's importance scores against the exact twin's (ULP of
// fix<·,12>), and its labels / kept / accurate counts.
//   npm run bench -- exact [--sentences 20] [--from 6] [--split validation] [--seed 1]
//     [--exact all|none|[!]OP,OP#rank,OP#rank:file:line,...] [--sites] [--cost] [--price]   (--sites: list the truncation call sites)
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Ring, type RingArray } from '../../src/crypto/ring.ts';
import { opTable } from '../../src/ir/ops/table.ts';
import { bundledModel, loadBert, runnable } from '../../src/model/load.ts';
import { readLabelled } from '../../src/train/data.ts';
import { ROOT } from '../../scripts/build-tokenizers.ts';
import { compareBert, type Comparison } from '../accuracy/compare.ts';

const { values } = parseArgs({ options: { sentences: { type: 'string' }, from: { type: 'string' }, split: { type: 'string' }, seed: { type: 'string' }, exact: { type: 'string' }, sites: { type: 'boolean' }, cost: { type: 'boolean' }, price: { type: 'boolean' }, reps: { type: 'string' } } });
const log = (s: string) => process.stderr.write(s + '\n');
if (values.cost) { await import('./cost.ts'); process.exit(0); }
if (values.price) { await import('./price.ts'); process.exit(0); }

// ---- the hook: which op is running, and the noisy shr ----
let currentOp: string | null = null;
for (const row of opTable.values()) {
  const twin = row.twin;
  if (!twin) continue;
  (row as { twin: typeof twin }).twin = ((...a: Parameters<typeof twin>) => {
    const prev = currentOp;
    const shape = (a[0] as { shape?: readonly unknown[] }).shape;
    currentOp = `${row.name}#${shape?.length ?? '?'}`; // with the rank: mul_ss#3 is softmax's e·r
    try { return twin(...a); } finally { currentOp = prev; }
  }) as typeof twin;
}
let seed = BigInt(Number(values.seed ?? 1)) * 0x9e3779b97f4a7c15n;
function rand(): number { // splitmix64 → [0, 1)
  seed = BigInt.asUintN(64, seed + 0x9e3779b97f4a7c15n);
  let z = seed;
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  z = z ^ (z >> 31n);
  return Number(z >> 11n) / 2 ** 53;
}
// a faster generator for the per-element draws (xorshift128+ seeded from splitmix)
let s0 = 0, s1 = 0;
function reseed(): void { s0 = Math.floor(rand() * 2 ** 32) | 1; s1 = Math.floor(rand() * 2 ** 32) | 1; }
function urand(): number { // xorshift32 pair → [0, 1)
  let x = s0; x ^= x << 13; x ^= x >>> 17; x ^= x << 5; s0 = x;
  let y = s1; y ^= y << 13; y ^= y >>> 17; y ^= y << 5; s1 = y;
  return ((x >>> 0) * 2 ** 21 + ((y >>> 0) >>> 11)) / 2 ** 53;
}

type Mode = 'exact' | 'noisy';
let mode: Mode = 'exact';
let exactSet: (site: string, op: string) => boolean = () => true;
const sites = new Map<string, { calls: number; elements: number; ell: number; shifts: Set<number> }>();
const origShr = Ring.prototype.shr;
Ring.prototype.shr = function (this: Ring, a: RingArray, s: number, out?: RingArray): RingArray {
  const r = origShr.call(this, a, s, out);
  if (s === 0 || currentOp === null) return r;
  const line = (new Error().stack ?? '').split('\n')[2] ?? '';
  const m = /src\/(.*?):(\d+):\d+\)?$/.exec(line.trim());
  const site = `${currentOp}:${m ? `${m[1]}:${m[2]}` : '?'}`;
  const e = sites.get(site) ?? { calls: 0, elements: 0, ell: this.ell, shifts: new Set() };
  e.calls++; e.elements += a.length; e.shifts.add(s); sites.set(site, e);
  if (mode === 'exact' || exactSet(site, currentOp)) return r;
  const scale = 2 ** s;
  if (r instanceof Uint32Array) {
    const x = a as Uint32Array, mask = this.ell === 32 ? 0xffffffff : 2 ** this.ell - 1, lowMask = s >= 32 ? 0xffffffff : 2 ** s - 1;
    for (let i = 0; i < r.length; i++) {
      const L = (x[i] >>> 0) % (lowMask + 1);
      if (urand() < 1 - (L + 1) / scale) r[i] = ((r[i] - 1) >>> 0) & mask;
    }
  } else {
    const x = a as BigUint64Array, ro = r as BigUint64Array, lm = (1n << BigInt(s)) - 1n;
    for (let i = 0; i < ro.length; i++) {
      const L = Number(x[i] & lm);
      if (urand() < 1 - (L + 1) / scale) ro[i] = BigInt.asUintN(this.ell, ro[i] - 1n);
    }
  }
  return r;
};

// ---- the exact subset ----
const spec = values.exact ?? 'none';
if (spec === 'all') exactSet = () => true;
else if (spec === 'none') exactSet = () => false;
else {
  // a list of op names (mul_ss, or mul_ss#3: with the rank) or call sites (op#rank:file:line);
  // with a leading '!', every truncation exact except those listed
  const negate = spec.startsWith('!');
  const parts = spec.replace(/^!/, '').split(',').map((p) => p.trim()).filter(Boolean);
  const listed = (site: string, op: string) => parts.some((p) => (p.includes(':') ? site === p || site.startsWith(p + ':') : op === p || op.split('#')[0] === p));
  exactSet = (site, op) => listed(site, op) !== negate;
}

// ---- the run ----
const splitName = values.split ?? 'validation';
const from = Number(values.from ?? 6), count = Number(values.sentences ?? 20);
const items = readLabelled(join(ROOT, `models/data/${splitName}.tsv`)).slice(from, from + count);
const { model: m, note } = runnable((model) => loadBert(bundledModel('bert-sentiment'), model), 'bert_cipherprune', 'bert_dense');
if (note) log(`note: ${note}`);
const ULP = 2 ** 12;
const perLayer: { diffs: number[] }[] = [];
let sameCounts = 0, sameLabel = 0, compared = 0;
const t0 = performance.now();
for (const [i, it] of items.entries()) {
  mode = 'exact';
  const ex: Comparison = await compareBert(m, undefined, it.text, true);
  mode = 'noisy';
  reseed();
  const no: Comparison = await compareBert(m, undefined, it.text, true);
  compared++;
  if (ex.secure === no.secure) sameLabel++;
  const same = ex.keptSecure.join() === no.keptSecure.join() && ex.highSecure.join() === no.highSecure.join();
  if (same) sameCounts++;
  // scores compared on the layers both runs reached with the same kept and accurate counts before them
  for (let l = 0; l < Math.min(ex.scoresSecure!.length, no.scoresSecure!.length); l++) {
    if (l > 0 && (ex.keptSecure[l - 1] !== no.keptSecure[l - 1] || ex.highSecure[l - 1] !== no.highSecure[l - 1])) break;
    const a = ex.scoresSecure![l], b = no.scoresSecure![l];
    if (a.length !== b.length) break;
    perLayer[l] ??= { diffs: [] };
    for (let j = 1; j < a.length; j++) perLayer[l].diffs.push(Math.round((b[j] - a[j]) * ULP)); // [CLS] left out
  }
  if (values.sites) break;
  log(`${i + 1}/${items.length}: label ${no.secure} (exact ${ex.secure}), kept ${no.keptSecure.join('/')} (exact ${ex.keptSecure.join('/')}), accurate ${no.highSecure.join('/')} (exact ${ex.highSecure.join('/')})${same ? '' : '  COUNTS DIFFER'}`);
}
if (values.sites) {
  for (const [k, v] of [...sites.entries()].sort((a, b) => b[1].elements - a[1].elements)) log(`${k}\tell ${v.ell}\tt ${[...v.shifts].join(',')}\tcalls ${v.calls}\telements ${v.elements}`);
}
const summary = perLayer.map((p, l) => {
  const d = p.diffs.slice().sort((a, b) => a - b), abs = d.map(Math.abs).sort((a, b) => a - b);
  return { layer: l + 1, scores: d.length, min: d[0], max: d.at(-1), mean: d.reduce((s, x) => s + x, 0) / d.length, q99abs: abs[Math.floor(0.99 * (abs.length - 1))] };
});
for (const s of summary) log(`layer ${s.layer}: noisy − exact twin in [${s.min}, ${s.max}] ULP, mean ${s.mean.toFixed(1)}, |.| q0.99 ${s.q99abs} (${s.scores} scores)`);
log(`exact = ${spec}: labels equal on ${sameLabel}/${compared}, kept and accurate counts equal on ${sameCounts}/${compared}; ${((performance.now() - t0) / 1000).toFixed(0)} s`);
process.stdout.write(JSON.stringify({ exact: spec, seed: Number(values.seed ?? 1), split: splitName, from, sentences: compared, sameLabel, sameCounts, layers: summary }) + '\n');
