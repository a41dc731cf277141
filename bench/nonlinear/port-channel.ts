// A channel between two worker threads over a MessagePort (bench only): each party runs on its own
// thread, as the C++ references run one thread per party. Payloads are copied (structured clone);
// bytes and rounds are counted as by every CountingChannel.
import type { MessagePort } from 'node:worker_threads';
import { ChannelError, CountingChannel, type Party } from '../../src/transport/channel.ts';

export class PortChannel extends CountingChannel {
  private readonly port: MessagePort;

  constructor(party: Party, port: MessagePort) {
    super(party);
    this.port = port;
    port.on('message', (m: { payload?: Uint8Array; round?: number; end?: string }) => {
      if (m.end !== undefined) this.fail(new ChannelError('closed', m.end));
      else this.deliver(m.payload!, m.round!);
    });
  }

  protected transmit(payload: Uint8Array, round: number): void {
    this.port.postMessage({ payload, round });
  }

  protected override end(local: ChannelError, toPeer: ChannelError): void {
    this.port.postMessage({ end: toPeer.message });
    this.fail(local);
    this.port.close();
  }
}
