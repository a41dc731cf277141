// IR verifier: every use is defined before it, every op is in the op table with the arity its
// prelude signature declares, and no secret or private value reaches a public (or the other
// party's) place except through `reveal` or `output`.
import { visLeq } from '../front/types.ts';
import type { IrProgram } from './ir.ts';
import { opTable } from './ops/table.ts';

export interface VerifyError {
  op: number;
  message: string;
}

export function verifyIr(p: IrProgram, arity: ReadonlyMap<string, number> = new Map()): VerifyError[] {
  const errors: VerifyError[] = [];
  const defined = new Set<number>();
  for (const op of p.ops) {
    const err = (message: string) => errors.push({ op: op.id, message: `%${op.id} = ${op.op}: ${message}` });
    if (op.id !== p.ops.indexOf(op)) err('SSA ids must equal positions');
    for (const a of op.args) if (!defined.has(a)) err(`uses %${a} before it is defined`);
    const row = opTable.get(op.op);
    if (!row) err('not in the op table');
    const want = arity.get(op.op);
    if (want !== undefined && want !== op.args.length) err(`takes ${want} arguments, has ${op.args.length}`);
    if (row && row.comm !== 'open' && !row.builtin) {
      for (const a of op.args) {
        const v = p.ops[a]?.type.vis;
        if (v && !visLeq(v, op.type.vis)) err(`a ${v} argument (%${a}) flows into a ${op.type.vis} result without a reveal`);
      }
    }
    if (op.op === 'share' || op.op === 'encode' || op.op === 'broadcast' || op.op === 'index') {
      const v = p.ops[op.args[0]]?.type.vis;
      if (v && !visLeq(v, op.type.vis)) err(`moves a ${v} value to ${op.type.vis}`);
    }
    defined.add(op.id);
  }
  for (const o of p.outputs) if (!defined.has(o.id)) errors.push({ op: o.id, message: `output of undefined %${o.id}` });
  return errors;
}
