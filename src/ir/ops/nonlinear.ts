// Op-table rows for the secure nonlinear protocols (src/crypto/nonlinear): how an op's types
// become protocol parameters, shares become protocol arguments, and the protocol's recorded
// message flights become the op's cost. Products that need truncation afterwards (secret x
// public, HE products) are composed here from their linear part and the truncation protocol.
import { NONLINEAR_PRIMS, choosersFlight, costOf, startChoosers, trunc, truncCostSteps, truncCounts, truncSpec, type Share } from '../../crypto/nonlinear/index.ts';
import type { ProtoCtx } from '../../crypto/nonlinear/context.ts';
import type { RingArray } from '../../crypto/ring.ts';
import { twins, type Twin } from '../twins.ts';
import { bcastOf, concatData, ringOf, size, splitData, type Data } from '../tensor.ts';
import { encodeReal } from '../values.ts';
import type { Batch, BatchItem, ConcreteType, CostParams, ExecCtx, Flight, Impl, OpCall, OpSignature } from './types.ts';

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

function bcastParam(call: OpCall): { bcast?: { kind: 'row' | 'col'; cols: number } } {
  const bcast = bcastOf(call.args[0].shape, call.args[1].shape);
  return bcast ? { bcast } : {};
}

/** Protocol parameters of one call, from its (concrete) types and attributes. */
export function nonlinearParams(name: string, call: OpCall): Record<string, unknown> {
  const a = call.args[0];
  const num = call.args.find((x) => x.enc.kind !== 'bool') ?? call.type;
  const base = { ell: ellOf(num), s: scaleOf(num) };
  const int = num.enc.kind === 'int' ? { int: true } : {};
  switch (name) {
    // A broadcast second operand (lowering leaves row and trailing vectors unexpanded: mul.ts).
    case 'mul_ss':
      return { ...base, ...int, ...bcastParam(call) };
    case 'mul_sx':
      return { ...base, ...int, owner: call.args[1].vis, ...bcastParam(call) };
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
    case 'sumsq': {
      const to = { ell: ellOf(call.type), s: scaleOf(call.type) }, div = call.attrs.divisor;
      // A division by a public constant fused in by the schedule (src/opt/fuse.ts), raw at W's scale.
      return { ...base, cols: a.shape[a.shape.length - 1], to, ...(typeof div === 'number' ? { div: Math.round(div * 2 ** to.s) } : {}) };
    }
    case 'select_ss':
      return { ell: base.ell };
    case 'count':
      return { ell: SECRET_INT_ELL };
    case 'rowmax':
      return { ...base, cols: a.shape[a.shape.length - 1] };
    case 'recip':
    case 'rsqrt': {
      // Another result encoding: a conversion fused in by the schedule (src/opt/fuse.ts).
      const out = { ell: ellOf(call.type), s: scaleOf(call.type) };
      return out.ell === base.ell && out.s === base.s ? base : { ...base, out };
    }
    case 'and_ss':
    case 'or_ss':
    case 'not':
      return {};
    default:
      return base;
  }
}

export const otFlights = (c: { flights?: Flight[] }): Flight[] => c.flights ?? [];

/** The protocols' ctx of a party's execution ctx (its OT engine set up on first use; exact mode passed on). */
export const protoCtx = async (ctx: ExecCtx): Promise<ProtoCtx> => ({ party: ctx.party, ch: ctx.ch, prg: ctx.prg, ot: await ctx.engines.ot(), exact: ctx.exact });

/** The protocol parameters shared by every call of a batch (equal batch keys guarantee it). */
function sharedParams(name: string, calls: OpCall[]): Record<string, unknown> {
  const params = nonlinearParams(name, calls[0]);
  const key = JSON.stringify(params);
  for (const c of calls) if (JSON.stringify(nonlinearParams(name, c)) !== key) throw new Error(`internal: a batch of ${name} mixes parameters ${key} and ${JSON.stringify(nonlinearParams(name, c))}`);
  return params;
}

/** Each argument position's data of every item, concatenated (null where this party holds nothing). */
export function concatArgs(items: BatchItem[]): (Data | null)[] {
  return items[0].args.map((a, j) => (a.data === null ? null : concatData(items.map((it) => it.args[j].data as Data))));
}

/**
 * Batch keys of elementwise protocols: everything the protocol parameters are made of (the
 * encodings and visibilities of the operands, the attributes) and, for row-wise prims, the row
 * length.
 */
const nonlinearKey = (rows: boolean) => (sig: OpSignature): string =>
  JSON.stringify([sig.args.map((a) => [a.vis, a.enc]), sig.type.vis, sig.type.enc, sig.attrs, rows ? sig.args[0].shape.at(-1) : null]);

