// A language server for CPL over stdio (Language Server Protocol 3.17, the subset editors use):
// diagnostics as you type (the checker's, with notes and suggestions), hover with each
// expression's visibility, encoding and shape (and the op it resolved to), go to definition,
// and whole-document formatting with the formatter of `cipherprune fmt`.
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { check, type CheckResult, type Diagnostic, type Module, type SourceFile } from '../front/index.ts';
import type { Span } from '../front/ast.ts';
import { formatCpl } from '../format/index.ts';
import { definitionAt, hoverAt } from './query.ts';
import { readMessages, writeMessage, type Message } from './rpc.ts';

interface Position {
  line: number;
  character: number;
}
interface Doc {
  uri: string;
  path: string;
  text: string;
  checked?: { result: CheckResult; module: Module };
}

const pathOf = (uri: string) => (uri.startsWith('file:') ? fileURLToPath(uri) : resolve(uri));
const uriOf = (path: string) => pathToFileURL(resolve(path)).href;

/** LSP position (0-based line, UTF-16 character) of a byte offset. */
function positionOf(file: SourceFile, byte: number): Position {
  const { line, col } = file.position(byte);
  return { line: line - 1, character: col - 1 };
}
const rangeOf = (file: SourceFile, s: Span) => ({ start: positionOf(file, s.start), end: positionOf(file, s.end) });

/** Byte offset of an LSP position. */
function offsetOf(file: SourceFile, p: Position): number {
  let index = 0;
  for (let l = 0; l < p.line; l++) {
    const nl = file.text.indexOf('\n', index);
    if (nl < 0) return file.byteOf(file.text.length);
    index = nl + 1;
  }
  return file.byteOf(Math.min(index + p.character, file.text.length));
}

function toLsp(d: Diagnostic) {
  const message = [d.message, ...(d.suggestion ? [`help: ${d.suggestion}`] : []), ...d.notes.filter((n) => !n.span).map((n) => `note: ${n.message}`)].join('\n');
  return {
    range: rangeOf(d.file, d.span),
    severity: d.severity === 'error' ? 1 : 2,
    code: d.code,
    source: 'cpl',
    message,
    relatedInformation: d.notes.filter((n) => n.file && n.span).map((n) => ({ location: { uri: uriOf(n.file!.path), range: rangeOf(n.file!, n.span!) }, message: n.message })),
  };
}

export function startServer(input: Readable, output: Writable, log: (s: string) => void = () => {}): Promise<number> {
  const docs = new Map<string, Doc>();
  const send = (m: Omit<Message, 'jsonrpc'>) => writeMessage(output, { jsonrpc: '2.0', ...m });
  let shutdown = false;

  const analyse = (doc: Doc) => {
    const result = check([{ path: doc.path, text: doc.text }]);
    const module = result.entries[0];
    doc.checked = { result, module };
    const mine = result.diagnostics.filter((d) => d.file === module.file);
    send({ method: 'textDocument/publishDiagnostics', params: { uri: doc.uri, diagnostics: mine.map(toLsp) } });
  };
  const docAt = (params: { textDocument: { uri: string } }) => {
    const doc = docs.get(params.textDocument.uri);
    if (doc && !doc.checked) analyse(doc);
    return doc?.checked;
  };

  const handlers: Record<string, (params: any) => unknown> = {
    initialize: () => ({
      capabilities: { textDocumentSync: 1, hoverProvider: true, definitionProvider: true, documentFormattingProvider: true },
      serverInfo: { name: 'cipherprune-cpl' },
    }),
    shutdown: () => ((shutdown = true), null),
    'textDocument/hover': (p: { textDocument: { uri: string }; position: Position }) => {
      const c = docAt(p);
      if (!c) return null;
      const h = hoverAt(c.result, c.module, offsetOf(c.module.file, p.position));
      return h ? { contents: { kind: 'markdown', value: h.text }, range: rangeOf(c.module.file, h.span) } : null;
    },
    'textDocument/definition': (p: { textDocument: { uri: string }; position: Position }) => {
      const c = docAt(p);
      if (!c) return null;
      const d = definitionAt(c.result, c.module, offsetOf(c.module.file, p.position));
      return d ? { uri: d.file === c.module.file ? p.textDocument.uri : uriOf(d.file.path), range: rangeOf(d.file, d.span) } : null;
    },
    'textDocument/formatting': async (p: { textDocument: { uri: string }; options?: { tabSize?: number } }) => {
      const doc = docs.get(p.textDocument.uri);
      if (!doc) return null;
      try {
        const text = await formatCpl(doc.text, { filepath: doc.path });
        if (text === doc.text) return [];
        const lines = doc.text.split('\n');
        return [{ range: { start: { line: 0, character: 0 }, end: { line: lines.length - 1, character: lines[lines.length - 1].length } }, newText: text }];
      } catch {
        return null; // syntax errors are already shown as diagnostics
      }
    },
  };
  const notifications: Record<string, (params: any) => void> = {
    'textDocument/didOpen': (p: { textDocument: { uri: string; text: string } }) => {
      const doc: Doc = { uri: p.textDocument.uri, path: pathOf(p.textDocument.uri), text: p.textDocument.text };
      docs.set(doc.uri, doc);
      analyse(doc);
    },
    'textDocument/didChange': (p: { textDocument: { uri: string }; contentChanges: { text: string }[] }) => {
      const doc = docs.get(p.textDocument.uri);
      const last = p.contentChanges[p.contentChanges.length - 1];
      if (!doc || !last) return;
      doc.text = last.text;
      analyse(doc);
    },
    'textDocument/didClose': (p: { textDocument: { uri: string } }) => {
      docs.delete(p.textDocument.uri);
      send({ method: 'textDocument/publishDiagnostics', params: { uri: p.textDocument.uri, diagnostics: [] } });
    },
  };

  return new Promise((done) => {
    let queue = Promise.resolve();
    readMessages(
      input,
      (m) => {
        // One message at a time, in order: a change is analysed before the hover that follows it.
        queue = queue.then(async () => {
          if (m.method === 'exit') return done(shutdown ? 0 : 1);
          if (m.id === undefined || m.id === null) {
            try {
              notifications[m.method ?? '']?.(m.params);
            } catch (e) {
              log(`cpl language server: ${m.method}: ${(e as Error).stack}`);
            }
            return;
          }
          const h = handlers[m.method ?? ''];
          if (!h) return send({ id: m.id, error: { code: -32601, message: `method not supported: ${m.method}` } });
          try {
            send({ id: m.id, result: await h(m.params) });
          } catch (e) {
            log(`cpl language server: ${m.method}: ${(e as Error).stack}`);
            send({ id: m.id, error: { code: -32603, message: (e as Error).message } });
          }
        });
      },
      (e) => log(`cpl language server: ${e.message}`),
    );
    input.on('end', () => void queue.then(() => done(shutdown ? 0 : 1)));
  });
}
