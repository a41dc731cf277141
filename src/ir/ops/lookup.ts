// The op-table row of `lookup` (docs/lookup.md): the server's table rows at the client's token
// ids, as shares — an HE product on the one-hot of the ids' high digits and a 1-out-of-B OT of
// the low digit (src/crypto/lookup). Exact: no truncation (the one-hot is the ring's 1).
import { lookupClient, lookupIndex, lookupPlan, lookupServer, padBytes, type LookupCtx, type LookupParams } from '../../crypto/lookup/index.ts';
import { costOf } from '../../crypto/nonlinear/index.ts';
import type { RingArray } from '../../crypto/ring.ts';
import type { Twin } from '../twins.ts';
import { gather, toFloat } from '../tensor.ts';
import type { Blocking } from '../../crypto/he/index.ts';
import { otFlights } from './nonlinear.ts';
import type { CostParams, Flight, Impl, OpCall } from './types.ts';

function paramsOf(call: OpCall): LookupParams {
  const [n] = call.args[0].shape, [v, d] = call.args[1].shape, enc = call.type.enc;
  if (enc.kind !== 'fix' && enc.kind !== 'ring') throw new Error(`lookup needs a fixed-point or ring table, got ${enc.kind}`);
  return { n, v, d, ell: enc.ell };
}

export const lookupImpl: Impl = async (ctx, args, call) => {
  const p = paramsOf(call), enc = call.type.enc;
  const lctx: LookupCtx = {
    party: ctx.party,
    ch: ctx.ch,
    prg: ctx.prg,
    ot: () => ctx.engines.ot(),
    product: async () => {
      const he = await ctx.engines.he(p.ell);
      // The plan's blocking, its merge width resolved under the session's Galois keys (keyBlocking).
      return async (x, w, n, k, m, blocking) =>
        (await he.matmul({ vis: 'secret', enc, shape: [n, k], data: x }, { vis: 'server', enc, shape: [k, m], data: w }, n, k, m, keyBlocking(blocking))) as RingArray;
    },
  };
  if (ctx.party === 'client') return lookupClient(lctx, toFloat(args[0].data!), p);
  return lookupServer(lctx, args[1].data as RingArray, p);
};

/** Flights in the order the protocol sends them: setups, the client's random-OT message and HE
 * upload (one flight), the server's HE results and masked shares (the next). */
export function lookupCost(call: OpCall, p: CostParams): Flight[] {
  const { n, v, d, ell } = paramsOf(call), plan = lookupPlan(n, v, d, ell), { B, k, A } = plan;
  const ot = B > 1, he = A > 1;
  return [
    ...(ot ? p.otSetup() : []),
    ...(he ? p.heSetup(ell) : []),
    ...(ot ? otFlights(costOf((b) => b.otCall('client', p.otModel.plan.cot(n * k)), p.otModel)) : []),
    ...(he ? p.heMatmul(n, A, B * d, ell, keyBlocking(plan.blocking)) : []),
    ...(ot ? [{ from: 'server' as const, c2s: 0, s2c: padBytes(n, B, d, ell) }] : []),
  ];
}

/** table[ids], in either mode; every id must be an integer in [0, v). */
export const lookupTwin: Twin = (c) => {
  const [ids, table] = c.args, [v, d] = table.shape;
  return { shape: c.shape, enc: c.enc, data: gather(table.data, lookupIndex(toFloat(ids.data), v, d)) };
};

/**
 * A lookup plan's blocking for the session (lookupPlan chose it under the default parameters):
 * without its merge width, which the product resolves under the session's key plan (HeParams
 * galoisDepth, src/opt/he-keys.ts), the same for both parties and the cost model.
 */
function keyBlocking(b: Blocking | null): Blocking | undefined {
  if (!b) return undefined;
  const { P: _, ...rest } = b;
  return rest;
}
