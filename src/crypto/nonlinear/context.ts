// Shared shape of the secure non-linear protocols (docs/nonlinear.md).
//
// Every protocol is `async (ctx, ...shares, params) => share`: both parties call the same function
// with their own additive shares over Z_2^ell (RingArray) or XOR-shared booleans (`Bits`: a
// Uint8Array with one bit, 0 or 1, per byte). The server plays P0 of CrypTFlow2, the client P1.
//
// Costs: each protocol has an exact cost function. `CostBuilder` replays the protocol's message
// pattern (OT calls from the OT engine's message plans, and our own exchanges) through the
// channel's Lamport round clock (src/transport/channel.ts) starting from equal clocks, so predicted
// bytes and rounds equal the channel counters. Composition: stamps are monotone in the starting
// clocks, so the rounds of a sequence of ops are at most the sum of their predictions.
import type { Channel, Party } from '../../transport/channel.ts';
import type { ObliviousTransfer } from '../ot/types.ts';
import { otCost, type MessagePlan, type OtCostModel } from '../ot/cost.ts';
import type { Prg } from '../prg.ts';
import { ringOf, type Ring, type RingArray } from '../ring.ts';

export interface ProtoCtx {
  party: Party;
  ch: Channel;
  ot: ObliviousTransfer;
  prg: Prg;
  /**
   * Exact mode (docs/tuning.md, "Exact mode"): every truncation floors exactly (trunc.ts adds the
   * dropped carry), so every op's result equals its fixed-point twin bit for bit. Public: both
   * parties run the same mode (it is part of the program's hash, src/ir/hash.ts).
   */
  exact?: boolean;
}

/** XOR-shared booleans: one byte per bit, each 0 or 1. */
export type Bits = Uint8Array;

export interface Cost {
  bytesClientToServer: number;
  bytesServerToClient: number;
  rounds: number;
  /** The message flights in order, so a caller can replay them from any clock state
   * (src/opt/cost.ts does, to predict the rounds of a whole program exactly). */
  flights?: CostFlight[];
}

/** Messages one party sends (or both send without waiting), before the next flight. */
export interface CostFlight {
  from: Party | 'both';
  c2s: number;
  s2c: number;
}

export const isServer = (ctx: ProtoCtx): boolean => ctx.party === 'server';

export { ringOf };

export function checkEllScale(ell: number, s: number, what: string): void {
  if (!Number.isInteger(ell) || ell < 8 || ell > 64) throw new RangeError(`${what}: ring width must be 8..64, got ${ell}`);
  if (!Number.isInteger(s) || s < 0 || s >= ell - 2) throw new RangeError(`${what}: scale must be 0..${ell - 3}, got ${s}`);
}

export function checkLen(a: { length: number }, n: number, what: string): void {
  if (a.length !== n) throw new RangeError(`${what}: expected ${n} elements, got ${a.length}`);
}

/**
 * Replays a protocol's messages through the Lamport round clock. Every step mirrors one step of
 * the protocol code, in the same order; a message is sent iff it has at least one byte.
 */
export class CostBuilder {
  readonly ot: OtCostModel;
  /** Exact mode (ProtoCtx.exact), read from the session's cost model (`exactOtModel`). */
  readonly exact: boolean;
  c2s = 0;
  s2c = 0;
  private clock: Record<Party, number> = { client: 0, server: 0 };
  private high = 0;
  readonly flights: CostFlight[] = [];

  constructor(ot: OtCostModel = otCost) {
    this.ot = ot;
    this.exact = isExactModel(ot);
  }

  private stamp(from: Party, bytes: number, st: number): void {
    if (from === 'client') this.c2s += bytes;
    else this.s2c += bytes;
    this.high = Math.max(this.high, st);
  }

  /** One flight of `bytes` from one party (consecutive ones from the same party share a round). */
  private flight(from: Party, bytes: number): void {
    const to: Party = from === 'client' ? 'server' : 'client';
    const st = this.clock[from] + 1;
    this.stamp(from, bytes, st);
    this.clock[to] = Math.max(this.clock[to], st);
    this.flights.push(from === 'client' ? { from, c2s: bytes, s2c: 0 } : { from, c2s: 0, s2c: bytes });
  }

  /**
   * COTs a call draws with `receiver` as the COT receiver: counted for a batch backend, whose
   * pools refill between steps (the step's demand; docs/ot.md, "Refills between steps").
   */
  draw(receiver: Party, cots: number): void {
    const d = this.ot.drawn;
    if (d) d[receiver === 'client' ? 'server' : 'client'] += cots;
  }

  /** One OT call: its COTs are drawn, then the receiver's messages, then (if any) the sender's replies. */
  otCall(receiver: Party, plan: MessagePlan): void {
    const sender: Party = receiver === 'client' ? 'server' : 'client';
    this.draw(receiver, plan.cots);
    if (plan.receiverToSender.length) this.flight(receiver, plan.receiverToSender.reduce((a, b) => a + b, 0));
    if (plan.senderToReceiver.length) this.flight(sender, plan.senderToReceiver.reduce((a, b) => a + b, 0));
  }

  /** Both parties send (if their message is non-empty), then both receive. */
  /** While set, exchanges accumulate here: several independent exchanges in one flight. */
  private merged: { c2s: number; s2c: number } | null = null;