/** A row's impl, cost and exact fixed-point twin for one nonlinear prim. */
export function nonlinearRow(name: string): { impl: Impl; cost: (call: OpCall, p: CostParams) => Flight[]; twin: Twin; batchKey: (sig: OpSignature) => string; batch: Batch; unsupported: (call: OpCall) => string | null } {
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
    batchKey: nonlinearKey(!!prim.batch?.rows),
    batch: {
      // One protocol run on the concatenated inputs; row-wise prims see whole rows, reductions
      // reduce each call's part.
      impl: async (ctx, items) => {
        const params = sharedParams(name, items.map((it) => it.call));
        const pctx = await protoCtx(ctx);
        const args = concatArgs(items) as Share[];
        const lengths = items.map((it) => size(it.call.args[0].shape));
        const seg = prim.batch?.segments;
        const out = (seg ? await seg(pctx, args, params as never, lengths) : await prim.protocol(pctx, args, params as never)) as Data;
        return splitData(out, items.map((it) => size(it.call.type.shape)));
      },
      cost: (calls, p) => {
        if (name === 'not') return [];
        const n = calls.reduce((s, c) => s + size(c.args[0].shape), 0);
        return [...p.otSetup(), ...otFlights(prim.cost(n, sharedParams(name, calls) as never, p.otModel))];
      },
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

const needsTrunc = (call: OpCall) => call.type.vis === 'secret' && call.type.enc.kind === 'fix' && call.type.enc.scale > 0;

/**
 * The linear part of products, then one truncation of all their results (their result types are
 * equal). The truncation's OT is prepared before the linear part, so it rides that part's first
 * flight (e.g. the client's HE upload) and the truncation itself is one exchange.
 */
async function truncated(ctx: ExecCtx, calls: OpCall[], linearRun: () => Promise<(Data | null)[]>): Promise<(Data | null)[]> {
  if (!needsTrunc(calls[0])) return linearRun();
  const enc = calls[0].type.enc as { ell: number; scale: number };
  const sizes = calls.map((c) => size(c.type.shape)), n = sizes.reduce((a, b) => a + b, 0);
  const pctx = await protoCtx(ctx);
  const [ch] = await (await startChoosers(pctx, [truncSpec(pctx, n, enc.scale)]))();
  const raw = await linearRun();
  return splitData(await trunc(pctx, concatData(raw as Data[]) as RingArray, { ell: enc.ell, t: enc.scale }, ch), sizes);
}

function truncatedCost(calls: OpCall[], p: CostParams, linear: Flight[]): Flight[] {
  if (!needsTrunc(calls[0])) return linear;
  const enc = calls[0].type.enc as { ell: number; scale: number };
  const n = calls.reduce((s, c) => s + size(c.type.shape), 0);
  const setup = p.otSetup();
  const prep = otFlights(costOf((b) => {
    const f = choosersFlight(b, [truncCounts(n)]);
    b.exchange(f.c2s, f.s2c);
  }, p.otModel));
  return [...setup, ...prep, ...linear, ...otFlights(costOf((b) => truncCostSteps(b, n, { ell: enc.ell, t: enc.scale }, true), p.otModel))];
}

/** Batch key of products followed by truncation: the result type (the truncation's parameters). */
export const truncKey = (sig: OpSignature): string => JSON.stringify([sig.type.vis, sig.type.enc]);

/**
 * Products of secret fixed-point values: the linear part, then secure truncation by s bits.
 * Batched: each linear part (local), or `linearBatch` (e.g. one HE product for several), then one
 * truncation of all results.
 */
export function truncating(
  linear: Impl,
  linearCost: (call: OpCall, p: CostParams) => Flight[],
  linearBatch?: Batch,
): { impl: Impl; cost: (call: OpCall, p: CostParams) => Flight[]; batch: Batch } {
  return {
    batch: {
      impl: async (ctx, items) =>
        truncated(ctx, items.map((it) => it.call), async () => {
          if (linearBatch) return linearBatch.impl(ctx, items);
          const raw: (Data | null)[] = [];
          for (const it of items) raw.push(await linear(ctx, it.args, it.call));
          return raw;
        }),
      cost: (calls, p) => truncatedCost(calls, p, linearBatch ? linearBatch.cost(calls, p) : calls.flatMap((c) => linearCost(c, p))),
    },
    impl: async (ctx, args, call) => (await truncated(ctx, [call], async () => [await linear(ctx, args, call)]))[0],
    cost: (call, p) => truncatedCost([call], p, linearCost(call, p)),
  };
}
