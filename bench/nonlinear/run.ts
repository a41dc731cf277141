// Non-linear layer benchmark: bytes per element (both directions), rounds and elements/s for
// GELU (hi, lo), exp (hi, lo), softmax over rows of 128 and LayerNorm over rows of 768 (with γ, β),
// at fix<32,12>, over the real OtEngine (IKNP) with both parties in this process on one
// MemoryChannel (so elements/s is for both parties on one core). Printed beside BOLT's published
// per-element bytes (PROTOCOLS.md) as a ratio, and the low forms' bytes and rounds beside the
// high forms' (`loVsHi`: GELU, exp and softmax; measured in the same run). Then the functions as
// the CPL programs run them (`cpl`, bench/nonlinear/programs), and the same with each party on its
// own worker thread (`fair`: bytes and µs per element beside the C++ references and issue 15's
// targets, and the forms before products by a broadcast vector). `ops`: the primitives as a
// BERT-base layer runs them (convert, rowmax, exp, GELU, recip, rsqrt), called directly with each
// party on its own thread: CPU µs per element (ops.ts; not in the default parts).
//
// Each part runs with every backend of `--ot` (default both): Ferret's direct protocol rows prefill
// each run's COTs first, as the executor does per step, and count the protocol's own bytes after it.
//
//   npm run bench -- nonlinear [--quick] [--reps 3] [--ot iknp,ferret] [--parts results,cpl,fair]
//     [--fns comparison,gelu,softmax,layernorm]  (fair rows: these functions only)
//     [--warmup 5]  (fair rows: untimed runs before the timed ones; 0 with --quick)
//     [--trace]  (fair rows: each party's waiting and GC, and both replayed on idle cores)
//     [--profile DIR]  (fair rows: each party's CPU profile of the timed runs after the first)
//     [--v8 fair|default|--flag,...,young=MB]  (fair, ops: the parties' V8 runtime, runtime.ts;
//       default `fair`: --single-threaded-gc, GC on each party's own thread; `default`: V8's)
//   npm run bench -- nonlinear --parts ops --ot ferret [--reps 3] [--ops rowmax,exp_hi]
import { cplRows } from './cpl.ts';
import { fairRows } from './fair.ts';
import { opsRows } from './ops.ts';
import { STEADY_BITS_PER_COT } from './threads.ts';
import { describeRuntime, parseRuntime, withRuntime } from './runtime.ts';
import { performance } from 'node:perf_hooks';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { OtEngine } from '../../src/crypto/ot/engine.ts';
import { isOtBackend, OT_BACKENDS, type OtBackend, type OtCostModel } from '../../src/crypto/ot/index.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { Fixed } from '../../src/crypto/fixed.ts';
import type { RingArray } from '../../src/crypto/ring.ts';
import { expHi, expHiCost, expLo, expLoCost, geluHi, geluHiCost, geluLo, geluLoCost, layerNorm, layerNormCost, ringOf, softmax, softmaxCost, type Cost, type ProtoCtx } from '../../src/crypto/nonlinear/index.ts';
import { median, report } from '../lib.ts';

