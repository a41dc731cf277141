// Op-table rows for the secure nonlinear protocols (src/crypto/nonlinear): how an op's types
// become protocol parameters, shares become protocol arguments, and the protocol's recorded
// message flights become the op's cost. Products that need truncation afterwards (secret x
// public, HE products) are composed here from their linear part and the truncation protocol.
import { NONLINEAR_PRIMS, trunc, truncCost, type Share } from '../../crypto/nonlinear/index.ts';
import type { ProtoCtx } from '../../crypto/nonlinear/context.ts';
import type { RingArray } from '../../crypto/ring.ts';
import { twins, type Twin } from '../twins.ts';
import { ringOf, size, type Data } from '../tensor.ts';
import { encodeReal } from '../values.ts';
import type { ConcreteType, CostParams, ExecCtx, Flight, Impl, OpCall } from './types.ts';

/** Secret integers (counts) are additive shares in Z_2^32. */
export const SECRET_INT_ELL = 32;

const ellOf = (t: ConcreteType): number => (t.enc.kind === 'fix' || t.enc.kind === 'ring' ? t.enc.ell : SECRET_INT_ELL);
const scaleOf = (t: ConcreteType): number => (t.enc.kind === 'fix' ? t.enc.scale : 0);
/** Ring width and scale of an encoding as `convert` sees it (int: Z_2^32 at scale 0). */
const widthOf = (t: ConcreteType) => ({ ell: ellOf(t), s: scaleOf(t), bool: t.enc.kind === 'bool' || undefined, name: t.enc.kind === 'int' ? 'int' : undefined });

/** Functions defined on fixed point only (their approximations need fractional bits). */
const FIXED_ONLY = new Set(['exp_hi', 'exp_lo', 'gelu_hi', 'gelu_lo', 'tanh', 'recip', 'rsqrt', 'div_sp', 'sigmoid', 'silu']);

/** Why a call of a nonlinear op cannot run on these operand types, or null. */
export function nonlinearUnsupported(name: string, call: OpCall): string | null {
  const e = call.args[0]?.enc;
  if (FIXED_ONLY.has(name) && e && e.kind !== 'fix') {
    return `${name} works on fixed-point values, not ${e.kind === 'int' ? 'integers' : e.kind}; convert first, e.g. convert::<fix<32, 12>>(x)`;
  }
  if (name === 'convert' && call.type.enc.kind === 'bool') return 'a value cannot be converted to bool; compare it instead (e.g. x > 0)';
  return null;
}

/** Protocol parameters of one call, from its (concrete) types and attributes. */
export function nonlinearParams(name: string, call: OpCall): Record<string, unknown> {
  const a = call.args[0];
  const num = call.args.find((x) => x.enc.kind !== 'bool') ?? call.type;
  const base = { ell: ellOf(num), s: scaleOf(num) };
  const int = num.enc.kind === 'int' ? { int: true } : {};
  switch (name) {
    case 'mul_ss':
      return { ...base, ...int };
    case 'mul_sx':
      return { ...base, ...int, owner: call.args[1].vis };
    case 'div_sp': {
      const c = call.attrs.divisor;
      if (typeof c !== 'number') throw new Error('div_sp needs a divisor known before the run (a constant or size)');
      return { ...base, c: Math.round(c * 2 ** base.s) };
    }
    case 'gt_ss':
    case 'lt_ss':
    case 'eq_ss':
    case 'ne_ss':
    case 'le_ss':
    case 'ge_ss':
      return base;
    case 'argmax':
      return { ...base, cols: a.shape[a.shape.length - 1] };
    case 'topk':
      return { ...base, cols: a.shape[a.shape.length - 1], k: call.attrs.k };
    case 'all':
    case 'any':
      return { cols: a.shape[a.shape.length - 1] };
    case 'convert':
      return { from: widthOf(a), to: widthOf(call.type) };
    case 'sumsq':
      return { ...base, cols: a.shape[a.shape.length - 1], to: { ell: ellOf(call.type), s: scaleOf(call.type) } };
    case 'select_ss':
      return { ell: base.ell };
    case 'count':
      return { ell: SECRET_INT_ELL };
    case 'rowmax':
      return { ...base, cols: a.shape[a.shape.length - 1] };
    case 'and_ss':
    case 'or_ss':
    case 'not':
      return {};
    default:
      return base;
  }
}

