// cipherprune compile PROG --emit ir|cost : the lowered program, or its predicted cost.
import { DimEnv } from '../ir/dim-env.ts';
import { predictCost } from '../opt/cost.ts';
import { makeCostParams } from '../ir/ops/table.ts';
import { formatIr } from '../ir/ir.ts';
import { verifyIr } from '../ir/verify.ts';
import { unsupportedOps } from '../exec/executor.ts';
import { parse, UsageError, type Io } from './args.ts';
import { compileProgram, otBackendOf, programHelp, programOptions } from './program.ts';

export const compileHelp = `usage: cipherprune compile [options] PROGRAM.cpl

Lower a model to the IR: functions inlined, loops unrolled, config sizes bound; every
implicit step (sharing, encoding, broadcasting) is an explicit op.

options:
  --emit ir            print the IR text form (default)
  --emit cost          print the predicted bytes and rounds per communicating op; sizes
                       revealed at run time must be given with --assume
  --assume NAME=N      assume a size revealed at run time, e.g. --assume k@l=0=12 (repeatable)
${programHelp}
  -h, --help           show this help`;

export async function runCompile(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { ...programOptions, emit: { type: 'string' }, assume: { type: 'string', multiple: true } });
  if (values.help) return io.out(compileHelp + '\n'), 0;
  if (positionals.length !== 1) throw new UsageError('compile: give exactly one program file');
  const emit = values.emit ?? 'ir';
  const ot = otBackendOf(values);
  if (emit !== 'ir' && emit !== 'cost') throw new UsageError(`--emit must be ir or cost, got '${emit}'`);
  const p = compileProgram(positionals[0], values, io);
  const problems = verifyIr(p);
  if (problems.length) throw new Error(`internal: the lowered program does not verify:\n${problems.map((x) => x.message).join('\n')}`);
  if (emit === 'ir') return io.out(formatIr(p)), 0;
  const dims = new DimEnv();
  for (const a of values.assume ?? []) {
    const m = /^(.+)=(\d+)$/.exec(a);
    const rd = m && p.runtimeDims.find((r) => r.symbol.name === m[1]);
    if (!m || !rd) throw new UsageError(`--assume ${a}: expected NAME=N for one of: ${p.runtimeDims.map((r) => r.symbol.name).join(', ') || '(no sizes are revealed)'}`);
    dims.values.set(rd.symbol, Number(m[2]));
  }
  const missing = p.runtimeDims.filter((r) => !dims.values.has(r.symbol));
  if (missing.length) throw new UsageError(`--emit cost needs --assume for the sizes revealed at run time: ${missing.map((r) => r.symbol.name).join(', ')}`);
  const c = predictCost(p, dims, makeCostParams({ ot }));
  for (const o of c.ops) {
    const op = p.ops[o.id];
    io.out(`%${o.id} ${o.op.padEnd(10)} c->s ${String(o.bytesC2S).padStart(10)} B  s->c ${String(o.bytesS2C).padStart(10)} B  rounds ${o.rounds.client}/${o.rounds.server}  ${op.where.file}:${op.where.line} ${op.where.loops.join(' ')}\n`);
  }
  io.out(`total: client -> server ${c.bytesC2S} B, server -> client ${c.bytesS2C} B, ${c.rounds} rounds\n`);
  const pending = unsupportedOps(p);
  if (pending.length) {
    const kinds = [...new Set(pending.map((u) => u.op.op))];
    io.out(`note: not included: ${pending.length} op${pending.length > 1 ? 's' : ''} (${kinds.join(', ')}) without a secure implementation yet, whose cost is unknown\n`);
  }
  return 0;
}
