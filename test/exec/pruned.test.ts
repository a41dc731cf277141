// CipherPrune BERT and GPT-2 run securely end to end (tiny default config, random weights). On
// several random inputs each, with thresholds chosen from the fixed-point reference so that no
// token sits near a threshold (src/interp/thresholds.ts): every secret boolean the program
// computes (comparisons, the keep masks, the accurate-polynomial masks) opens to exactly the
// reference's value, so the kept and high-degree token sets are the reference's; the revealed
// counts are the reference's; the logits are within the stated bound of the reference; bytes
// equal the prediction (and rounds too for the first input, from a fresh session). One
// session's engines (base OTs, HE keys) serve all inputs of a channel.
// Inputs per model and channel: 3 over the in-memory channel and 1 over ws by default (a secure
// run of a tiny pruned model takes 1.5–7 s here); 20 over both with CIPHERPRUNE_SLOW=1.
import { afterAll, describe, expect, it } from 'vitest';
import { calibrateThresholds, importanceOps, type Pinned } from '../../src/interp/thresholds.ts';
import { realValues } from '../../src/ir/twins.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { makeCostParams } from '../../src/ir/ops/table.ts';
import type { ExecValue } from '../../src/ir/ops/types.ts';
import { opRow } from '../../src/ir/ops/table.ts';
import type { Data } from '../../src/ir/tensor.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { main } from '../../src/cli/main.ts';
import { SessionEngines } from '../../src/exec/engines.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import type { OtBackend } from '../../src/crypto/ot/backends.ts';
import { ringOf, type RingArray } from '../../src/crypto/ring.ts';
import { calibrateForTest, channelPair, compile, openTrace, pruneInputs, SCORE_ERR, type ChannelKind } from './helpers.ts';

const SLOW = process.env.CIPHERPRUNE_SLOW === '1';
const RUNS: Record<ChannelKind, number> = { memory: SLOW ? 20 : 3, sim: 0, ws: SLOW ? 20 : 1 };
/** |secure − reference| of the logits (fixed-point reals). Pruning is exact (checked op by op
 * below); the differences come from the nonlinear protocols: the low-degree exp and GELU are
 * within 32 ULP of their twins per element (docs/approximations.md), and LayerNorm's rsqrt on
 * rows of small variance amplifies its input's rounding (GPT-2's random embeddings: up to 0.034
 * after the first LayerNorm at fix<32, 12>). Measured worst before issue 10's encodings: BERT 0.004,
 * GPT-2 0.03; after (GPT-2 at fix<36, 14>, scores and variances wider): BERT 0.0012, GPT-2 0.0009. */
const LOGIT_BOUND: Record<string, number> = { bert_cipherprune: 0.02, gpt2_cipherprune: 0.05 };
/** Score errors are in units of 2^-12 (one ULP of BERT's fix<32, 12>; GPT-2's act has 14 bits). */
const ULP = 2 ** -12;

const MODELS: [string, string, Pinned][] = [
  ['protocols/bert.cpl', 'bert_cipherprune', 'first'],
  ['protocols/gpt2.cpl', 'gpt2_cipherprune', 'last'],
];

/**
 * Inputs with thresholds chosen from the reference (calibrateForTest, with a little padding).
 * Null if a gap is narrower than twice the score error (a secure run could then flip a token):
 * such inputs are skipped.
 */
function inputsFor(p: ReturnType<typeof compile>, seed: number, pinned: Pinned) {
  const base = pruneInputs(p, seed);
  if (base.pad) base.pad = Array.from(base.pad, (_, i) => (i >= base.pad.length - (seed % 3) ? 1 : 0));
  const cal = calibrateForTest(p, base, pinned);
  return cal.gaps.every((g) => Math.min(g.keep, g.hi) > 2 * SCORE_ERR * ULP) ? cal : null;
}


/** The routing ops (exact: their opened outputs are their twins of their opened inputs). */
const ROUTING = ['compact', 'partition', 'unpartition', 'compact_split', 'compact_dest', 'route_to'];

