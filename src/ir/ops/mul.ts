// Op-table rows of the secure products mul_ss and mul_sx with a broadcast operand. Lowering
// (src/ir/lower.ts, `fusedBroadcast`) leaves a row vector ([..., 1] against [..., n], e.g.
// rsqrt(var) in LayerNorm, recip(sum) in softmax) or a trailing-axis vector ([d] against [n, d],
// e.g. LayerNorm's gain) unexpanded as the second operand; the protocol then takes that operand's
// share bits as OT choices once per vector element, and each correlated OT carries the whole
// row (or column) of the other operand as a long message (src/crypto/nonlinear/arith.ts:
// Gilboa's product with vector correlations — one COT per bit of b, its correlation a vector of
// L ring elements, each COT used once, as in the VOLE-style products of SIRNN §4.1 / BOLT §4).
// No mask is reused: every COT pads one (long) message, so the security argument is the
// elementwise product's. Bytes per element fall from 2ℓ COTs to 2ℓ ring elements (+ 2ℓ COTs
// per row).
import { twins } from '../twins.ts';
import { bcastOf, broadcastIndex, gather, permuteIndex, size, splitData, type Data } from '../tensor.ts';
import { concatArgs, nonlinearParams, nonlinearRow, otFlights, protoCtx } from './nonlinear.ts';
import type { Batch, BatchItem, CostParams, ExecCtx, Flight, OpCall, OpSignature } from './types.ts';
import { NONLINEAR_PRIMS, type Share } from '../../crypto/nonlinear/index.ts';

const same = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A (rows × cols) tensor transposed to (cols × rows). */
const transposed = (d: Data, rows: number, cols: number): Data => gather(d, permuteIndex([rows, cols], [1, 0]));

/**
 * A batch of products as one protocol run in row layout: 'col' items are transposed (b becomes
 * one value per row of the transposed a), so every item is a row broadcast of the same row
 * length (the batch key holds both shapes) and the concatenation is one row-broadcast product.
 */
function rowLayout(calls: OpCall[], params: Record<string, unknown>): { params: Record<string, unknown>; rows: number; cols: number } {
  const bc = params.bcast as ReturnType<typeof bcastOf>;
  if (!bc || bc.kind === 'row') return { params, rows: 0, cols: 0 };
  const n = size(calls[0].args[0].shape), rows = n / bc.cols;
  return { params: { ...params, bcast: { kind: 'row', cols: rows } }, rows, cols: bc.cols };
}

function batchOf(name: 'mul_ss' | 'mul_sx'): Batch {
  const prim = NONLINEAR_PRIMS.find((r) => r.name === name)!;
  const paramsOf = (calls: OpCall[]) => {
    const p = nonlinearParams(name, calls[0]), key = JSON.stringify(p);
    for (const c of calls) if (JSON.stringify(nonlinearParams(name, c)) !== key) throw new Error(`internal: a batch of ${name} mixes parameters ${key} and ${JSON.stringify(nonlinearParams(name, c))}`);
    return rowLayout(calls, p);
  };
  return {
    impl: async (ctx: ExecCtx, items: BatchItem[]) => {
      const calls = items.map((it) => it.call), { params, rows, cols } = paramsOf(calls);
      const pctx = await protoCtx(ctx);
      const args = rows ? concatArgs(items.map((it) => ({ ...it, args: [{ ...it.args[0], data: transposed(it.args[0].data as Data, rows, cols) }, it.args[1]] }))) : concatArgs(items);
      const out = (await prim.protocol(pctx, args as Share[], params as never)) as Data;
      const parts = splitData(out, calls.map((c) => size(c.type.shape)));
      return rows ? parts.map((d) => transposed(d, cols, rows)) : parts;
    },
    cost: (calls: OpCall[], p: CostParams): Flight[] => {
      const n = calls.reduce((s, c) => s + size(c.args[0].shape), 0);
      return [...p.otSetup(), ...otFlights(prim.cost(n, paramsOf(calls).params as never, p.otModel))];
    },
  };
}

/** mul_ss / mul_sx rows: nonlinearRow with broadcast-aware batching, key and float twin. */
export function productRow(name: 'mul_ss' | 'mul_sx') {
  const base = nonlinearRow(name), floatTwin = twins[name];
  return {
    ...base,
    // Equal symbolic shapes of both operands: equal broadcast layout and row length.
    batchKey: (sig: OpSignature) => `${base.batchKey(sig)}|${JSON.stringify(sig.args.map((a) => a.shape))}`,
    batch: batchOf(name),
    twin: (c: Parameters<typeof base.twin>[0]) => {
      const [a, b] = c.args;
      if (c.mode !== 'float' || same(a.shape, b.shape)) return base.twin(c);
      bcastOf(a.shape, b.shape); // the same shapes the protocol accepts
      return floatTwin({ ...c, args: [a, { ...b, shape: a.shape, data: gather(b.data, broadcastIndex(b.shape, a.shape)) }] });
    },
  };
}

