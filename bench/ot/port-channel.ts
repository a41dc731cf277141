// Bench only: a Channel between two worker threads over a MessagePort, transferring (not copying)
// each payload's ArrayBuffer, so each party can run on its own core in one process.
import type { MessagePort } from 'node:worker_threads';
import { CountingChannel, type Party } from '../../src/transport/channel.ts';

export class PortChannel extends CountingChannel {
  private readonly port: MessagePort;

  constructor(party: Party, port: MessagePort) {
    super(party);
    this.port = port;
    port.on('message', (m: { buf: ArrayBuffer; round: number }) => this.deliver(new Uint8Array(m.buf), m.round));
  }

  protected transmit(payload: Uint8Array, round: number): void {
    // Transfer needs a payload that owns its whole (non-shared) buffer; copy otherwise.
    const own =
      payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength && payload.buffer instanceof ArrayBuffer
        ? payload
        : payload.slice();
    const buf = own.buffer as ArrayBuffer;
    try {
      this.port.postMessage({ buf, round }, [buf]);
    } catch {
      // some buffers cannot be transferred (e.g. a WebAssembly memory's): send a copy
      const copy = payload.slice().buffer as ArrayBuffer;
      this.port.postMessage({ buf: copy, round }, [copy]);
    }
  }

  override close(): void {
    super.close();
    this.port.close();
  }
}