describe.each(MODELS)('%s %s', (file, model, pinned) => {
  const p = compile(file, model);
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  // Ferret over memory (its pools and the prediction's replay of them carry over between inputs;
  // one input on the unmerged schedule too), IKNP over ws.
  const CASES: [ChannelKind, number, OtBackend, boolean][] = [['memory', RUNS.memory, 'ferret', true], ['memory', 1, 'ferret', false], ['ws', RUNS.ws, 'iknp', true]];
  it.each(CASES)('over %s, %i inputs, %s (merged: %s): token sets, counts, logits and cost as the reference', async (kind, runs, ot, merge) => {
    const { pair, close } = await channelPair(kind);
    const engines = { client: new SessionEngines('client', pair[0], { ot }), server: new SessionEngines('server', pair[1], { ot }) };
    const schedule = buildSchedule(p, { merge });
    closers.push(async () => {
      await engines.client.close();
      await engines.server.close();
      await close();
    });
    const params = makeCostParams({ ot });
    let compared = 0, routed = 0, worst = 0, worstScore = 0, done = 0, skipped = 0;
    const counts = new Set<string>();
    for (let seed = 1; done < runs; seed++) {
      const cal = inputsFor(p, seed, pinned);
      if (!cal) {
        skipped++;
        continue;
      }
      const ref = cal.reference;
      const traces = { client: new Map<number, ExecValue>(), server: new Map<number, ExecValue>() };
      const before = { c: { ...pair[0].totals }, s: { ...pair[1].totals } };
      const run = await runBoth(p, cal.inputs, pair, {
        engines,
        schedule,
        trace: { client: (op, v) => traces.client.set(op.id, v), server: (op, v) => traces.server.set(op.id, v) },
      });
      // Revealed counts and every secret boolean (the token sets) equal the reference's.
      expect(run.client.revealed).toEqual(ref.revealed);
      expect(run.server.revealed).toEqual(ref.revealed);
      counts.add(JSON.stringify(ref.revealed));
      const opened = (id: number): Data => openTrace(traces.client.get(id)!, traces.server.get(id)!);
      for (const op of p.ops) {
        const where = `%${op.id} ${op.op} (${op.where.file}:${op.where.line} ${op.where.loops.join(' ')}) input ${seed}`;
        if (op.type.vis === 'secret' && op.type.enc.kind === 'bool') {
          expect([...(opened(op.id) as Uint8Array)], where).toEqual([...(ref.values[op.id].data as Uint8Array)]);
          compared++;
        }
        // The routing ops are exact: their opened outputs are their twins of their opened inputs.
        if (ROUTING.includes(op.op)) {
          const args = op.args.map((a) => ({ shape: ref.values[a].shape, enc: ref.values[a].enc, data: opened(a) }));
          const want = opRow(op.op).twin({ args, shape: ref.values[op.id].shape, enc: op.type.enc, attrs: {}, mode: 'fixed' });
          expect(Array.from(opened(op.id) as ArrayLike<number | bigint>), where).toEqual(Array.from(want.data as ArrayLike<number | bigint>));
          routed++;
        }
      }
      for (const id of importanceOps(p)) {
        const sum = ringOf((ref.values[id].enc as { ell: number }).ell).add(traces.client.get(id)!.data as RingArray, traces.server.get(id)!.data as RingArray);
        const sec = realValues({ ...ref.values[id], data: sum }, 'fixed'), want = realValues(ref.values[id], 'fixed');
        worstScore = Math.max(worstScore, ...sec.map((v, i) => Math.abs(v - want[i]) / ULP));
      }
      const secure = realValues(run.client.outputs[0].tensor, 'fixed'), want = realValues(ref.outputs[0].tensor, 'fixed');
      const err = Math.max(...secure.map((v, i) => Math.abs(v - want[i])));
      worst = Math.max(worst, err);
      expect(err, `logits of input ${seed}`).toBeLessThan(LOGIT_BOUND[model]);
      // Cost: bytes always; rounds from the fresh session's equal clocks (the first input).
      const predicted = predictSchedule(run.client.schedule, run.client.dims, params);
      expect([pair[0].totals.bytesSent - before.c.bytesSent, pair[1].totals.bytesSent - before.s.bytesSent]).toEqual([predicted.bytesC2S, predicted.bytesS2C]);
      if (done === 0) expect(Math.max(pair[0].totals.rounds, pair[1].totals.rounds)).toBe(predicted.rounds);
      done++;
    }
    expect(worstScore).toBeLessThanOrEqual(SCORE_ERR);
    expect(skipped).toBeLessThan(runs);
    expect(compared).toBeGreaterThan(runs * 4);
    expect(routed).toBeGreaterThanOrEqual(runs * 2);
    // The inputs exercise different kept counts (not one fixed pattern).
    expect(counts.size).toBeGreaterThan(Math.min(2, runs - 1));
    console.log(`${model} over ${kind}, ${ot}, merged ${merge}: ${runs} inputs (${skipped} skipped: a threshold gap under ${2 * SCORE_ERR} ULP), ${compared} secret boolean tensors equal the reference, ${routed} routing ops exact, worst score error ${worstScore} ULP, worst logit error ${worst.toFixed(5)}, counts ${[...counts].join(' ')}`);
  }, 900_000);
});

