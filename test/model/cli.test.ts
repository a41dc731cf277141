// Users' models on the command line: run with --checkpoint and --text (BERT label, GPT-2
// --generate), serve with the checkpoint only and connect with the text only, and clear errors.
// Tiny random checkpoints with the real vocabularies keep the secure runs short.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { bertDense } from '../../src/model/bert.ts';
import { gpt2Dense } from '../../src/model/gpt2.ts';
import { loadBert, loadGpt2 } from '../../src/model/load.ts';
import { encodeBert, encodeGpt2 } from '../../src/text/tokenizer.ts';
import { argmax } from '../../src/train/evaluate.ts';
import { compile } from '../exec/helpers.ts';
import { randomWeights, writeCheckpoint } from './helpers.ts';

const BERT_TINY = { vocab_size: 30522, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 8, num_labels: 2, seq_len: 8 };
const GPT2_TINY = { vocab_size: 50257, n_embd: 8, n_layer: 1, n_head: 2, n_inner: 16, n_positions: 6, seq_len: 6 };
const LABELS = { id2label: { 0: 'negative', 1: 'positive' } };

function tinyFolder(file: string, model: string, config: Record<string, number>, tokenizerFrom: string, extra: Record<string, unknown> = {}): string {
  const p = compile(file, model, config);
  const dir = writeCheckpoint(p, randomWeights(p, 5, 0.5), { dtype: 'F32', config: extra });
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join('models', tokenizerFrom, f), join(dir, f));
  return dir;
}

/** The client's folder: tokenizer files and config.json only (no weights). */
function clientFolder(from: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cipherprune-client-'));
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'config.json']) copyFileSync(join(from, f), join(dir, f));
  return dir;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s), color: false, tty: false });
  return { code, out, err };
}

function spawnCli(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number> } {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'bin/cipherprune.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return { child, out: () => out, err: () => err, exit: new Promise((r) => child.on('exit', (c, s) => r(c ?? (s ? 128 : 1)))) };
}

