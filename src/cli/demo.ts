// cipherprune demo: the bundled sentiment classifier labels a sentence with CipherPrune BERT,
// client and server in this process on the real cryptographic path. Beside the secure result
// it shows what the plaintext float model computes (in the clear, by the demo, for
// illustration: which words each layer keeps), and the predicted LAN and WAN times.
import { bertCipherPrune, bertDense } from '../model/bert.ts';
import { bundledModel, loadBert, runnable, type LoadedBert } from '../model/load.ts';
import { textInputs } from '../model/text-inputs.ts';
import { realValues } from '../ir/twins.ts';
import { LocalSession } from '../exec/session.ts';
import { NETWORKS, predictSeconds } from '../transport/sim-channel.ts';
import { parse, UsageError, type Io } from './args.ts';
import { modelErrors, ranked } from './model-args.ts';
import { channelsFor } from './network.ts';
import { exactFrom, exactHelp, otBackendOf } from './program.ts';
import { costSummary, progress, progressWanted } from './report.ts';

export const DEMO_TEXT = 'The food was delicious and the staff were friendly.';

export const demoHelp = `usage: cipherprune demo [options]

Label a sentence with the bundled sentiment classifier (models/bert-sentiment: a small BERT
trained on review sentences, with the real bert-base-uncased vocabulary) using CipherPrune:
token pruning and polynomial reduction under encryption. The client (holding the text) and
the server (holding the model) run in this process on the real cryptographic path: HE for the
linear layers, OT for the rest. Prints the label and its probability, the tokens kept in each
layer, the bytes each way, rounds, time, and the predicted time on a LAN and a WAN.

options:
  --text TEXT          the sentence (default: "${DEMO_TEXT}")
  --checkpoint DIR     another classifier folder in the Hugging Face layout (default: the
                       bundled models/bert-sentiment)
  --dense              run the dense model (bert_dense) instead of bert_cipherprune
  --network NET        run over a simulated link: lan, wan or MBITS,MS (default: in memory,
                       with the LAN and WAN times predicted from bytes and rounds)
  --ot B               correlated-OT backend: ferret (default) or iknp (docs/ot.md)
${exactHelp}
${exactFrom.checkpoint}
  --progress / --no-progress   progress bar on stderr (default: on a terminal)
  -h, --help           show this help

The bundled classifier runs in exact mode: its thresholds.json says "exact": true, because
its thresholds were tuned for exact mode, where the secure run keeps exactly the tokens the
fixed-point model keeps and gives its label (in the default mode a truncation's dropped carry
can flip a pruning decision near a threshold; docs/tuning.md, "Exact mode"). --dense takes no
thresholds and runs in the default mode unless --exact is given.

example:
  cipherprune demo --text "The battery died after two days."`;

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

function load(dir: string, dense: boolean, io: Io): LoadedBert {
  if (dense) return modelErrors(() => loadBert(dir, 'bert_dense'));
  const r = modelErrors(() => runnable((model) => loadBert(dir, model), 'bert_cipherprune', 'bert_dense'));
  if (r.note) io.err(`note: ${r.note}\n`);
  return r.model;
}

