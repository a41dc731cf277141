// The channel's round clock (channel.ts) replayed over message flights, without sending anything:
// a party stamps a message with 1 + the highest stamp it has received, and the rounds are the
// highest stamp. Cost prediction uses it to count rounds exactly as the channels do.
import type { Party } from './channel.ts';

/** One flight of messages: sent by one party (or by both without waiting), then received. */
export interface ClockFlight {
  from: Party | 'both';
}

/** Simulates the two parties' round clocks over a sequence of flights. */
export class RoundClock {
  private clock: Record<Party, number> = { client: 0, server: 0 };
  high: Record<Party, number> = { client: 0, server: 0 };

  /** Replay one flight; returns the round stamp of each sender's messages. */
  flight(f: ClockFlight): Partial<Record<Party, number>> {
    const senders: Party[] = f.from === 'both' ? ['client', 'server'] : [f.from];
    const stamps = senders.map((s) => this.clock[s] + 1);
    senders.forEach((s, i) => (this.high[s] = Math.max(this.high[s], stamps[i])));
    senders.forEach((s, i) => {
      const r: Party = s === 'client' ? 'server' : 'client';
      this.clock[r] = Math.max(this.clock[r], stamps[i]);
      this.high[r] = Math.max(this.high[r], stamps[i]);
    });
    return Object.fromEntries(senders.map((s, i) => [s, stamps[i]]));
  }

  get rounds(): number {
    return Math.max(this.high.client, this.high.server);
  }
}