describe('BERT from a checkpoint folder and text', () => {
  const dir = tinyFolder('protocols/bert.cpl', 'bert_dense', BERT_TINY, 'bert-sentiment', LABELS);
  const text = 'The staff were lovely.';
  const m = loadBert(dir);
  const e = encodeBert(m.tokenizer, text, BERT_TINY.seq_len);
  const ref = bertDense(m.weights, m.config, [e.ids], [e.padding]).data;
  const label = LABELS.id2label[argmax(ref) as 0 | 1];

  it('run --checkpoint --text: the label of the float reference, logits within 0.01', async () => {
    const r = await cli(['run', 'protocols/bert.cpl', '--model', 'bert_dense', '--checkpoint', dir, '--text', text]);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const logits = JSON.parse(/output to client[^=]*= (\[[^\]]*\])/.exec(r.out)![1]) as number[];
    expect(Math.max(...logits.map((v, i) => Math.abs(v - ref[i])))).toBeLessThan(0.01);
    expect(r.out).toMatch(new RegExp(`^label: ${label} \\(probability 0\\.\\d{3}\\)$`, 'm'));
  }, 120_000);

  it('serve holds the checkpoint, connect the text: the client gets the same label', async () => {
    const server = spawnCli(['serve', 'protocols/bert.cpl', '--model', 'bert_dense', '--checkpoint', dir, '--listen', '127.0.0.1:0', '--once', '--no-prepare']);
    const deadline = Date.now() + 30_000;
    while (!/on ws:\/\/127\.0\.0\.1:(\d+)/.test(server.out())) {
      if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`server did not start: ${server.out()} ${server.err()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const port = /on ws:\/\/127\.0\.0\.1:(\d+)/.exec(server.out())![1];
    const client = spawnCli(['connect', 'protocols/bert.cpl', '--model', 'bert_dense', '--tokenizer', clientFolder(dir), '--text', text, '--to', `127.0.0.1:${port}`]);
    const [cc, sc] = await Promise.all([client.exit, server.exit]);
    expect({ cc, sc, err: client.err() }).toEqual({ cc: 0, sc: 0, err: '' });
    expect(client.out()).toMatch(new RegExp(`^label: ${label} `, 'm'));
  }, 120_000);

  it('each party may only use its own part of the model', async () => {
    expect(await cli(['connect', 'protocols/bert.cpl', '--model', 'bert_dense', '--checkpoint', dir, '--text', text])).toMatchObject({
      code: 2,
      err: expect.stringContaining('cipherprune: connect: the weights belong to the server; give the client --tokenizer DIR (its tokenizer and config.json) instead of --checkpoint'),
    });
    expect(await cli(['serve', 'protocols/bert.cpl', '--model', 'bert_dense', '--checkpoint', dir, '--text', text])).toMatchObject({
      code: 2,
      err: expect.stringContaining('cipherprune: serve: the text belongs to the client; --text and --tokenizer go to connect'),
    });
    expect(await cli(['run', 'protocols/bert.cpl', '--model', 'bert_dense', '--text', text])).toMatchObject({ code: 2, err: expect.stringContaining('cipherprune: --text needs a tokenizer: give --checkpoint DIR or --tokenizer DIR') });
  });

  it('checkpoint and tokenizer errors are one line, exit 1', async () => {
    expect(await cli(['run', 'protocols/bert.cpl', '--model', 'bert_dense', '--checkpoint', join(dir, 'nope'), '--text', text])).toEqual({ code: 1, out: '', err: `cipherprune: no checkpoint folder ${join(dir, 'nope')}\n` });
    const gptTok = tinyFolder('protocols/bert.cpl', 'bert_dense', BERT_TINY, 'gpt2-reviews', LABELS);
    // GPT-2's id for ' exquisite' (40123) is past BERT's 30,522 rows.
    const r = await cli(['run', 'protocols/bert.cpl', '--model', 'bert_dense', '--checkpoint', gptTok, '--text', 'Delicious pastries and exquisite coffee']);
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toBe(`cipherprune: token id 40123 ("Ġexquisite") is outside the program's vocabulary (vocab_size = 30522): the tokenizer (${join(gptTok, 'tokenizer.json')}, 50257 tokens) does not belong to this model (a compacted model needs its token_rows.json beside the tokenizer)\n`);
  });

  it('a config.json that does not fit the weights names the tensor', async () => {
    const bad = tinyFolder('protocols/bert.cpl', 'bert_dense', BERT_TINY, 'bert-sentiment', { ...LABELS, hidden_size: 16 });
    const r = await cli(['run', 'protocols/bert.cpl', '--model', 'bert_dense', '--checkpoint', bad, '--text', text]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`cipherprune: checkpoint ${bad}: tensor 'bert.embeddings.word_embeddings.weight' has shape [30522, 8], expected [30522, 16] (input wte (protocols/bert.cpl:${compile('protocols/bert.cpl', 'bert_dense').ops[compile('protocols/bert.cpl', 'bert_dense').inputs.find((i) => i.name === 'wte')!.id].where.line}) reads "bert.embeddings.word_embeddings.weight")\n`);
  });
});

describe('GPT-2 --generate', () => {
  it('K secure passes give the float model greedy continuation', async () => {
    const dir = tinyFolder('protocols/gpt2.cpl', 'gpt2_dense', GPT2_TINY, 'gpt2-reviews');
    const m = loadGpt2(dir);
    const prompt = 'The food was';
    let ids = encodeGpt2(m.tokenizer, prompt, GPT2_TINY.seq_len).ids;
    const want: number[] = [];
    for (let i = 0; i < 2; i++) {
      const next = argmax(gpt2Dense(m.weights, m.config, [ids]).data);
      want.push(next);
      ids = [...ids.slice(1), next];
    }
    const r = await cli(['run', 'protocols/gpt2.cpl', '--model', 'gpt2_dense', '--checkpoint', dir, '--text', prompt, '--generate', '2']);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toMatch(/^pass 1\/2: /m);
    expect(r.out).toContain(`text: ${prompt}${m.tokenizer.decode(want)}\n`);
  }, 180_000);

  it('--generate needs a language model and text', async () => {
    const r = await cli(['run', 'protocols/gpt2.cpl', '--model', 'gpt2_dense', '--random-inputs', '1', '--generate', '2']);
    expect(r).toMatchObject({ code: 2, err: expect.stringContaining('--generate needs a language-model program (inputs "input_ids" without "padding") and --text with a tokenizer') });
  });
});