const quick = process.argv.includes('--quick');
const repsArg = process.argv.indexOf('--reps');
const reps = repsArg >= 0 ? Number(process.argv[repsArg + 1]) : quick ? 1 : 3;
// fair rows: untimed runs first, so the timed ones run warm code as a long session does (the
// parties are fresh worker threads: their first runs compile and re-optimise the protocols).
const warmup = process.argv.includes('--warmup') ? Number(process.argv[process.argv.indexOf('--warmup') + 1]) : quick ? 0 : 5;
const argOf = (name: string, dflt: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const backends = argOf('--ot', 'iknp,ferret').split(',').map((b) => {
  if (!isOtBackend(b)) throw new Error(`--ot: unknown backend '${b}' (${OT_BACKENDS.join(', ')})`);
  return b;
});
const parts = argOf('--parts', 'results,cpl,fair').split(',');
const runtime = (() => {
  try {
    return parseRuntime(process.argv.includes('--v8') ? argOf('--v8', 'fair') : undefined);
  } catch (e) {
    process.stderr.write(`bench nonlinear: ${(e as Error).message}\n`);
    process.exit(2);
  }
})();
// The threaded parts' V8 flags are process-wide: restart with them on the command line (runtime.ts).
if (parts.includes('fair') || parts.includes('ops')) await withRuntime(runtime);
const ell = 32, s = 12, fx = new Fixed(ell, s), ring = ringOf(ell);
const BOLT = { gelu: 4.1e3, softmax: 7.7e3, layernorm: 6.2e3, exp: null as number | null };

async function pair(backend: OtBackend): Promise<[ProtoCtx, ProtoCtx, MemoryChannel, MemoryChannel]> {
  const [cc, sc] = MemoryChannel.pair();
  const oc = new OtEngine(cc, { backend }), os = new OtEngine(sc, { backend });
  await Promise.all([oc.setup(), os.setup()]);
  return [{ party: 'server', ch: sc, ot: os, prg: new Prg() }, { party: 'client', ch: cc, ot: oc, prg: new Prg() }, cc, sc];
}

function uniform(n: number, lo: number, hi: number, seed: number): number[] {
  const v = new Uint32Array(Prg.fromInt(seed).bytes(4 * n).buffer);
  return Array.from(v, (u) => lo + (hi - lo) * (u / 2 ** 32));
}

interface Job {
  name: string;
  n: number;
  bolt: number | null;
  run: (ctx: ProtoCtx, x: RingArray) => Promise<RingArray>;
  cost: (ot?: OtCostModel) => Cost;
  input: number[];
}

const nG = quick ? 2048 : 16384, nE = quick ? 2048 : 16384, rowsS = quick ? 4 : 32, rowsL = quick ? 2 : 16;
const gamma = fx.encode(uniform(768, 0.5, 1.5, 9)), beta = fx.encode(uniform(768, -0.1, 0.1, 10));
const F = { ell, s };
const jobs: Job[] = [
  { name: 'gelu_hi', n: nG, bolt: BOLT.gelu, run: (c, x) => geluHi(c, x, F), cost: (ot) => geluHiCost(nG, F, ot), input: uniform(nG, -6, 6, 1) },
  { name: 'gelu_lo', n: nG, bolt: BOLT.gelu, run: (c, x) => geluLo(c, x, F), cost: (ot) => geluLoCost(nG, F, ot), input: uniform(nG, -6, 6, 2) },
  { name: 'exp_hi', n: nE, bolt: null, run: (c, x) => expHi(c, x, F), cost: (ot) => expHiCost(nE, F, ot), input: uniform(nE, -12, 0, 3) },
  { name: 'exp_lo', n: nE, bolt: null, run: (c, x) => expLo(c, x, F), cost: (ot) => expLoCost(nE, F, ot), input: uniform(nE, -12, 0, 4) },
  { name: 'softmax (rows of 128, exp_hi)', n: rowsS * 128, bolt: BOLT.softmax, run: (c, x) => softmax(c, x, { ell, s, cols: 128 }), cost: (ot) => softmaxCost(rowsS * 128, { ell, s, cols: 128 }, ot), input: uniform(rowsS * 128, -8, 8, 5) },
  { name: 'softmax (rows of 128, exp_lo)', n: rowsS * 128, bolt: BOLT.softmax, run: (c, x) => softmax(c, x, { ell, s, cols: 128, degree: 'lo' }), cost: (ot) => softmaxCost(rowsS * 128, { ell, s, cols: 128, degree: 'lo' }, ot), input: uniform(rowsS * 128, -8, 8, 6) },
  { name: 'layernorm (rows of 768, variance in fix<44,24>)', n: rowsL * 768, bolt: BOLT.layernorm,
    run: (c, x) => layerNorm(c, x, c.party === 'server' ? gamma : null, c.party === 'server' ? beta : null, { ell, s, cols: 768 }),
    cost: (ot) => layerNormCost(rowsL * 768, { ell, s, cols: 768 }, ot), input: uniform(rowsL * 768, -4, 4, 7) },
  { name: 'layernorm (rows of 768, before: variance in fix<32,12>)', n: rowsL * 768, bolt: BOLT.layernorm,
    run: (c, x) => layerNorm(c, x, c.party === 'server' ? gamma : null, c.party === 'server' ? beta : null, { ell, s, cols: 768, stat: null }),
    cost: (ot) => layerNormCost(rowsL * 768, { ell, s, cols: 768, stat: null }, ot), input: uniform(rowsL * 768, -4, 4, 7) },
];

interface Row {
  op: string;
  ot: OtBackend;
  bytesPerElement: number;
  rounds: number;
  elementsPerSecond: number;
}
const results: Row[] = [];
for (const ot of parts.includes('results') ? backends : []) {
  for (const j of jobs) {
    const x = fx.encode(j.input), r = ring.random(j.n, Prg.fromInt(11)), x0 = ring.sub(x, r);
    const secs: number[] = [];
    let measured: Cost | null = null, predicted: Cost | null = null;
    for (let k = 0; k < reps; k++) {
      const [sv, cl, cc, sc] = await pair(ot);
      // Ferret: refill for the run's COTs first (bootstrap and setup iterations, not counted here).
      const model = sv.ot.cost, counting = model.forked();
      if (counting.drawn) {
        counting.drawn.client = counting.drawn.server = 0;
        j.cost(counting);
        const need = { ...counting.drawn };
        await Promise.all([sv.ot.prefill?.(need), cl.ot.prefill?.(need)]);
        model.pool?.step(need); // the replay's pools as after this prefill (refills charged there)
      }
      predicted = j.cost(model);
      const c0 = { ...cc.totals }, s0 = { ...sc.totals };
      const t0 = performance.now();
      await Promise.all([j.run(sv, x0), j.run(cl, r)]);
      secs.push((performance.now() - t0) / 1000);
      measured = {
        bytesClientToServer: cc.totals.bytesSent - c0.bytesSent,
        bytesServerToClient: sc.totals.bytesSent - s0.bytesSent,
        rounds: Math.max(cc.totals.rounds, sc.totals.rounds) - Math.max(c0.rounds, s0.rounds),
      };
    }
    const m = measured!, cost = predicted!, bytes = m.bytesClientToServer + m.bytesServerToClient, perElt = bytes / j.n;
    const row = {
      op: j.name,
      ot,
      elements: j.n,
      bytesPerElement: Math.round(perElt * 10) / 10,
      bytesPerElementC2S: Math.round((m.bytesClientToServer / j.n) * 10) / 10,
      bytesPerElementS2C: Math.round((m.bytesServerToClient / j.n) * 10) / 10,
      rounds: m.rounds,
      predicted: cost,
      predictedBytesMatch: cost.bytesClientToServer === m.bytesClientToServer && cost.bytesServerToClient === m.bytesServerToClient,
      medianSeconds: median(secs),
      elementsPerSecond: Math.round(j.n / median(secs)),
      boltBytesPerElement: j.bolt,
      ratioToBolt: j.bolt ? Math.round((perElt / j.bolt) * 1000) / 1000 : null,
    };
    results.push(row);
    process.stderr.write(`${j.name} [${ot}]: ${row.bytesPerElement} B/elt (predicted ${row.predictedBytesMatch ? '=' : '≠'}), ${row.rounds} rounds, ${row.elementsPerSecond} elt/s${j.bolt ? `, ${row.ratioToBolt} × BOLT (${j.bolt} B)` : ''}\n`);
  }
}
// Low-degree forms against the high-degree ones.
const pairs: [string, string, string][] = [
  ['gelu', 'gelu_hi', 'gelu_lo'],
  ['exp', 'exp_hi', 'exp_lo'],
  ['softmax (rows of 128)', 'softmax (rows of 128, exp_hi)', 'softmax (rows of 128, exp_lo)'],
];
const loVsHi = backends.flatMap((ot) => pairs.map(([fn, hiName, loName]) => {
  const hi = results.find((r) => r.op === hiName && r.ot === ot), lo = results.find((r) => r.op === loName && r.ot === ot);
  if (!hi || !lo) return null;
  const row = {
    fn,
    ot,
    hiBytesPerElement: hi.bytesPerElement,
    loBytesPerElement: lo.bytesPerElement,
    bytesRatio: Math.round((lo.bytesPerElement / hi.bytesPerElement) * 1000) / 1000,
    hiRounds: hi.rounds,
    loRounds: lo.rounds,
    roundsRatio: Math.round((lo.rounds / hi.rounds) * 1000) / 1000,
    speedup: Math.round((lo.elementsPerSecond / hi.elementsPerSecond) * 100) / 100,
  };
  process.stderr.write(`${fn} [${ot}]: lo/hi bytes ${row.loBytesPerElement} / ${row.hiBytesPerElement} = ${row.bytesRatio}, rounds ${row.loRounds} / ${row.hiRounds}, elements/s × ${row.speedup}\n`);
  return row;
}).filter((r) => r !== null));
// The same functions as the bundled CPL programs compose them (what `cipherprune run` costs).
const cpl = parts.includes('cpl') ? await cplRows(reps) : [];
// Each party on its own thread: time per element beside the C++ references and issue 15's targets.
const fair = parts.includes('fair') ? await fairRows(reps, backends, process.argv.includes('--fns') ? argOf('--fns', '').split(',') : undefined, { warmup, runtime, trace: process.argv.includes('--trace'), profile: process.argv.includes('--profile') ? argOf('--profile', '') : undefined }) : [];
// Each primitive as a BERT-base layer runs it, each party on its own thread.
const ops = parts.includes('ops') ? await opsRows(reps, backends, process.argv.includes('--ops') ? argOf('--ops', '').split(',') : undefined, runtime) : [];
report('nonlinear', {
  ring: 'fix<32,12>',
  ot: `${backends.join(', ')} (OtEngine); results, cpl: MemoryChannel, both parties on one thread (cpl: IKNP); fair: one worker thread per party`,
  ferretSteadyBitsPerCot: STEADY_BITS_PER_COT,
  partyRuntime: describeRuntime(runtime),
  reps, warmup, results, loVsHi, cpl, fair, ops,
});
