// Fidelity at real widths: BERT-base and GPT-2-small shapes (width 768, 12 heads, 3072) with
// BERT-like random weights (N(0, 0.02), LayerNorm γ = 1, β = 0; one set of weights, token ids per
// input). The fixed-point reference runs all layers (default 12) against float64; one or two
// layers run securely (both parties in this process, real OT and HE) against float64 and against
// the reference. Target: max |secure − float64| on the logits ≤ 0.05 and the same argmax.
//
//   npm run bench -- fidelity [--quick] [--seq 16] [--ref-layers 12] [--layers 1] [--samples 3]
//                             [--vocab 1000] [--models bert,gpt2]
import { readFileSync } from 'node:fs';
import { check } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import { bertLikeInputs, randomInputs } from '../../src/cli/inputs.ts';
import { argmax, maxAbsDiff, referenceFidelity } from '../../src/interp/fidelity.ts';
import { interpret } from '../../src/interp/interpret.ts';
import { realValues } from '../../src/ir/values.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { runBoth } from '../../src/exec/run-both.ts';
import { report } from '../lib.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const quick = process.argv.includes('--quick');
const seq = Number(arg('seq', quick ? '8' : '16'));
const refLayers = Number(arg('ref-layers', quick ? '2' : '12'));
const secLayers = Number(arg('layers', '1'));
const samples = Number(arg('samples', quick ? '1' : '3'));
const vocab = Number(arg('vocab', '1000'));
const which = arg('models', 'bert,gpt2').split(',');

const models = [
  { key: 'bert', name: 'BERT-base', file: 'protocols/bert.cpl', model: 'bert_dense', preset: 'bert-base', layers: 'num_hidden_layers' },
  { key: 'gpt2', name: 'GPT-2-small', file: 'protocols/gpt2.cpl', model: 'gpt2_dense', preset: 'gpt2-small', layers: 'n_layer' },
].filter((m) => which.includes(m.key));

function compile(m: (typeof models)[number], layers: number) {
  const r = check([{ path: m.file }]);
  const config = { ...JSON.parse(readFileSync(`protocols/configs/${m.preset}.json`, 'utf8')), [m.layers]: layers, seq_len: seq, vocab_size: vocab };
  return lowerModel(r, r.models.find((x) => x.name === m.model)!, { config });
}

const round = (x: number, d = 5) => Number(x.toPrecision(d));

interface Row {
  input: number;
  reference: { layers: number; maxAbsVsFloat64: number; argmaxSame: boolean; logitsMaxAbs: number; seconds: number };
  secure: { layers: number; maxAbsVsFloat64: number; maxAbsVsReference: number; referenceVsFloat64: number; argmaxSame: boolean; logitsMaxAbs: number; seconds: number; bytesC2S: number; bytesS2C: number; rounds: number };
}
const results = [];
for (const m of models) {
  const ref = compile(m, refLayers), sec = compile(m, secLayers);
  const refWeights = bertLikeInputs(ref, 1), secWeights = bertLikeInputs(sec, 1);
  const rows: Row[] = [];
  for (let k = 1; k <= samples; k++) {
    const ids = randomInputs(ref, 100 + k, 'client').ids;
    let t0 = performance.now();
    const [o] = referenceFidelity(ref, { ...refWeights, ids });
    const refSeconds = (performance.now() - t0) / 1000;
    const inputs = { ...secWeights, ids };
    const float = realValues(interpret(sec, inputs, 'float').values[sec.outputs[0].id], 'float');
    const twin = realValues(interpret(sec, inputs, 'fixed').values[sec.outputs[0].id], 'fixed');
    t0 = performance.now();
    const run = await runBoth(sec, inputs, MemoryChannel.pair());
    const secSeconds = (performance.now() - t0) / 1000;
    const secure = realValues(run.client.outputs[0].tensor, 'fixed');
    const row: Row = {
      input: k,
      reference: { layers: refLayers, maxAbsVsFloat64: round(o.maxErr), argmaxSame: o.argmaxFixed === o.argmaxFloat, logitsMaxAbs: round(Math.max(...o.float.map(Math.abs))), seconds: round(refSeconds, 3) },
      secure: {
        layers: secLayers,
        maxAbsVsFloat64: round(maxAbsDiff(secure, float)),
        maxAbsVsReference: round(maxAbsDiff(secure, twin)),
        referenceVsFloat64: round(maxAbsDiff(twin, float)),
        argmaxSame: argmax(secure) === argmax(float),
        logitsMaxAbs: round(Math.max(...float.map(Math.abs))),
        seconds: round(secSeconds, 3),
        bytesC2S: run.totals.client.bytesSent,
        bytesS2C: run.totals.server.bytesSent,
        rounds: Math.max(run.totals.client.rounds, run.totals.server.rounds),
      },
    };
    process.stderr.write(`${m.name} input ${k}: reference (${refLayers} layers) |Δ| ${row.reference.maxAbsVsFloat64}, argmax ${row.reference.argmaxSame ? 'same' : 'DIFFERENT'}; secure (${secLayers} layer${secLayers > 1 ? 's' : ''}) |Δ| ${row.secure.maxAbsVsFloat64} (vs reference ${row.secure.maxAbsVsReference}), argmax ${row.secure.argmaxSame ? 'same' : 'DIFFERENT'}, ${row.secure.seconds} s\n`);
    rows.push(row);
  }
  const worst = (f: (r: Row) => number) => Math.max(...rows.map(f));
  results.push({
    model: m.name,
    program: `${m.file} --model ${m.model}`,
    shape: { width: 768, heads: 12, ffn: 3072, tokens: seq, vocab },
    rows,
    summary: {
      referenceMaxAbsVsFloat64: worst((r) => r.reference.maxAbsVsFloat64),
      secureMaxAbsVsFloat64: worst((r) => r.secure.maxAbsVsFloat64),
      secureMaxAbsVsReference: worst((r) => r.secure.maxAbsVsReference),
      argmaxAllSame: rows.every((r) => r.reference.argmaxSame && r.secure.argmaxSame),
      target: 'max |Δ logits| ≤ 0.05, same argmax',
      met: rows.every((r) => r.reference.maxAbsVsFloat64 <= 0.05 && r.secure.maxAbsVsFloat64 <= 0.05 && r.reference.argmaxSame && r.secure.argmaxSame),
    },
  });
}
report('fidelity', { weights: 'BERT-like: N(0, 0.02), LayerNorm gain 1, biases 0 (bertLikeInputs, seed 1); token ids per input', encodings: 'act fix<32,12>, score fix<37,12>, stat fix<44,24> (protocols/*.cpl)', results });
