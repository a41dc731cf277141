// Opening values: `reveal` (to both parties or to one) and `output` (to its recipient).
// Numbers travel bit-packed (exactly ceil(l * n / 8) bytes, Ring.pack), bools as packed bits.
import type { Enc, Vis } from '../../front/types.ts';
import type { Party } from '../../transport/channel.ts';
import { ringOf, size, type Data } from '../tensor.ts';
import type { RingArray } from '../../crypto/ring.ts';
import { packMsgs, unpackMsgs } from '../../crypto/ot/bits.ts';
import type { Batch, ConcreteType, ExecCtx, Flight, Impl, OpCall, OpSignature } from './types.ts';
import { SECRET_INT_ELL } from './nonlinear.ts';

/** Wire bytes of n elements of an encoding. */
export function wireBytes(enc: Enc, n: number): number {
  if (enc.kind === 'bool') return Math.ceil(n / 8);
  if (enc.kind === 'fix' || enc.kind === 'ring') return ringOf(enc.ell).packedBytes(n);
  return 8 * n; // public or private integers and literals: float64
}

function pack(enc: Enc, d: Data): Uint8Array {
  if (enc.kind === 'bool') return packMsgs(d as Uint8Array, d.length, 1);
  if (enc.kind === 'fix' || enc.kind === 'ring') return ringOf(enc.ell).pack(d as RingArray);
  const f = d as Float64Array;
  return new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
}

function unpack(enc: Enc, bytes: Uint8Array, n: number): Data {
  const want = wireBytes(enc, n);
  if (bytes.length !== want) throw new Error(`protocol error: expected ${want} bytes for ${n} values, got ${bytes.length}`);
  if (enc.kind === 'bool') return unpackMsgs(bytes, n, 1);
  if (enc.kind === 'fix' || enc.kind === 'ring') return ringOf(enc.ell).unpack(bytes, n);
  return new Float64Array(bytes.slice().buffer);
}

/** Combine two shares. */
function combine(enc: Enc, a: Data, b: Data): Data {
  if (enc.kind === 'bool') return Uint8Array.from(a as Uint8Array, (x, i) => x ^ (b as Uint8Array)[i]);
  return ringOf((enc as { ell: number }).ell).add(a as RingArray, b as RingArray);
}

/** Who sends what to open a value of visibility `from` to `to` ('public' = both). */
function plan(from: Vis, to: Vis): { senders: Party[] } {
  if (from === 'public' || from === to) return { senders: [] };
  if (from === 'secret') return { senders: to === 'public' ? ['client', 'server'] : [to === 'client' ? 'server' : 'client'] };
  return { senders: [from] }; // a private value revealed to both (or to the other party)
}

export function openCost(arg: ConcreteType, to: Vis): Flight[] {
  const { senders } = plan(arg.vis, to);
  const bytes = wireBytes(wireEnc(arg.vis, arg.enc), size(arg.shape));
  if (senders.length === 0) return [];
  if (senders.length === 2) return [{ from: 'both', c2s: bytes, s2c: bytes }];
  return [{ from: senders[0], c2s: senders[0] === 'client' ? bytes : 0, s2c: senders[0] === 'server' ? bytes : 0 }];
}

/** Secret integers travel as their Z_2^32 shares (SECRET_INT_ELL) and open to float64 integers. */
const wireEnc = (vis: Vis, enc: Enc): Enc => (vis === 'secret' && enc.kind === 'int' ? { kind: 'ring', ell: SECRET_INT_ELL } : enc);

/** An opening in two halves, so that a batch sends every value before it receives any. */
function openHalves(ctx: ExecCtx, value: { vis: Vis; enc: Enc; shape: number[]; data: Data | null }, to: Vis): { send(): void; recv(): Promise<Data | null> } {
  const a = { ...value, enc: wireEnc(value.vis, value.enc) };
  const { senders } = plan(a.vis, to);
  const n = size(a.shape);
  const sees = to === 'public' || to === ctx.party;
  const other: Party = ctx.party === 'client' ? 'server' : 'client';
  const finish = (opened: Data | null): Data | null =>
    opened && value.vis === 'secret' && value.enc.kind === 'int' ? Float64Array.from(ringOf(SECRET_INT_ELL).toSigned(opened as RingArray)) : opened;
  return {
    send() {
      if (senders.includes(ctx.party)) ctx.ch.send(pack(a.enc, a.data!));
    },
    async recv() {
      if (senders.length === 0) return sees ? a.data : null;
      if (!sees) return null;
      if (!senders.includes(other)) return finish(a.data); // I already hold it
      const theirs = unpack(a.enc, await ctx.ch.recv(), n);
      return finish(a.vis === 'secret' ? combine(a.enc, a.data!, theirs) : theirs);
    },
  };
}

async function open(ctx: ExecCtx, value: { vis: Vis; enc: Enc; shape: number[]; data: Data | null }, to: Vis): Promise<Data | null> {
  const h = openHalves(ctx, value, to);
  h.send();
  return h.recv();
}

/** Several openings in one flight: every value is sent before any is received. */
export const revealBatch: Batch = {
  impl: async (ctx, items) => {
    const halves = items.map((it) => openHalves(ctx, it.args[0], it.call.type.vis));
    for (const h of halves) h.send();
    const out: (Data | null)[] = [];
    for (const h of halves) out.push(await h.recv());
    return out;
  },
  cost: (calls) => {
    const fs = calls.flatMap((c) => openCost(c.args[0], c.type.vis));
    if (fs.length === 0) return [];
    const senders = new Set(fs.map((f) => f.from));
    const from = senders.size === 1 ? fs[0].from : 'both';
    return [{ from, c2s: fs.reduce((s, f) => s + f.c2s, 0), s2c: fs.reduce((s, f) => s + f.s2c, 0) }];
  },
};

/** Openings batch when they go the same way (the key is the visibilities). */
export const revealKey = (sig: OpSignature): string => JSON.stringify([sig.args[0].vis, sig.type.vis]);

export const revealImpl: Impl = async (ctx, args, call: OpCall) => open(ctx, args[0], call.type.vis);
export const revealCost = (call: OpCall): Flight[] => openCost(call.args[0], call.type.vis);

export const outputImpl: Impl = async (ctx, args, call: OpCall) => open(ctx, args[0], (call.attrs.to as Party) ?? 'client');
export const outputCost = (call: OpCall): Flight[] => openCost(call.args[0], call.attrs.to as Party);