  /**
   * Independent one-exchange steps run side by side (`Promise.all` of calls that each send, then
   * receive): their messages share one flight.
   */
  together(steps: () => void): void {
    this.merged = { c2s: 0, s2c: 0 };
    steps();
    const m = this.merged;
    this.merged = null;
    this.exchange(m.c2s, m.s2c);
  }

  exchange(c2sBytes: number, s2cBytes: number): void {
    if (this.merged) {
      this.merged.c2s += c2sBytes;
      this.merged.s2c += s2cBytes;
      return;
    }
    const sc = this.clock.client + 1, ss = this.clock.server + 1;
    if (c2sBytes > 0) {
      this.stamp('client', c2sBytes, sc);
      this.clock.server = Math.max(this.clock.server, sc);
    }
    if (s2cBytes > 0) {
      this.stamp('server', s2cBytes, ss);
      this.clock.client = Math.max(this.clock.client, ss);
    }
    if (c2sBytes > 0 || s2cBytes > 0) this.flights.push({ from: c2sBytes > 0 && s2cBytes > 0 ? 'both' : c2sBytes > 0 ? 'client' : 'server', c2s: c2sBytes, s2c: s2cBytes });
  }

  result(): Cost {
    return { bytesClientToServer: this.c2s, bytesServerToClient: this.s2c, rounds: this.high, flights: this.flights };
  }
}

/**
 * The cost model of a session in exact mode: the same model (its pools and COT counts shared),
 * marked so that every CostBuilder replaying on it prices the exact protocols. Cost functions
 * already take the session's model, so the mode reaches every one of them without a parameter.
 */
export function exactOtModel(ot: OtCostModel): OtCostModel {
  if (isExactModel(ot)) return ot;
  return { ...ot, exact: true, fresh: () => exactOtModel(ot.fresh()), forked: () => exactOtModel(ot.forked()) } as OtCostModel;
}

export const isExactModel = (ot: OtCostModel): boolean => (ot as { exact?: boolean }).exact === true;

/** Run a cost replay and return its totals. */
export function costOf(steps: (b: CostBuilder) => void, ot: OtCostModel = otCost): Cost {
  const b = new CostBuilder(ot);
  steps(b);
  return b.result();
}

// ---- small array helpers shared by the protocols ----

/** Bits (0/1 bytes) of a ring array: bit `j` of element i at out[i·k + j], j < k. */
export function bitsOf(a: RingArray, k: number): Uint8Array {
  const n = a.length, out = new Uint8Array(n * k);
  if (a instanceof Uint32Array) {
    for (let i = 0; i < n; i++) {
      const v = a[i];
      for (let j = 0; j < k; j++) out[i * k + j] = (v >>> j) & 1;
    }
  } else {
    const w = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) out[i * k + j] = j < 32 ? (w[2 * i] >>> j) & 1 : (w[2 * i + 1] >>> (j - 32)) & 1;
    }
  }
  return out;
}

/** Bit `j` of every element. */
export function bitAt(a: RingArray, j: number): Bits {
  const n = a.length, out = new Uint8Array(n);
  if (a instanceof Uint32Array) for (let i = 0; i < n; i++) out[i] = (a[i] >>> j) & 1;
  else {
    const w = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
    for (let i = 0; i < n; i++) out[i] = j < 32 ? (w[2 * i] >>> j) & 1 : (w[2 * i + 1] >>> (j - 32)) & 1;
  }
  return out;
}

/** Ring element i of `a` as a JS number of its low 32 bits (narrow rings: the element). */
export function lo32(a: RingArray, i: number): number {
  return a instanceof Uint32Array ? a[i] : Number(a[i] & 0xffffffffn);
}

/** Ring array from 0/1 bits. */
export function bitsToRing(ring: Ring, b: Bits): RingArray {
  const out = ring.alloc(b.length);
  if (out instanceof Uint32Array) out.set(b);
  else for (let i = 0; i < b.length; i++) out[i] = BigInt(b[i]);
  return out;
}

/** Public constant (integer, possibly negative) broadcast as a ring array. */
export function constRing(ring: Ring, n: number, c: number | bigint): RingArray {
  return ring.addScalar(ring.alloc(n), typeof c === 'bigint' ? BigInt.asUintN(64, c) : c);
}

/** Add a public constant on the server's share only (the shares then sum to x + c). */
export function addPublic(ctx: ProtoCtx, ring: Ring, a: RingArray, c: number | bigint | RingArray): RingArray {
  if (!isServer(ctx)) return a.slice() as RingArray;
  if (typeof c === 'number' || typeof c === 'bigint') return ring.addScalar(a, typeof c === 'bigint' ? BigInt.asUintN(64, c) : c);
  return ring.add(a, c);
}

/** This party's share of a public value: the server holds it, the client holds 0. */
export function sharePublic(ctx: ProtoCtx, ring: Ring, v: RingArray): RingArray {
  return isServer(ctx) ? v.slice() as RingArray : ring.alloc(v.length);
}

export function xorBits(a: Bits, b: Bits): Bits {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** Concatenate ring arrays of one ring. */
export function concatRing(ring: Ring, parts: RingArray[]): RingArray {
  const out = ring.alloc(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    (out as Uint32Array).set(p as Uint32Array, o);
    o += p.length;
  }
  return out;
}

export function concatBits(parts: Bits[]): Bits {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