export async function runDemo(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    text: { type: 'string' },
    checkpoint: { type: 'string' },
    dense: { type: 'boolean' },
    network: { type: 'string' },
    ot: { type: 'string' },
    exact: { type: 'boolean' },
    progress: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
  });
  if (values.help) return io.out(demoHelp + '\n'), 0;
  if (positionals.length) throw new UsageError(`demo takes no arguments (got '${positionals[0]}'); give the sentence with --text`);
  const text = values.text ?? DEMO_TEXT;
  if (!text.trim()) throw new UsageError('--text is empty');
  const channels = channelsFor(values.network);
  const dir = values.checkpoint ?? bundledModel('bert-sentiment');
  const loaded = load(dir, !!values.dense, io);
  const m = values.exact ? { ...loaded, program: { ...loaded.program, exact: true } } : loaded;
  const pruned = m.program.model === 'bert_cipherprune';
  const c = m.config;
  const t = modelErrors(() => textInputs(m.program, m.tokenizer, text));
  const words = m.tokenizer.tokens(t.ids);

  io.out(`${pruned ? 'CipherPrune' : 'dense'} BERT, ${values.checkpoint ?? 'models/bert-sentiment'}: ${c.num_hidden_layers} layers, width ${c.hidden_size}, ${c.seq_len} token positions, ${m.program.exact ? 'exact mode, ' : ''}vocabulary of ${m.tokenizer.rows ? `${m.tokenizer.vocabSize} tokens in ${c.vocab_size} table rows (token_rows.json)` : `${c.vocab_size} tokens`}\n`);
  io.out(`text: ${JSON.stringify(text)} (${t.length} tokens${t.truncated ? ', cut to fit' : ''}, ${c.seq_len - t.length} padding)\n`);

  // The plaintext float model, in the clear (the demo's own check and illustration).
  const ref = pruned && m.thresholds ? bertCipherPrune(m.weights, c, t.rows, t.padding, m.thresholds) : { logits: bertDense(m.weights, c, [t.rows], [t.padding]), steps: [] };

  const bar = progress(io, progressWanted(values, io));
  const session = new LocalSession(channels.pair, { ot: otBackendOf(values) });
  let run;
  try {
    run = await session.run(m.program, { ...m.serverInputs, ...t.inputs }, { onProgress: bar.update });
  } finally {
    bar.done();
    await session.close();
  }
  const logits = realValues(run.client.outputs[0].tensor, 'fixed');
  const [best] = ranked(logits, 1);
  io.out(`label: ${m.labels[best.index]} (probability ${best.p.toFixed(3)})\n`);

  if (pruned) {
    const k = Array.from({ length: c.num_hidden_layers }, (_, l) => run.client.revealed[`k@l=${l}`]);
    const kh = Array.from({ length: c.num_hidden_layers }, (_, l) => run.client.revealed[`kh@l=${l}`]);
    io.out(`tokens kept per layer (revealed to both parties): ${[c.seq_len, ...k].join(' -> ')}; accurate polynomials for ${kh.join(', ')}\n`);
    io.out('words kept (computed in the clear by this demo for illustration; neither party learns them; * = accurate polynomials):\n');
    ref.steps.forEach((s, l) => {
      const hi = new Set(s.kept.slice(0, s.kh));
      const shown = [...s.kept].sort((a, b) => a - b).map((i) => words[i] + (hi.has(i) ? '*' : ''));
      io.out(`  layer ${l + 1} keeps ${s.k}: ${shown.join(' ')}\n`);
    });
  } else io.out(`tokens per layer: ${c.seq_len} in every layer (dense: no pruning)\n`);

  const plain = ranked(ref.logits.data, 1)[0];
  const diff = Math.max(...Array.from(logits, (v, i) => Math.abs(v - ref.logits.data[i])));
  io.out(`plaintext float model (computed in the clear by this demo, to compare): ${m.labels[plain.index]} (probability ${plain.p.toFixed(3)}); largest logit difference ${diff.toFixed(4)}\n`);

  const bytes = { toServer: run.own.client.bytesSent, toClient: run.own.server.bytesSent };
  const rounds = Math.max(run.own.client.rounds, run.own.server.rounds);
  io.out(costSummary({ bytesC2S: bytes.toServer, bytesS2C: bytes.toClient, rounds, seconds: run.seconds, simulatedSeconds: channels.elapsed(), network: channels.profile?.name }, run.predicted) + '\n');
  const at = (n: keyof typeof NETWORKS) => (run.seconds + predictSeconds(NETWORKS[n], rounds, bytes)).toFixed(1);
  io.out(`predicted time with the parties on two machines: LAN (3 Gbit/s, 0.8 ms) ${at('lan')} s, WAN (200 Mbit/s, 40 ms) ${at('wan')} s (this run's compute plus ${mb(Math.max(bytes.toServer, bytes.toClient))} on the busier direction and ${rounds} rounds of one-way latency)\n`);
  return 0;
}