// Model-level leakage: two inputs whose per-layer counts agree but whose kept tokens differ give
// the same message sizes and round stamps in every flight, on both sides.
describe('bert_cipherprune: the transcript depends on the revealed counts only', () => {
  it('same counts, different kept tokens, same flights', async () => {
    const p = compile('protocols/bert.cpl', 'bert_cipherprune');
    const counts = [{ keep: 8, hi: 4 }, { keep: 4, hi: 2 }];
    const runs = [];
    // Two inputs whose thresholds are far from every score (see SCORE_ERR), so both runs keep exactly these counts.
    const cals = [];
    for (let seed = 1; cals.length < 2 && seed < 40; seed++) {
      const cal = calibrateThresholds(p, pruneInputs(p, seed), 'first', (l) => counts[l]);
      if (cal.gaps.every((g) => Math.min(g.keep, g.hi) > (2 * SCORE_ERR) / 4096)) cals.push(cal);
    }
    for (const cal of cals) {
      const keepOp = p.ops.find((o) => o.op === 'or_sp' && o.where.loops[0] === 'l=0')!.id;
      const pair = MemoryChannel.pair();
      const log = { client: [] as [number, number][], server: [] as [number, number][] };
      for (const [ch, party] of [[pair[0], 'client'], [pair[1], 'server']] as const) {
        const send = ch.send.bind(ch);
        ch.send = (b: Uint8Array) => {
          send(b);
          log[party].push([b.length, ch.totals.rounds]);
        };
      }
      const run = await runBoth(p, cal.inputs, pair);
      expect(run.client.revealed).toEqual(cal.reference.revealed);
      runs.push({ log, kept: Array.from(cal.reference.values[keepOp].data as Uint8Array).join('') });
    }
    expect(runs[0].kept).not.toBe(runs[1].kept);
    expect(runs[0].log.client.length).toBeGreaterThan(100);
    expect(runs[1].log).toEqual(runs[0].log);
  }, 300_000);
});

describe('compile --emit cost for the CipherPrune models', () => {
  it.each(MODELS)('%s %s: every op has a predicted cost (none unknown)', async (file, model) => {
    let out = '';
    const io = { out: (s: string) => void (out += s), err: (s: string) => void (out += s), color: false, tty: false };
    const assume = ['k@l=0=9', 'kh@l=0=4', 'k@l=1=5', 'kh@l=1=2'].flatMap((a) => ['--assume', a]);
    expect(await main(['compile', file, '--model', model, '--emit', 'cost', ...assume], io)).toBe(0);
    // BERT compacts and partitions in one routing (compact_split), GPT-2 routes by destinations.
    expect(out).toMatch(model.startsWith('bert') ? /%\d+ compact_split +c->s +\d+ B/ : /%\d+ route_to +c->s +\d+ B/);
    expect(out).toMatch(model.startsWith('bert') ? /%\d+ count x2 +c->s/ : /%\d+ partition +c->s +\d+ B/);
    expect(out).toMatch(/^total \(merged\): client -> server \d+ B, server -> client \d+ B, \d+ rounds$/m);
    expect(out).not.toMatch(/not included|unknown/);
  });
});