export const otFlights = (c: { flights?: Flight[] }): Flight[] => c.flights ?? [];

const protoCtx = async (ctx: ExecCtx): Promise<ProtoCtx> => ({ party: ctx.party, ch: ctx.ch, prg: ctx.prg, ot: await ctx.engines.ot() });

/** A row's impl, cost and exact fixed-point twin for one nonlinear prim. */
export function nonlinearRow(name: string): { impl: Impl; cost: (call: OpCall, p: CostParams) => Flight[]; twin: Twin; unsupported: (call: OpCall) => string | null } {
  const prim = NONLINEAR_PRIMS.find((r) => r.name === name);
  if (!prim) throw new Error(`internal: no nonlinear protocol for ${name}`);
  const floatTwin = twins[name];
  return {
    impl: async (ctx, args, call) => {
      const out = await prim.protocol(await protoCtx(ctx), args.map((x) => x.data as Share), nonlinearParams(name, call) as never);
      return out as Data;
    },
    cost: (call, p) => {
      if (name === 'not') return [];
      return [...p.otSetup(), ...otFlights(prim.cost(size(call.args[0].shape), nonlinearParams(name, call) as never, p.otModel))];
    },
    unsupported: (call) => nonlinearUnsupported(name, call),
    twin: (c) => {
      if (c.mode === 'float') return floatTwin(c);
      const call: OpCall = { args: c.args.map((x) => ({ vis: 'secret', enc: x.enc, shape: x.shape })), type: { vis: 'secret', enc: c.enc, shape: c.shape }, attrs: c.attrs };
      const why = nonlinearUnsupported(name, call);
      if (why) throw new RangeError(why);
      // Integers are float64 in the interpreter and shares of Z_2^32 in the protocols.
      const args = c.args.map((x) => (x.enc.kind === 'int' ? intToRing(x.data) : x.data) as Share);
      let data = prim.twin(args, nonlinearParams(name, call) as never, c.probe) as Data;
      if (c.enc.kind === 'int') data = Float64Array.from(ringOf(SECRET_INT_ELL).toSigned(data as RingArray));
      return { shape: c.shape, enc: c.enc, data };
    },
  };
}

/** Integer values (checked: integers in [−2^31, 2^31)) as elements of Z_2^32. */
export function intToRing(d: Data): RingArray {
  encodeReal(d as Float64Array, { kind: 'int' }, 'fixed', (i) => `integer element ${i}`);
  return ringOf(SECRET_INT_ELL).fromSigned(d as Float64Array);
}

/** Products of secret fixed-point values: the linear part, then secure truncation by s bits. */
export function truncating(linear: Impl, linearCost: (call: OpCall, p: CostParams) => Flight[]): { impl: Impl; cost: (call: OpCall, p: CostParams) => Flight[] } {
  const needs = (call: OpCall) => call.type.vis === 'secret' && call.type.enc.kind === 'fix' && call.type.enc.scale > 0;
  return {
    impl: async (ctx, args, call) => {
      const raw = await linear(ctx, args, call);
      if (!needs(call)) return raw;
      const enc = call.type.enc as { ell: number; scale: number };
      return trunc(await protoCtx(ctx), raw as RingArray, { ell: enc.ell, t: enc.scale });
    },
    cost: (call, p) => {
      const base = linearCost(call, p);
      if (!needs(call)) return base;
      const enc = call.type.enc as { ell: number; scale: number };
      return [...base, ...p.otSetup(), ...otFlights(truncCost(size(call.type.shape), { ell: enc.ell, t: enc.scale }, p.otModel))];
    },
  };
}
