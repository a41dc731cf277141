// The executor: both parties run the same IR program with their role (SPMD). Inputs enter from
// their owner only; outputs reach only their recipient; each op runs its op-table
// implementation inside a channel scope, so bytes and rounds are attributed to ops.
import { randomBytes } from 'node:crypto';
import { DimEnv, encodeInput, type InputValues } from '../ir/dim-env.ts';
import type { Tensor } from '../ir/tensor.ts';
import { OpError, type IrOp, type IrProgram } from '../ir/ir.ts';
import { opCall } from '../ir/ops/call.ts';
import { opRow } from '../ir/ops/table.ts';
import type { Engines, ExecValue } from '../ir/ops/types.ts';
import type { OtChoice } from '../crypto/ot/index.ts';
import { Prg } from '../crypto/prg.ts';
import type { Channel, Counters, Party } from '../transport/channel.ts';
import { SessionEngines } from './engines.ts';

export class ExecError extends OpError {
  override name = 'ExecError';
}

export interface ExecuteOptions {
  party: Party;
  ch: Channel;
  /** This party's own inputs (real numbers, row-major), by input name. */
  inputs: InputValues;
  prg?: Prg;
  engines?: Engines & { close?(): Promise<void> };
  /** The correlated-OT backend of the session's engines (default DEFAULT_OT_BACKEND; ignored with `engines`). */
  ot?: OtChoice;
  /** Called after each op that communicates, and every 200 ops. */
  onProgress?: (done: number, total: number, op: IrOp) => void;
}

export interface ExecuteResult {
  /** Outputs this party received (others are absent). */
  outputs: { id: number; to: Party; tensor: Tensor }[];
  revealed: Record<string, number>;
  /** Sizes known after the run (to predict its cost, `predictCost(program, dims)`). */
  dims: DimEnv;
  /** Scope label of each op that communicated, for matching with predictions. */
  scopes: Map<number, string>;
  byScope: ReadonlyMap<string, Readonly<Counters>>;
}

export const scopeLabel = (op: IrOp): string => `%${op.id} ${op.op}`;

/** Ops of a program that cannot run securely yet, with the reason (checked before a run starts). */
export function unsupportedOps(p: IrProgram): { op: IrOp; reason: string }[] {
  const out: { op: IrOp; reason: string }[] = [];
  const dims = new DimEnv();
  for (const op of p.ops) {
    const row = opRow(op.op);
    if (!row.impl) out.push({ op, reason: `it ${row.pending}` });
    else if (row.unsupported) {
      // Sizes revealed at run time do not matter for support: check with them unbound if possible.
      try {
        const why = row.unsupported(opCall(p, op, dims));
        if (why) out.push({ op, reason: why });
      } catch {
        // shape not known before the run; checked again when the op runs
      }
    }
  }
  return out;
}

/** Give the event loop a turn (keepalive pings on ws) at most every `ms` of busy time. */
function yielder(ms = 50) {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < ms) return;
    await new Promise<void>((r) => setImmediate(r));
    last = performance.now();
  };
}

export async function execute(p: IrProgram, opts: ExecuteOptions): Promise<ExecuteResult> {
  const { party, ch } = opts;
  const foreign = Object.keys(opts.inputs).filter((n) => p.inputs.find((i) => i.name === n)?.owner !== party);
  if (foreign.length) throw new ExecError(`the ${party} was given input${foreign.length > 1 ? 's' : ''} it does not own: ${foreign.join(', ')}`);
  const missing = p.inputs.filter((i) => i.owner === party && !(i.name in opts.inputs)).map((i) => i.name);
  if (missing.length) throw new ExecError(`missing ${party} input${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  const unsupported = unsupportedOps(p);
  if (unsupported.length) {
    const kinds = [...new Set(unsupported.map((u) => u.op.op))];
    const first = unsupported[0];
    throw new ExecError(`this program cannot run securely yet: ${unsupported.length} op${unsupported.length > 1 ? 's' : ''} (${kinds.join(', ')}) lack a secure implementation; the first, '${first.op.op}': ${first.reason}`, first.op);
  }
  const ownEngines = !opts.engines;
  const engines = opts.engines ?? new SessionEngines(party, ch, { ot: opts.ot });
  const ctx = { party, ch, prg: opts.prg ?? new Prg(randomBytes(16)), engines };
  const dims = new DimEnv();
  const values: ExecValue[] = [];
  const scopes = new Map<number, string>();
  const outputs: ExecuteResult['outputs'] = [];
  const breathe = yielder();
  try {
    for (const op of p.ops) {
      const row = opRow(op.op);
      const call = opCall(p, op, dims);
      const why = !row.impl ? `it ${row.pending}` : row.unsupported?.(call);
      if (why || !row.impl) throw new ExecError(`op '${op.op}' cannot run securely yet: ${why}`, op);
      let args = op.args.map((a) => values[a]);
      if (op.op === 'input') {
        const name = op.attrs.name as string;
        const own = p.inputs.find((i) => i.name === name)!.owner === party;
        args = own ? [{ ...call.type, data: encodeInput(p, name, opts.inputs[name], 'fixed', dims).data }] : [];
      }
      let data;
      if (row.comm === 'local') data = await row.impl(ctx, args, call);
      else {
        const label = scopeLabel(op);
        scopes.set(op.id, label);
        const end = ch.scope(label);
        try {
          data = await row.impl(ctx, args, call);
        } finally {
          end();
        }
      }
      values[op.id] = { ...call.type, data };
      dims.bindReveal(p, op.id, data as ArrayLike<number> | null);
      if (op.op === 'output' && data) outputs.push({ id: op.id, to: op.attrs.to as Party, tensor: { shape: call.type.shape, enc: call.type.enc, data } });
      if (row.comm !== 'local' || op.id % 200 === 0) opts.onProgress?.(op.id + 1, p.ops.length, op);
      await breathe();
    }
    await ch.flush();
  } catch (e) {
    // End the session so the peer stops too instead of waiting for messages that never come.
    ch.close();
    if (e instanceof ExecError) throw e;
    const op = p.ops[values.length];
    const err = new ExecError((e as Error).message, op);
    (err as { cause?: unknown }).cause = e;
    throw err;
  } finally {
    if (ownEngines) await (engines as SessionEngines).close();
  }
  return { outputs, revealed: dims.revealed, dims, scopes, byScope: ch.byScope };
}
