// The op table: one row per op, as data. Prelude prims must match stdlib/prelude.cpl (a test
// checks it); builtins are the ops lowering introduces. Protocols still to come are marked with
// `pending` and fail with that message when a program needs them.
import { twins } from '../../interp/twins.ts';
import { size } from '../../interp/tensor.ts';
import { heCostParams, matmulSxImpl } from './he.ts';
import { encodeImpl, inputImpl, linearImpl, notImpl, plainImpl, scaleImpl, shareImpl } from './local.ts';
import { outputCost, outputImpl, revealCost, revealImpl } from './open.ts';
import type { CommClass, CostParams, Flight, Impl, OpCall, OpRow } from './types.ts';

const none = (): Flight[] => [];
const NONLINEAR = 'needs the secure nonlinear protocols (comparison, truncation, products: issue "Secure non-linear functions")';
const PRUNE = 'needs oblivious compaction (the CipherPrune end-to-end issue)';

function row(name: string, comm: CommClass, opts: { impl?: Impl; cost?: OpRow['cost']; mergeKey?: string | null; builtin?: boolean; pending?: string } = {}): OpRow {
  const twin = twins[name];
  if (!twin) throw new Error(`internal: no twin for ${name}`);
  return {
    name,
    builtin: opts.builtin ?? false,
    comm,
    mergeKey: opts.mergeKey === undefined ? (comm === 'local' ? null : `${comm}:${name}`) : opts.mergeKey,
    cost: opts.cost ?? none,
    twin,
    impl: opts.impl,
    pending: opts.impl ? undefined : (opts.pending ?? NONLINEAR),
  };
}

const local = (name: string, impl: Impl = linearImpl(name)) => row(name, 'local', { impl });
/** Products of secret fixed-point values need a truncation protocol afterwards. */
const needsTruncation = (call: OpCall): string | null =>
  call.type.vis === 'secret' && call.type.enc.kind === 'fix' && call.type.enc.scale > 0 ? `on secret fixed-point values it ${NONLINEAR.replace('needs', 'needs secure truncation from')}` : null;
const truncating = (r: OpRow): OpRow => ({ ...r, unsupported: needsTruncation });
const plain = (name: string) => row(name, 'local', { impl: plainImpl(name) });
const ot = (name: string, pending = NONLINEAR) => row(name, 'ot', { pending });

const heMatmulCost = (call: OpCall, p: CostParams): Flight[] => {
  const [a, b] = call.args;
  const ell = (call.type.enc as { ell: number }).ell;
  return p.he.matmul(a.shape[0], a.shape[1], b.shape[1], ell);
};

const rows: OpRow[] = [
  // local arithmetic
  local('add'), local('sub'), local('neg'),
  plain('mul_pp'), truncating(local('mul_sp', scaleImpl('mul_sp'))), truncating(local('mul_ps', scaleImpl('mul_ps'))), ot('mul_sx'), ot('mul_ss'),
  plain('div_pp'), ot('div_sp'),
  // matrix products
  plain('matmul_pp'), truncating(local('matmul_sp', scaleImpl('matmul_sp'))),
  {
    ...truncating(row('matmul_sx', 'he', { impl: matmulSxImpl, cost: heMatmulCost })),
    unsupported: (call: OpCall) => needsTruncation(call) ?? (call.args[1].vis !== 'server' ? 'with client-private weights it is not implemented (the weights must be the server\'s)' : null),
  },
  row('matmul_ss', 'he', { pending: 'needs the HE product of two secret matrices wired into the executor' }),
  row('bmm_ss', 'he', { pending: 'needs the batched HE product of two secret matrices wired into the executor' }),
  row('bmm_t_ss', 'he', { pending: 'needs the batched HE product of two secret matrices wired into the executor' }),
  // layout and constructors
  local('transpose'), local('split_heads'), local('merge_heads'), local('take'), local('drop'), local('concat'),
  plain('onehot'), plain('causal_mask'), plain('first_mask'), plain('last_mask'), plain('fill'), plain('rsqrt_pp'),
  // reductions
  local('rowsum'), local('colsum'), local('sum0'),
  // comparisons and booleans
  plain('gt_pp'), ot('gt_ss'), plain('lt_pp'), ot('lt_ss'), plain('and_pp'), ot('and_ss'), plain('or_pp'), ot('or_ss'),
  local('not', notImpl), plain('eq_pp'), ot('select_ss'), ot('count'),
  // fixed-point functions
  ot('exp_hi'), ot('exp_lo'), ot('gelu_hi'), ot('gelu_lo'), ot('tanh'), ot('recip'), ot('rsqrt'), ot('rowmax'),
  // CipherPrune
  ot('compact', PRUNE), ot('partition', PRUNE),
  // builtins introduced by lowering
  { ...row('input', 'local', { impl: inputImpl }), builtin: true },
  { ...row('const', 'local', { impl: plainImpl('const') }), builtin: true },
  { ...row('share', 'local', { impl: shareImpl }), builtin: true },
  { ...row('encode', 'local', { impl: encodeImpl }), builtin: true },
  { ...local('broadcast'), builtin: true },
  { ...local('index'), builtin: true },
  { ...row('reveal', 'open', { impl: revealImpl, cost: revealCost }), builtin: true },
  { ...row('output', 'open', { impl: outputImpl, cost: outputCost, mergeKey: null }), builtin: true },
];

export const opTable: ReadonlyMap<string, OpRow> = new Map(rows.map((r) => [r.name, r]));

export const defaultCostParams: CostParams = { he: heCostParams };

export function opRow(name: string): OpRow {
  const r = opTable.get(name);
  if (!r) throw new Error(`internal: op '${name}' is not in the op table`);
  return r;
}

export { size };
