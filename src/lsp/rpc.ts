// JSON-RPC 2.0 over a byte stream with `Content-Length` framing (the Language Server Protocol's
// base protocol): read messages from one stream, write them to another.
import type { Readable, Writable } from 'node:stream';

export interface Message {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

/** Calls `onMessage` for every complete message read from `input`. Malformed frames are dropped
 * with a note on `onError` (a client bug must not stop the server). */
export function readMessages(input: Readable, onMessage: (m: Message) => void, onError: (e: Error) => void): void {
  let buf = Buffer.alloc(0);
  input.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const headerEnd = buf.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = buf.subarray(0, headerEnd).toString('ascii');
      const m = /content-length:\s*(\d+)/i.exec(header);
      if (!m) {
        buf = buf.subarray(headerEnd + 4);
        onError(new Error(`a message header without Content-Length: ${JSON.stringify(header)}`));
        continue;
      }
      const len = Number(m[1]);
      if (buf.length < headerEnd + 4 + len) return;
      const body = buf.subarray(headerEnd + 4, headerEnd + 4 + len).toString('utf8');
      buf = buf.subarray(headerEnd + 4 + len);
      try {
        onMessage(JSON.parse(body) as Message);
      } catch (e) {
        onError(e as Error);
      }
    }
  });
}

export function writeMessage(out: Writable, m: Message): void {
  const body = Buffer.from(JSON.stringify(m), 'utf8');
  out.write(`Content-Length: ${body.length}\r\n\r\n`);
  out.write(body);
}
