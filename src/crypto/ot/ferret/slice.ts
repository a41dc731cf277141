// One concurrent-group member's share of a Ferret session's pools (docs/ot.md, "Refills between
// steps"): blocks taken from both directions' pools after the group's prefill, served in order on
// the member's own channel. It never refills: its cost functions sized it.
import type { Channel, Party } from '../../../transport/channel.ts';
import { checkChoices } from '../bits.ts';
import type { CotCost, CotSource } from '../cot-source.ts';
import { derandRecv, derandSend, ferretCost, lsbChoices } from './derand.ts';

export class FerretSlice implements CotSource {
  readonly name = 'ferret-slice';
  readonly party: Party;
  readonly chunk: number;
  readonly delta: Uint8Array;
  private readonly ch: Channel;
  private readonly blocks: { sender: Uint8Array; receiver: Uint8Array };
  private used = { sender: 0, receiver: 0 };

  constructor(ch: Channel, delta: Uint8Array, chunk: number, asSender: Uint8Array, asReceiver: Uint8Array) {
    this.ch = ch;
    this.party = ch.party;
    this.delta = delta;
    this.chunk = chunk;
    this.blocks = { sender: asSender, receiver: asReceiver };
  }

  setup(): Promise<void> {
    return Promise.resolve();
  }

  cost(n: number, random = false): CotCost {
    return ferretCost(n, this.chunk, random);
  }

  fork(): CotSource {
    throw new Error('internal: a Ferret slice (concurrent work) does not fork again');
  }

  private draw(n: number, role: 'sender' | 'receiver'): Uint8Array {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`OT count must be a non-negative integer, got ${n}`);
    const have = this.blocks[role].length >>> 4, at = this.used[role];
    if (at + n > have) throw new Error(`internal: a concurrent step drew ${at + n} COTs as ${role}, its cost functions foresaw ${have}`);
    this.used[role] += n;
    return this.blocks[role].subarray(16 * at, 16 * (at + n)); // each range is handed out once: no copy
  }

  async send(n: number): Promise<Uint8Array> {
    return derandSend(this.ch, this.draw(n, 'sender'), this.delta, this.chunk);
  }

  async sendRandom(n: number): Promise<Uint8Array> {
    return this.draw(n, 'sender');
  }

  async recv(choices: Uint8Array): Promise<Uint8Array> {
    checkChoices(choices);
    return derandRecv(this.ch, this.draw(choices.length, 'receiver'), choices, this.chunk);
  }

  async recvRandom(n: number): Promise<{ choices: Uint8Array; blocks: Uint8Array }> {
    const blocks = this.draw(n, 'receiver');
    return { choices: lsbChoices(blocks), blocks };
  }
}
