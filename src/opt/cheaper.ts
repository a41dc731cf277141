// Ops with a cheaper equivalent: an op one of whose operands is a party's (or a public) value
// raised to secret only to fit a signature — typically a function parameter declared `secret`
// that receives the server's weights — where another member of the same overload set (`*`, `@`,
// ...) accepts the value as it was and costs less. Table-driven: the candidates come from the
// prelude's `overload` declarations, their costs from the op table (`compile --emit cost`,
// `check --costs`), in the program's mode (exact or default).
import type { CheckResult } from '../front/check.ts';
import type { FnEntity } from '../front/scope.ts';
import type { TensorTy } from '../front/types.ts';
import { instantiate } from '../front/unify.ts';
import type { DimEnv } from '../ir/dim-env.ts';
import type { IrOp, IrProgram } from '../ir/ir.ts';
import { opCall } from '../ir/ops/call.ts';
import { exactOtModel } from '../crypto/nonlinear/context.ts';
import type { OtChoice } from '../crypto/ot/index.ts';
import { makeCostParams, opRow } from '../ir/ops/table.ts';
import type { CostParams, OpCall } from '../ir/ops/types.ts';

export interface CheaperOp {
  op: IrOp;
  bytes: number;
  alternative: string;
  alternativeBytes: number;
  /** Which operands were raised, e.g. "argument 2 is the server's value". */
  why: string;
}

/** Cost parameters with the session setup already paid (per-op costs without setup), in the
 * program's mode (exact mode prices every truncation's carry, as stepFlights does). */
function steady(call: OpCall, exact: boolean, ot?: OtChoice): CostParams {
  const base = makeCostParams({ ot });
  const p = exact ? { ...base, otModel: exactOtModel(base.otModel) } : base;
  p.otSetup();
  const e = call.type.enc;
  if (e.kind === 'fix' || e.kind === 'ring') p.heSetup(e.ell);
  return p;
}

const bytesOf = (name: string, call: OpCall, exact: boolean, ot?: OtChoice): number => opRow(name).cost(call, steady(call, exact, ot)).reduce((s, f) => s + f.c2s + f.s2c, 0);

/** The overload sets of the prelude, by member name. */
function overloadPeers(checked: CheckResult): Map<string, FnEntity[]> {
  const peers = new Map<string, FnEntity[]>();
  const prelude = checked.modules.find((m) => m.isPrelude);
  const scope = prelude && checked.scopes.get(prelude);
  if (!scope) return peers;
  for (const [, e] of scope.entries()) {
    if (e.kind !== 'overload') continue;
    for (const m of e.members) peers.set(m.item.name, [...(peers.get(m.item.name) ?? []), ...e.members.filter((x) => x !== m)]);
  }
  return peers;
}

/** `ot`: the session's OT backend (default DEFAULT_OT_BACKEND), as `--ot` gives it. */
export function cheaperOps(checked: CheckResult, p: IrProgram, dims: DimEnv, ot?: OtChoice): CheaperOp[] {
  const peers = overloadPeers(checked), out: CheaperOp[] = [];
  for (const op of p.ops) {
    const alts = peers.get(op.op);
    if (!alts || opRow(op.op).comm === 'local') continue;
    // An operand shared up to secret (perhaps then broadcast, as a [d] gain over [n, d]).
    const unwrap = (a: number) => (p.ops[a].op === 'broadcast' ? p.ops[a].args[0] : a);
    const raised = op.args.map((a) => {
      const s = p.ops[unwrap(a)];
      return s.op === 'share' && s.type.vis === 'secret' ? p.ops[s.args[0]] : null;
    });
    if (!raised.some((r) => r && r.type.vis !== 'secret')) continue;
    let call: OpCall;
    try {
      call = opCall(p, op, dims);
    } catch {
      continue; // a size revealed at run time that is not assumed
    }
    const bytes = bytesOf(op.op, call, p.exact === true, ot);
    const argTys: TensorTy[] = op.args.map((a, i) => {
      const src = raised[i] ?? p.ops[a];
      return { kind: 'tensor', vis: src.type.vis, enc: p.ops[a].type.enc, shape: p.ops[a].type.shape };
    });
    let best: CheaperOp | null = null;
    for (const alt of alts) {
      const ctx = checked.sigContext(alt, () => undefined, () => undefined);
      const orders = alt.item.attributes.some((a) => a.name === 'commutative') ? [argTys, [...argTys].reverse()] : [argTys];
      for (const tys of orders) {
        const r = instantiate(alt.item, tys.map((ty) => ({ ty, span: { start: 0, end: 0 } })), [], ctx);
        if (!r.ok) continue;
        const altCall: OpCall = { ...call, args: tys.map((t) => ({ vis: t.vis, enc: t.enc, shape: dims.shape(t.shape) })) };
        const altBytes = bytesOf(alt.item.name, altCall, p.exact === true, ot);
        if (altBytes < bytes && (!best || altBytes < best.alternativeBytes)) {
          const why = raised.flatMap((r, i) => (r && r.type.vis !== 'secret' ? [`argument ${i + 1} is ${r.type.vis === 'public' ? 'a public value' : `the ${r.type.vis}'s value`}, made secret to fit`] : [])).join('; ');
          best = { op, bytes, alternative: alt.item.name, alternativeBytes: altBytes, why };
        }
      }
    }
    if (best) out.push(best);
  }
  return out;
}

/** One line per op: where, what it costs, and the cheaper equivalent. */
export function formatCheaper(c: CheaperOp): string {
  const w = c.op.where;
  const at = `${w.file}:${w.line}:${w.col}${w.loops.length ? ' ' + w.loops.join(' ') : ''}${w.stack.length ? ', in ' + w.stack.join(' > ') : ''}`;
  return `${at}: ${c.op.op} costs ${c.bytes} B here (after the session setup); ${c.alternative} would cost ${c.alternativeBytes} B (${c.why}: declare that parameter with the owner's visibility, e.g. \`server\`, so the operator picks ${c.alternative})`;
}
