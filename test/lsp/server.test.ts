// The language server over stdio, as an editor drives it: `cipherprune lsp` answers initialize,
// publishes diagnostics for an opened (and then edited) document, and answers hover, definition
// and formatting requests.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readMessages, writeMessage, type Message } from '../../src/lsp/rpc.ts';

class Client {
  private readonly proc: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private readonly waiting: { pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  private readonly seen: Message[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;

  constructor() {
    this.proc = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'bin/cipherprune.mjs', 'lsp'], { stdio: 'pipe' });
    this.proc.stderr.on('data', (d) => this.stderr.push(String(d)));
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
    readMessages(this.proc.stdout, (m) => {
      const i = this.waiting.findIndex((w) => w.pred(m));
      if (i >= 0) this.waiting.splice(i, 1)[0].resolve(m);
      else this.seen.push(m);
    }, (e) => this.stderr.push(e.message));
  }
  next(pred: (m: Message) => boolean): Promise<Message> {
    const i = this.seen.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.seen.splice(i, 1)[0]);
    return new Promise((r) => this.waiting.push({ pred, resolve: r }));
  }
  async request(method: string, params: unknown): Promise<any> {
    const id = this.nextId++;
    writeMessage(this.proc.stdin, { jsonrpc: '2.0', id, method, params });
    const m = await this.next((x) => x.id === id);
    expect(m.error, `${method}: ${m.error?.message}`).toBeUndefined();
    return m.result;
  }
  notify(method: string, params: unknown): void {
    writeMessage(this.proc.stdin, { jsonrpc: '2.0', method, params });
  }
  diagnostics(uri: string): Promise<any> {
    return this.next((m) => m.method === 'textDocument/publishDiagnostics' && (m.params as { uri: string }).uri === uri).then((m) => m.params);
  }
  kill(): void {
    this.proc.kill();
  }
}

const uri = pathToFileURL(resolve('test/lsp/layer.cpl')).href; // not on disk: the editor's buffer
const text = `import nn
type act = fix<32, 12>
model m {
  input x: client act[4, 8]
  input w: server act[8, 8]
  input b: server act[8]
  let h = nn.linear(x, w, b)
  let y = relu(h) *   2.0
  output y to client
}
`;
const pos = (line: number, word: string, at = 0) => ({ line, character: text.split('\n')[line].indexOf(word) + at });

describe('cipherprune lsp', () => {
  const c = new Client();
  afterAll(() => c.kill());

  it('initializes with hover, definition and formatting', async () => {
    const r = await c.request('initialize', { processId: null, rootUri: null, capabilities: {} });
    expect(r.capabilities).toMatchObject({ textDocumentSync: 1, hoverProvider: true, definitionProvider: true, documentFormattingProvider: true });
    c.notify('initialized', {});
  });

  it('publishes diagnostics as the document changes', async () => {
    c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'cpl', version: 1, text } });
    expect((await c.diagnostics(uri)).diagnostics).toEqual([]);
    c.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: text.replace('relu(h)', 'exp(h)') }] });
    const d = (await c.diagnostics(uri)).diagnostics;
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'E0201', severity: 1, range: { start: { line: 7, character: 10 }, end: { line: 7, character: 13 } } });
    expect(d[0].message).toContain("unknown function 'exp'");
    expect(d[0].message).toContain("did you mean 'exp_hi'");
    c.notify('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text }] });
    expect((await c.diagnostics(uri)).diagnostics).toEqual([]);
  });

  it('hovers with visibility, encoding, shape and the resolved op', async () => {
    const h = await c.request('textDocument/hover', { textDocument: { uri }, position: pos(8, 'y', 0) });
    expect(h.contents.value).toContain('visibility **secret**, encoding **fix<32, 12>**, shape **[4, 8]**');
    const op = await c.request('textDocument/hover', { textDocument: { uri }, position: pos(7, '*') });
    expect(op.contents.value).toContain('op: `mul_sp`');
    const input = await c.request('textDocument/hover', { textDocument: { uri }, position: pos(6, 'w,') });
    expect(input.contents.value).toContain('visibility **server**, encoding **fix<32, 12>**, shape **[8, 8]**');
  });

  it('goes to definitions: locals, inputs, functions in other modules, prelude ops', async () => {
    const local = await c.request('textDocument/definition', { textDocument: { uri }, position: pos(8, 'y') });
    expect(local).toEqual({ uri, range: { start: pos(7, 'y'), end: pos(7, 'y', 1) } });
    const input = await c.request('textDocument/definition', { textDocument: { uri }, position: pos(6, 'x,') });
    expect(input.range.start).toEqual(pos(3, 'x'));
    const fn = await c.request('textDocument/definition', { textDocument: { uri }, position: pos(6, 'linear', 2) });
    expect(fn.uri).toBe(pathToFileURL(resolve('stdlib/nn.cpl')).href);
    expect(fn.range.start.line).toBeGreaterThan(0);
    const prim = await c.request('textDocument/definition', { textDocument: { uri }, position: pos(7, 'relu') });
    expect(prim.uri).toBe(pathToFileURL(resolve('stdlib/prelude.cpl')).href);
  });

  it('formats the document', async () => {
    const edits = await c.request('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
    expect(edits).toHaveLength(1);
    expect(edits[0].newText).toBe(text.replace('*   2.0', '* 2.0'));
  });

  it('shuts down and exits cleanly', async () => {
    expect(await c.request('shutdown', null)).toBeNull();
    c.notify('exit', null);
    expect(await c.exited).toBe(0);
    expect(c.stderr.join('')).toBe('');
  });
});
