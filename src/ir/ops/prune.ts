// Op-table rows for CipherPrune's oblivious routing of rows (src/crypto/shuffle,
// docs/cipherprune.md): compact, partition and unpartition of the rows (first axis) of a
// fixed-point, ring or boolean tensor by a secret mask. Only the public count is revealed.
import { costOf } from '../../crypto/nonlinear/context.ts';
import { checkRoute, fromWords, identityRoute, isTrivialRoute, outRows, route, routeCostSteps, toWords, type BlockSpec, type RouteMode, type RouteParams } from '../../crypto/shuffle/index.ts';
import type { RingArray } from '../../crypto/ring.ts';
import { size, type Data } from '../../ir/tensor.ts';
import { otFlights, SECRET_INT_ELL } from './nonlinear.ts';
import type { CostParams, ExecValue, Flight, Impl, OpCall, OpRow } from './types.ts';

/** The count parameter's name in stdlib/prelude.cpl (lowering records its size as this attribute). */
const COUNT: Record<RouteMode, string> = { compact: 'k', partition: 'k1', unpartition: 'k1' };

function payloadOf(a: { enc: OpCall['type']['enc']; shape: number[] }): BlockSpec {
  const width = size(a.shape.slice(1));
  if (a.enc.kind === 'bool') return { kind: 'bits', width };
  return { kind: 'ring', ell: a.enc.kind === 'fix' || a.enc.kind === 'ring' ? a.enc.ell : SECRET_INT_ELL, width };
}

/** Protocol parameters of one call; `count` from the run (the public argument) when given. */
export function routeParams(mode: RouteMode, call: OpCall, count?: number): RouteParams {
  const a = call.args[0];
  if (a.shape.length === 0) throw new RangeError(`${mode}: the payload must have a first axis of tokens, got a scalar`);
  const known = call.attrs[COUNT[mode]];
  const t = count ?? known;
  if (typeof t !== 'number') throw new RangeError(`${mode}: the count '${COUNT[mode]}' must be a size (a constant, a config size or a revealed count) so that the cost is known`);
  return { mode, n: a.shape[0], count: t, payload: payloadOf(a) };
}

function impl(mode: RouteMode): Impl {
  return async (ctx, args: ExecValue[], call) => {
    const p = routeParams(mode, call, Number((args[2].data as Float64Array)[0]));
    checkRoute(p); // before the OT engine starts: a bad count sends nothing
    const x = toWords(p.payload, args[0].data as RingArray | Uint8Array, p.n);
    // Trivial routes (count 0 or n) send nothing, so they do not start the OT engine either.
    const out = isTrivialRoute(p) ? identityRoute(p, x) : await route({ party: ctx.party, ch: ctx.ch, prg: ctx.prg, ot: await ctx.engines.ot() }, p, x, args[1].data as Uint8Array);
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

/** The count must be a size (a constant, a config size or a revealed count), so its cost is known. */
const unsupported = (mode: RouteMode) => (call: OpCall): string | null =>
  typeof call.attrs[COUNT[mode]] === 'number' ? null : `its count '${COUNT[mode]}' must be a constant, a config size or a revealed count (reveal count(mask)), so that its cost is known before the run`;

/** impl, cost and support check of compact / partition / unpartition (twins: src/ir/twins.ts). */
export const routeRow = (mode: RouteMode): Pick<OpRow, 'impl' | 'cost' | 'unsupported'> => ({ impl: impl(mode), cost: cost(mode), unsupported: unsupported(mode) });
