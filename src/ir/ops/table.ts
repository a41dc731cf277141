// The op table: one row per op, as data. Prelude prims must match stdlib/prelude.cpl (a test
// checks it); builtins are the ops lowering introduces. A protocol still to come would be marked
// with `pending`, and a program that needs one is rejected before it runs.
import { otCostModel, type OtChoice, type OtCostModel } from '../../crypto/ot/index.ts';
import { MAX_ELL } from '../../crypto/he/index.ts';
import { twins } from '../twins.ts';
import { batchImpl, batchShape, heCostFunctions, matmulSxBatch, matmulSxImpl, matmulSxKey } from './he.ts';
import { lookupCost, lookupImpl, lookupTwin } from './lookup.ts';
import { encodeImpl, inputImpl, linearImpl, logicSpImpl, notImpl, plainImpl, shareImpl } from './local.ts';
import { productRow } from './mul.ts';
import { nonlinearRow, truncating, truncKey } from './nonlinear.ts';
import { outputCost, outputImpl, revealBatch, revealCost, revealImpl, revealKey } from './open.ts';
import { routeRow } from './prune.ts';
import type { CommClass, CostParams, Flight, Impl, OpCall, OpRow } from './types.ts';

const none = (): Flight[] => [];

function row(name: string, comm: CommClass, opts: Partial<Pick<OpRow, 'impl' | 'cost' | 'mergeKey' | 'builtin' | 'pending' | 'unsupported' | 'twin' | 'batchKey' | 'batch'>> = {}): OpRow {
  const twin = opts.twin ?? twins[name];
  if (!twin) throw new Error(`internal: no twin for ${name}`);
  return {
    name,
    builtin: opts.builtin ?? false,
    comm,
    mergeKey: opts.mergeKey === undefined ? (comm === 'local' ? null : `${comm}:${name}`) : opts.mergeKey,
    cost: opts.cost ?? none,
    twin,
    impl: opts.impl,
    pending: opts.impl ? undefined : opts.pending,
    unsupported: opts.unsupported,
    batchKey: opts.batchKey,
    batch: opts.batch,
  };
}

const local = (name: string, impl: Impl = linearImpl(name)) => row(name, 'local', { impl });
const plain = (name: string) => row(name, 'local', { impl: plainImpl(name) });
const nonlinear = (name: string, comm: CommClass = 'ot') => row(name, comm, nonlinearRow(name));

/** Ops on any visibility: a protocol on secret values (src/crypto/nonlinear), computed in the
 * clear on values a party sees (`convert`, relu, max, argmax, ...). */
function eitherRow(name: string): OpRow {
  const secure = nonlinearRow(name), plainTwin = twins[name], inClear = plainImpl(name);
  return row(name, 'ot', {
    impl: async (ctx, args, call) => (call.type.vis === 'secret' ? secure.impl(ctx, args, call) : inClear(ctx, args, call)),
    cost: (call, p) => (call.type.vis === 'secret' ? secure.cost(call, p) : []),
    twin: (c) => (c.vis === 'secret' ? secure.twin(c) : plainTwin(c)),
    unsupported: secure.unsupported,
    // The batch key holds the result's visibility: a batch is all secret or all in the clear.
    batchKey: secure.batchKey,
    batch: {
      impl: async (ctx, items) => {
        if (items[0].call.type.vis === 'secret') return secure.batch.impl(ctx, items);
        const out = [];
        for (const it of items) out.push(await inClear(ctx, it.args, it.call));
        return out;
      },
      cost: (calls, p) => (calls[0].type.vis === 'secret' ? secure.batch.cost(calls, p) : []),
    },
  });
}

/** Secret equality: the protocol on numbers; booleans compare locally (XOR of the shares). */
function equalityRow(name: 'eq_ss' | 'ne_ss'): OpRow {
  const secure = nonlinearRow(name);
  const bools = (call: OpCall) => call.args[0].enc.kind === 'bool';
  return row(name, 'ot', {
    impl: async (ctx, args, call) => {
      if (!bools(call)) return secure.impl(ctx, args, call);
      const [a, b] = args.map((x) => x.data as Uint8Array), flip = name === 'eq_ss' && ctx.party === 'server' ? 1 : 0;
      return a.map((v, i) => v ^ b[i] ^ flip);
    },
    cost: (call, p) => (bools(call) ? [] : secure.cost(call, p)),
    twin: secure.twin,
    unsupported: secure.unsupported,
  });
}

/** Secret x public products: local on shares, then truncation (OT) for fixed point. */
const scaled = (name: string) => row(name, 'ot', { ...truncating(linearImpl(name), none), batchKey: truncKey });

const ellOf = (call: OpCall): number => (call.type.enc as { ell: number }).ell;
/** HE products need ring elements of at most MAX_ELL bits: others are refused before the run. */
function heOperands(call: OpCall): string | null {
  const e = call.type.enc;
  if (e.kind === 'int') return 'homomorphic products work on fixed-point or ring values, not integers; convert them first (convert::<fix<32, 12>>(x))';
  if ((e.kind === 'fix' || e.kind === 'ring') && e.ell > MAX_ELL) return `homomorphic products support rings of at most ${MAX_ELL} bits (docs/he.md), not ${e.ell}`;
  return null;
}
const he = (name: string, impl: Impl, cost: (call: OpCall, p: CostParams) => Flight[]) => row(name, 'he', { ...truncating(impl, cost), unsupported: heOperands });
const matmulSxCost = (call: OpCall, p: CostParams): Flight[] => [...p.heSetup(ellOf(call)), ...p.heMatmul(call.args[0].shape[0], call.args[0].shape[1], call.args[1].shape[1], ellOf(call))];
const batchCost = (name: string) => (call: OpCall, p: CostParams): Flight[] => [...p.heSetup(ellOf(call)), ...p.heBatch(batchShape(name, call.args[0].shape, call.args[1].shape), ellOf(call))];

