// run --generate K: greedy generation with a language-model program, one secure pass per
// token over one session (HE keys and base OTs set up once). The client appends each predicted
// token to its window (dropping the oldest) and runs again; it prints the text as it grows.
// `check` is run's precheck (the fixed-point reference on each pass's inputs).
import type { IrProgram } from '../ir/ir.ts';
import type { InputValues } from '../ir/dim-env.ts';
import { realValues } from '../ir/twins.ts';
import { idInputs, type TextInputs } from '../model/text-inputs.ts';
import { LocalSession } from '../exec/session.ts';
import type { OtBackend } from '../crypto/ot/index.ts';
import { UsageError, type Io } from './args.ts';
import { ranked, type ModelArgs } from './model-args.ts';
import type { channelsFor } from './network.ts';
import { costSummary, progress } from './report.ts';

export const generateHelp = `  --generate K         (a language model with --text) K secure passes: each predicts the
                       next token, which the client appends to its text; prints the text`;

export async function generate(p: IrProgram, inputs: InputValues, m: ModelArgs, text: TextInputs | undefined, k: string, channels: ReturnType<typeof channelsFor>, showProgress: boolean, io: Io, check: (inputs: InputValues) => void = () => {}, ot?: OtBackend): Promise<number> {
  const steps = Number(k);
  if (!Number.isInteger(steps) || steps < 1) throw new UsageError(`--generate expects a positive number of tokens, got '${k}'`);
  if (!text || !m.tokenizer || text.style !== 'gpt2') throw new UsageError('--generate needs a language-model program (inputs "input_ids" without "padding") and --text with a tokenizer');
  const tok = m.tokenizer;
  let window = text.ids;
  const generated: number[] = [];
  const session = new LocalSession(channels.pair, { ot });
  const totals = { c2s: 0, s2c: 0, rounds: 0, seconds: 0 };
  try {
    for (let i = 1; i <= steps; i++) {
      const bar = progress(io, showProgress);
      const passInputs = { ...inputs, ...idInputs(p, window) };
      check(passInputs);
      let run;
      try {
        run = await session.run(p, passInputs, { onProgress: bar.update });
      } finally {
        bar.done();
      }
      const out = run.client.outputs[0];
      if (!out || out.tensor.shape.at(-1) !== tok.vocabSize) throw new UsageError(`--generate: ${p.model} gives the client no logits over the ${tok.vocabSize}-token vocabulary`);
      const [best] = ranked(realValues(out.tensor, 'fixed'), 1);
      generated.push(best.index);
      window = [...window.slice(1), best.index];
      totals.c2s += run.own.client.bytesSent;
      totals.s2c += run.own.server.bytesSent;
      totals.rounds += Math.max(run.own.client.rounds, run.own.server.rounds);
      totals.seconds += run.seconds;
      io.out(`pass ${i}/${steps}: ${JSON.stringify(tok.decode([best.index]))} (probability ${best.p.toFixed(3)}), ${run.seconds.toFixed(1)} s\n`);
    }
  } finally {
    await session.close();
  }
  io.out(`text: ${m.text}${tok.decode(generated)}\n`);
  io.out(costSummary({ bytesC2S: totals.c2s, bytesS2C: totals.s2c, rounds: totals.rounds, seconds: totals.seconds, simulatedSeconds: channels.elapsed(), network: channels.profile?.name }) + '\n');
  return 0;
}
