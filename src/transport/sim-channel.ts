// Simulated link: both parties in one process (like MemoryChannel), plus a virtual clock per
// party so a run reports the time it would take on a given network, without root or `tc`
// (docs/runtime.md, "Simulated link").
//
// Model, per message of b payload bytes sent by party p at its virtual time T_p:
//   start   = max(T_p, link free time in that direction)      one message at a time per direction
//   finish  = start + 8 b / bandwidth                          serialisation on the link
//   arrival = finish + one-way latency (= RTT / 2)
// send() does not block the sender (a socket with a large buffer). recv() moves the receiver's
// clock to max(T_r, arrival). Local compute advances a party's clock by measured wall time
// (`compute: 'wall'`, default) or not at all (`compute: 'none'`: pure network time).
//
// Wall-time attribution with both parties on one thread: the time between two consecutive
// channel calls (of either party) is charged to the party making the later call. This is exact
// when each party awaits only channel operations (its code between two of its own channel calls
// runs without interleaving); time spent awaiting anything else is charged to the next caller.
import { performance } from 'node:perf_hooks';
import { CountingChannel, type Party } from './channel.ts';
import { ChannelError } from './channel.ts';
import { UsageError } from './errors.ts';

export interface NetworkProfile {
  name: string;
  /** Link bandwidth per direction, bits per second. */
  bitsPerSecond: number;
  /** Round-trip time in seconds; the one-way latency is half of it. */
  rttSeconds: number;
}

/**
 * Named profiles: the settings of the published baselines (BOLT, CipherPrune: "LAN 3 Gbps,
 * 0.8 ms; WAN 200 Mbps, 40 ms"). The latency figure is read as a round-trip (ping) time, as in
 * the tc/netem scripts of that lineage (netem delay = half the quoted ping on loopback).
 */
export const NETWORKS: Readonly<Record<'lan' | 'wan', NetworkProfile>> = {
  lan: { name: 'lan', bitsPerSecond: 3e9, rttSeconds: 0.8e-3 },
  wan: { name: 'wan', bitsPerSecond: 200e6, rttSeconds: 40e-3 },
};

/** Parse `--network lan|wan|<Mbit/s>,<RTT ms>`. Throws UsageError with a hint. */
export function parseNetwork(spec: string): NetworkProfile {
  const s = spec.trim().toLowerCase();
  if (s === 'lan' || s === 'wan') return NETWORKS[s];
  const hint = `expected lan, wan or <Mbit/s>,<RTT ms> (for example 100,20 = 100 Mbit/s with a 20 ms round trip)`;
  const parts = s.split(',');
  if (parts.length !== 2) throw new UsageError(`invalid --network "${spec}": ${hint}`);
  const [mbit, ms] = parts.map((p) => (/^\s*\d+(\.\d+)?(e[+-]?\d+)?\s*$/.test(p) ? Number(p) : NaN));
  if (!(mbit > 0) || !Number.isFinite(mbit)) throw new UsageError(`invalid --network "${spec}": bandwidth "${parts[0].trim()}" must be a positive number of Mbit/s; ${hint}`);
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new UsageError(`invalid --network "${spec}": latency "${parts[1].trim()}" must be a non-negative number of milliseconds; ${hint}`);
  return { name: `${mbit}Mbit/s,${ms}ms`, bitsPerSecond: mbit * 1e6, rttSeconds: ms / 1e3 };
}

/** Time to move `bytes` over the profile in `rounds` rounds (no compute): the cost-model formula. */
export function predictSeconds(p: NetworkProfile, rounds: number, bytesEachWay: { toServer: number; toClient: number }): number {
  return (rounds * p.rttSeconds) / 2 + (8 * Math.max(bytesEachWay.toServer, bytesEachWay.toClient)) / p.bitsPerSecond;
}

export interface SimOptions {
  /** 'wall' (default): local compute advances the virtual clock; 'none': network time only. */
  compute?: 'wall' | 'none';
}

/** State shared by the two ends of a simulated link. */
export class SimLink {
  readonly profile: NetworkProfile;
  readonly compute: 'wall' | 'none';
  /** Virtual time of each party, seconds since the start. */
  readonly now: Record<Party, number> = { client: 0, server: 0 };
  /** Time each direction's link is busy until (keyed by sender). */
  private readonly freeAt: Record<Party, number> = { client: 0, server: 0 };
  /** Seconds each direction spent serialising bytes. */
  readonly busy: Record<Party, number> = { client: 0, server: 0 };
  /** Compute seconds charged to each party. */
  readonly computeSeconds: Record<Party, number> = { client: 0, server: 0 };
  private checkpoint = performance.now();

  constructor(profile: NetworkProfile, options: SimOptions = {}) {
    this.profile = profile;
    this.compute = options.compute ?? 'wall';
  }

  /** Simulated elapsed time: the later of the two parties' clocks. */
  get elapsedSeconds(): number {
    return Math.max(this.now.client, this.now.server);
  }

  /** Charge wall time since the previous channel call (of either party) to `p`. */
  charge(p: Party): void {
    const t = performance.now();
    if (this.compute === 'wall') {
      const dt = (t - this.checkpoint) / 1000;
      this.now[p] += dt;
      this.computeSeconds[p] += dt;
    }
    this.checkpoint = t;
  }

  /** Add explicit compute time (e.g. a measured worker job) to a party's clock. */
  advance(p: Party, seconds: number): void {
    this.now[p] += seconds;
    this.computeSeconds[p] += seconds;
  }

  /** Arrival time of a message of `bytes` sent now by `p`. */
  transmit(p: Party, bytes: number): number {
    const start = Math.max(this.now[p], this.freeAt[p]);
    const serial = (8 * bytes) / this.profile.bitsPerSecond;
    this.freeAt[p] = start + serial;
    this.busy[p] += serial;
    return start + serial + this.profile.rttSeconds / 2;
  }
}

export class SimChannel extends CountingChannel {
  readonly link: SimLink;
  private peer: SimChannel | null = null;
  private arrivals: number[] = [];

  private constructor(party: Party, link: SimLink) {
    super(party);
    this.link = link;
  }

  /** Both ends of a simulated link with the given profile (see `parseNetwork`, `NETWORKS`). */
  static pair(profile: NetworkProfile, options: SimOptions = {}): [client: SimChannel, server: SimChannel] {
    const link = new SimLink(profile, options);
    const c = new SimChannel('client', link);
    const s = new SimChannel('server', link);
    c.peer = s;
    s.peer = c;
    return [c, s];
  }

  /** This party's virtual time in seconds. */
  get now(): number {
    return this.link.now[this.party];
  }

  protected transmit(payload: Uint8Array, round: number): void {
    this.link.charge(this.party);
    const peer = this.peer!;
    peer.arrivals.push(this.link.transmit(this.party, payload.byteLength));
    queueMicrotask(() => peer.deliver(payload, round));
  }

  override async recv(): Promise<Uint8Array> {
    this.link.charge(this.party);
    const m = await super.recv();
    const at = this.arrivals.shift();
    if (at === undefined) throw new ChannelError('malformed', 'simulated link lost track of a message arrival time');
    this.link.now[this.party] = Math.max(this.link.now[this.party], at);
    return m;
  }

  protected override end(local: ChannelError, toPeer: ChannelError): void {
    super.end(local, toPeer);
    const peer = this.peer;
    if (peer) queueMicrotask(() => peer.fail(toPeer));
  }
}
