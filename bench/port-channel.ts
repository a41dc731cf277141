// A channel between two worker threads over a MessagePort (bench only): each party runs on its own
// thread, as the C++ references run one thread per party. Bytes and rounds are counted as by every
// CountingChannel; closing or aborting reaches the peer as on the other channels.
// Payloads are copied (structured clone), or with `transfer` moved: the payload's ArrayBuffer is
// transferred when the payload owns all of it (the sender must not touch it afterwards; bench/ot's
// engines do not), else a copy is; with `transfer: 'copy'` always a copy of the payload's bytes
// (the sender may keep its array; a view into a large buffer does not clone all of it).
import type { MessagePort } from "node:worker_threads";
import {
  ChannelError,
  CountingChannel,
  type Party,
} from "../src/transport/channel.ts";

type Message = { payload: Uint8Array; round: number } | { end: string };

export class PortChannel extends CountingChannel {
  private readonly port: MessagePort;
  private readonly transfer: boolean | 'copy';

  constructor(
    party: Party,
    port: MessagePort,
    opts: { transfer?: boolean | 'copy' } = {},
  ) {
    super(party);
    this.port = port;
    this.transfer = opts.transfer ?? false;
    port.on("message", (m: Message) => {
      if ("end" in m) this.fail(new ChannelError("closed", m.end));
      else this.deliver(m.payload, m.round);
    });
  }

  protected transmit(payload: Uint8Array, round: number): void {
    if (!this.transfer) return this.port.postMessage({ payload, round });
    const own =
      this.transfer === true &&
      payload.byteOffset === 0 &&
      payload.byteLength === payload.buffer.byteLength &&
      payload.buffer instanceof ArrayBuffer
        ? payload
        : payload.slice();
    try {
      this.port.postMessage({ payload: own, round }, [
        own.buffer as ArrayBuffer,
      ]);
    } catch {
      // some buffers cannot be transferred (e.g. a WebAssembly memory's): send a copy
      const copy = payload.slice();
      this.port.postMessage({ payload: copy, round }, [
        copy.buffer as ArrayBuffer,
      ]);
    }
  }

  protected override end(local: ChannelError, toPeer: ChannelError): void {
    this.port.postMessage({ end: toPeer.message });
    this.fail(local);
    this.port.close();
  }
}
