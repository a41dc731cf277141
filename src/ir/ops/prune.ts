// Op-table rows for CipherPrune's oblivious routing of rows (src/crypto/shuffle,
// docs/cipherprune.md): compact, partition, unpartition and compact_split of the rows (first
// axis) of a fixed-point, ring or boolean tensor by secret masks. Only the public counts are revealed.
import { costOf } from '../../crypto/nonlinear/context.ts';
import { checkRoute, fromWords, identityRoute, isTrivialRoute, masksPerRow, outRows, route, routeCostSteps, toWords, type BlockSpec, type RouteMode, type RouteParams } from '../../crypto/shuffle/index.ts';
import { compactDest, compactDestCostSteps, isTrivialRouteTo, routeTo, routeToCostSteps } from '../../crypto/shuffle/route-to.ts';
import type { RingArray } from '../../crypto/ring.ts';
import { size, type Data } from '../../ir/tensor.ts';
import { otFlights, protoCtx, SECRET_INT_ELL } from './nonlinear.ts';
import type { CostParams, ExecValue, Flight, Impl, OpCall, OpRow } from './types.ts';

/** The count parameters' names in stdlib/prelude.cpl (lowering records their sizes as these attributes). */
const COUNTS: Record<RouteMode, string[]> = { compact: ['k'], partition: ['k1'], unpartition: ['k1'], compact_split: ['k', 'k1'] };

function payloadOf(a: { enc: OpCall['type']['enc']; shape: number[] }): BlockSpec {
  const width = size(a.shape.slice(1));
  if (a.enc.kind === 'bool') return { kind: 'bits', width };
  return { kind: 'ring', ell: a.enc.kind === 'fix' || a.enc.kind === 'ring' ? a.enc.ell : SECRET_INT_ELL, width };
}

/** Protocol parameters of one call; the counts from the run (the public arguments) when given. */
export function routeParams(mode: RouteMode, call: OpCall, counts?: number[]): RouteParams {
  const a = call.args[0];
  if (a.shape.length === 0) throw new RangeError(`${mode}: the payload must have a first axis of tokens, got a scalar`);
  const [t, t2] = COUNTS[mode].map((name, i) => {
    const v = counts?.[i] ?? call.attrs[name];
    if (typeof v !== 'number') throw new RangeError(`${mode}: the count '${name}' must be a size (a constant, a config size or a revealed count) so that the cost is known`);
    return v;
  });
  return { mode, n: a.shape[0], count: t, ...(t2 === undefined ? {} : { count2: t2 }), payload: payloadOf(a) };
}

/** The mask bits route() takes: the mask, or compact_split's keep then first. */
function maskBits(args: ExecValue[], masks: number): Uint8Array {
  if (masks === 1) return args[1].data as Uint8Array;
  const keep = args[1].data as Uint8Array, first = args[2].data as Uint8Array, out = new Uint8Array(keep.length + first.length);
  out.set(keep);
  out.set(first, keep.length);
  return out;
}

function impl(mode: RouteMode): Impl {
  return async (ctx, args: ExecValue[], call) => {
    const masks = masksPerRow(mode), counts = COUNTS[mode].map((_, i) => Number((args[1 + masks + i].data as Float64Array)[0]));
    const p = routeParams(mode, call, counts);
    checkRoute(p); // before the OT engine starts: a bad count sends nothing
    const x = toWords(p.payload, args[0].data as RingArray | Uint8Array, p.n);
    // Trivial routes (count 0 or n) send nothing, so they do not start the OT engine either.
    const out = isTrivialRoute(p) ? identityRoute(p, x) : await route(await protoCtx(ctx), p, x, maskBits(args, masks));
    return fromWords(p.payload, out, outRows(p)) as Data;
  };
}

function cost(mode: RouteMode) {
  return (call: OpCall, params: CostParams): Flight[] => {
    const p = routeParams(mode, call);
    if (isTrivialRoute(p)) return [];
    return [...params.otSetup(), ...otFlights(costOf((b) => routeCostSteps(b, p), params.otModel))];
  };
}

/** The counts must be sizes (constants, config sizes or revealed counts), so the cost is known. */
const unsupported = (mode: RouteMode) => (call: OpCall): string | null => {
  const name = COUNTS[mode].find((c) => typeof call.attrs[c] !== 'number');
  return name === undefined ? null : `its count '${name}' must be a constant, a config size or a revealed count (reveal count(mask)), so that its cost is known before the run`;
};

/** impl, cost and support check of compact / partition / unpartition / compact_split (twins: src/ir/twins.ts). */
export const routeRow = (mode: RouteMode): Pick<OpRow, 'impl' | 'cost' | 'unsupported'> => ({ impl: impl(mode), cost: cost(mode), unsupported: unsupported(mode) });

// ---- routing by given destinations (src/crypto/shuffle/route-to.ts) ----
const countArg = (args: ExecValue[], i: number): number => Number((args[i].data as Float64Array)[0]);
const sizeAttr = (call: OpCall): number => {
  const k = call.attrs.k;
  if (typeof k !== 'number') throw new RangeError("the count 'k' must be a size (a constant, a config size or a revealed count) so that the cost is known");
  return k;
};

/** compact_dest(keep, k): compact's destinations as secret integers (Z_2^32 shares). */
export const compactDestRow: Pick<OpRow, 'impl' | 'cost' | 'unsupported'> = {
  impl: async (ctx, args) => {
    const mask = args[0].data as Uint8Array, k = countArg(args, 1);
    checkRoute({ mode: 'compact', n: mask.length, count: k, payload: { kind: 'ring', ell: 32, width: 1 } });
    return mask.length === 0 ? new Uint32Array(0) : ((await compactDest(await protoCtx(ctx), k, mask)) as Data);
  },
  cost: (call, params) => {
    const n = call.args[0].shape[0];
    return n === 0 ? [] : [...params.otSetup(), ...otFlights(costOf((b) => compactDestCostSteps(b, n), params.otModel))];
  },
  unsupported: unsupported('compact'),
};

/** route_to(a, dest, k): rows of a to the opened destinations, the first k kept. */
export const routeToRow: Pick<OpRow, 'impl' | 'cost' | 'unsupported'> = {
  impl: async (ctx, args, call) => {
    const a = call.args[0], n = a.shape[0], payload = payloadOf(a), k = countArg(args, 2);
    const x = toWords(payload, args[0].data as RingArray | Uint8Array, n);
    const out = isTrivialRouteTo(n, k) ? new Uint32Array(0) : await routeTo(await protoCtx(ctx), k, payload, x, args[1].data as Uint32Array);
    return fromWords(payload, out, k) as Data;
  },
  cost: (call, params) => {
    const a = call.args[0], n = a.shape[0], k = sizeAttr(call);
    return isTrivialRouteTo(n, k) ? [] : [...params.otSetup(), ...otFlights(costOf((b) => routeToCostSteps(b, n, k, payloadOf(a)), params.otModel))];
  },
  unsupported: unsupported('compact'),
};