const rows: OpRow[] = [
  // arithmetic
  local('add'), local('sub'), local('neg'),
  plain('mul_pp'), scaled('mul_sp'), scaled('mul_ps'), row('mul_sx', 'ot', productRow('mul_sx')), row('mul_ss', 'ot', productRow('mul_ss')),
  plain('div_pp'), nonlinear('div_sp'),
  // matrix products
  plain('matmul_pp'), scaled('matmul_sp'),
  {
    ...row('matmul_sx', 'he', { ...truncating(matmulSxImpl, matmulSxCost, matmulSxBatch), batchKey: matmulSxKey }),
    unsupported: (call) => heOperands(call) ?? (call.args[1].vis !== 'server' ? "with client-private weights it is not implemented (the weights must be the server's)" : null),
  },
  he('matmul_ss', batchImpl('matmul_ss'), batchCost('matmul_ss')),
  he('bmm_ss', batchImpl('bmm_ss'), batchCost('bmm_ss')),
  he('bmm_t_ss', batchImpl('bmm_t_ss'), batchCost('bmm_t_ss')),
  // embedding lookup: HE on the ids' high digits, 1-of-B OT of the low digit (docs/lookup.md)
  row('lookup', 'he', { impl: lookupImpl, cost: lookupCost, twin: lookupTwin, unsupported: heOperands }),
  // layout and constructors
  local('transpose'), local('split_heads'), local('merge_heads'), local('take'), local('drop'), local('concat'),
  plain('onehot'), plain('causal_mask'), plain('first_mask'), plain('last_mask'), plain('fill'), plain('rsqrt_pp'),
  // reductions
  local('rowsum'), local('colsum'), local('sum0'),
  // comparisons and booleans
  plain('gt_pp'), nonlinear('gt_ss'), plain('lt_pp'), nonlinear('lt_ss'), plain('and_pp'), nonlinear('and_ss'), plain('or_pp'), nonlinear('or_ss'),
  row('and_sp', 'local', { impl: logicSpImpl('and') }), row('or_sp', 'local', { impl: logicSpImpl('or') }),
  row('not', 'local', { impl: notImpl, twin: nonlinearRow('not').twin }), plain('eq_pp'), equalityRow('eq_ss'), nonlinear('select_ss'), nonlinear('count'),
  eitherRow('convert'),
  // activations, selection, reductions and layout for new layers
  eitherRow('relu'), eitherRow('abs'), eitherRow('max'), eitherRow('min'), nonlinear('sigmoid'), nonlinear('silu'),
  plain('ne_pp'), equalityRow('ne_ss'), plain('le_pp'), nonlinear('le_ss'), plain('ge_pp'), nonlinear('ge_ss'),
  eitherRow('argmax'), eitherRow('topk'), eitherRow('all'), eitherRow('any'),
  plain('iota'), local('squeeze'), local('unsqueeze'), local('flatten'), local('reshape'), local('gather'),
  // fixed-point functions
  nonlinear('exp_hi'), nonlinear('exp_lo'), nonlinear('gelu_hi'), nonlinear('gelu_lo'), nonlinear('tanh'), nonlinear('recip'), nonlinear('rsqrt'), nonlinear('rowmax'), nonlinear('sumsq'),
  // CipherPrune
  row('compact', 'ot', routeRow('compact')), row('partition', 'ot', routeRow('partition')), row('unpartition', 'ot', routeRow('unpartition')),
  // builtins introduced by lowering
  row('input', 'local', { impl: inputImpl, builtin: true }),
  row('const', 'local', { impl: plainImpl('const'), builtin: true }),
  row('share', 'local', { impl: shareImpl, builtin: true }),
  row('encode', 'local', { impl: encodeImpl, builtin: true }),
  row('broadcast', 'local', { impl: linearImpl('broadcast'), builtin: true }),
  row('index', 'local', { impl: linearImpl('index'), builtin: true }),
  row('reveal', 'open', { impl: revealImpl, cost: revealCost, builtin: true, batchKey: revealKey, batch: revealBatch }),
  row('output', 'open', { impl: outputImpl, cost: outputCost, mergeKey: null, builtin: true }),
];

export const opTable: ReadonlyMap<string, OpRow> = new Map(rows.map((r) => [r.name, r]));

/**
 * Fresh session state for one cost prediction (setup is charged once, where it happens), for the
 * session's OT backend (default DEFAULT_OT_BACKEND): a silent backend's pool refills are replayed
 * op by op, in program order, and charged to the op that triggers them.
 */
export function makeCostParams(opts: { ot?: OtChoice; otModel?: OtCostModel } = {}): CostParams {
  let otReady = false;
  const otModel = opts.otModel ?? otCostModel(opts.ot);
  return {
    ...heCostFunctions(),
    otModel,
    otSetup() {
      if (otReady) return [];
      otReady = true;
      const s = otModel.setup();
      // Chou–Orlandi in both directions at once: both send their A points, then their B points.
      const first = 32;
      return [
        { from: 'both', c2s: first, s2c: first, setup: 'ot' },
        { from: 'both', c2s: s.bytesEachWay - first, s2c: s.bytesEachWay - first, setup: 'ot' },
      ];
    },
  };
}

export function opRow(name: string): OpRow {
  const r = opTable.get(name);
  if (!r) throw new Error(`internal: op '${name}' is not in the op table`);
  return r;
}
