// Secure implementations of local ops: no communication. Public values are computed by both
// parties, a party's private values by their owner, and linear ops on secret values are applied
// to each party's share (additive shares for numbers, XOR shares for bools).
import type { Enc } from '../../front/types.ts';
import { twins, type Twin } from '../twins.ts';
import { ringOf, type Data } from '../tensor.ts';
import type { RingArray } from '../../crypto/ring.ts';
import { intToRing, SECRET_INT_ELL } from './nonlinear.ts';
import type { ExecValue, Impl, OpCall } from './types.ts';

/** How shares of a secret value are held: fixed point without its scale (linear ops on shares
 * must not truncate), integers as Z_2^32. */
export const unscaled = (enc: Enc): Enc => (enc.kind === 'fix' ? { kind: 'ring', ell: enc.ell } : enc.kind === 'int' ? { kind: 'ring', ell: SECRET_INT_ELL } : enc);

function twinOn(twin: Twin, args: ExecValue[], call: OpCall, enc: Enc): Data {
  // With a secret integer result, public integer operands join the shares' ring Z_2^32.
  const intShares = call.type.vis === 'secret' && call.type.enc.kind === 'int';
  return twin({
    args: args.map((a) => {
      if (a.vis === 'secret') return { shape: a.shape, enc: unscaled(a.enc), data: a.data! };
      if (intShares && a.enc.kind === 'int') return { shape: a.shape, enc: unscaled(a.enc), data: intToRing(a.data!) };
      return { shape: a.shape, enc: a.enc, data: a.data! };
    }),
    shape: call.type.shape,
    enc,
    attrs: call.attrs,
    mode: 'fixed',
    vis: call.type.vis,
  }).data;
}

/** Plain computation by whoever may see the result; nothing for the other party. */
export function plainImpl(name: string): Impl {
  const twin = twins[name];
  return async (ctx, args, call) => {
    const v = call.type.vis;
    if (v === 'secret') throw new Error(`internal: ${name} on a secret value needs a protocol`);
    if (v !== 'public' && v !== ctx.party) return null;
    return twinOn(twin, args, call, call.type.enc);
  };
}

/**
 * Ops that are linear in their secret argument(s): applied to each share. Public and private
 * results are computed in the clear. `constantTerm` ops (add/sub with a public or private operand
 * already shared by lowering) need nothing special: lowering made every operand secret.
 */
export function linearImpl(name: string): Impl {
  const twin = twins[name];
  const plain = plainImpl(name);
  return async (ctx, args, call) => {
    if (call.type.vis !== 'secret') return plain(ctx, args, call);
    return twinOn(twin, args, call, unscaled(call.type.enc));
  };
}

/** `not` on XOR shares: the client flips its share. */
export const notImpl: Impl = async (ctx, args, call) => {
  const a = args[0];
  if (call.type.vis !== 'secret') return plainImpl('not')(ctx, args, call);
  const d = a.data as Uint8Array;
  return ctx.party === 'client' ? Uint8Array.from(d, (x) => x ^ 1) : d;
};

/**
 * AND / OR of XOR shares with public bits, locally: a ∧ p is each share ∧ p; a ∨ p = a ⊕ p ⊕ (a ∧ p)
 * is the server's share ∨ p and the client's share ∧ ¬p.
 */
export const logicSpImpl = (kind: 'and' | 'or'): Impl => async (ctx, args, call) => {
  if (call.type.vis !== 'secret') return plainImpl(`${kind}_pp`)(ctx, args, call);
  const a = args[0].data as Uint8Array, p = args[1].data as Uint8Array;
  if (kind === 'and') return Uint8Array.from(a, (x, i) => x & p[i]);
  return ctx.party === 'server' ? Uint8Array.from(a, (x, i) => x | p[i]) : Uint8Array.from(a, (x, i) => x & (p[i] ^ 1));
};

/** Moving up the visibility lattice. To secret: the holder's share is the value, the other's 0. */
export const shareImpl: Impl = async (ctx, args, call) => {
  const a = args[0];
  const to = call.type.vis;
  if (to !== 'secret') return to === 'public' || to === ctx.party ? a.data : null; // public -> private
  const holder = a.vis === 'public' ? 'client' : a.vis;
  const enc = call.type.enc;
  if (ctx.party === holder) return enc.kind === 'int' ? intToRing(a.data!) : a.data;
  const n = call.type.shape.reduce((x, y) => x * y, 1);
  if (enc.kind === 'bool') return new Uint8Array(n);
  const held = unscaled(enc);
  if (held.kind === 'ring') return ringOf(held.ell).alloc(n);
  throw new Error(`cannot share a ${enc.kind} value`);
};

/** Integers and literals to fixed point / ring, in the clear (lowering turns secret integers
 * used as fixed point into `convert`, which may need a protocol). */
export const encodeImpl: Impl = async (ctx, args, call) => {
  const a = args[0];
  if (call.type.vis !== 'secret') return plainImpl('encode')(ctx, args, call);
  if (a.enc.kind === 'fix' || a.enc.kind === 'ring') return a.data;
  throw new Error(`internal: encoding a secret ${a.enc.kind} needs convert`);
};

/** Inputs: the owner reads its value (the executor passes it as the only argument). */
export const inputImpl: Impl = async (ctx, args, call) => (call.type.vis === ctx.party ? args[0]?.data ?? null : null);
