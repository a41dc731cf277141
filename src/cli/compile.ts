// cipherprune compile PROG --emit ir|cost|schedule, --dump-after PASS: the lowered program, its
// schedule, or its predicted cost.
import { makeCostParams } from '../ir/ops/table.ts';
import { formatIr } from '../ir/ir.ts';
import { verifyIr } from '../ir/verify.ts';
import { predictSchedule } from '../opt/cost.ts';
import { buildSchedule, dumpAfter, formatSchedule, PASSES, type PassName } from '../opt/schedule.ts';
import { unsupportedOps } from '../exec/executor.ts';
import { parse, UsageError, type Io } from './args.ts';
import { compileChecked, otBackendOf, programHelp, programOptions } from './program.ts';
import { assumedSizes, sizeOptions, sizesHelp, withSizes } from './sizes.ts';
import { cheaperOps, formatCheaper } from '../opt/cheaper.ts';

export const compileHelp = `usage: cipherprune compile [options] PROGRAM.cpl

Lower a model to the IR: functions inlined, loops unrolled, config sizes bound; every
implicit step (sharing, encoding, broadcasting) is an explicit op. Then schedule it: passes
${PASSES.join(', ')} (docs/schedule.md).

options:
  --emit ir            print the IR text form (default)
  --emit schedule      print the schedule: the communicating steps by depth
  --emit cost          print the predicted bytes and rounds per communicating step, and the
                       ops that have a cheaper equivalent (e.g. mul_ss where mul_sx would do);
                       sizes revealed at run time must be given (--kept or --assume)
  --dump-after PASS    print the program or schedule after a pass (${PASSES.join(', ')})
  --no-merge           the sequential schedule (every op on its own), for comparison
${sizesHelp}
${programHelp}
  -h, --help           show this help`;

export async function runCompile(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { ...programOptions, ...sizeOptions, emit: { type: 'string' }, 'dump-after': { type: 'string' }, 'no-merge': { type: 'boolean' } });
  if (values.help) return io.out(compileHelp + '\n'), 0;
  if (positionals.length !== 1) throw new UsageError('compile: give exactly one program file');
  const emit = values.emit ?? 'ir';
  const ot = otBackendOf(values);
  if (emit !== 'ir' && emit !== 'cost' && emit !== 'schedule') throw new UsageError(`--emit must be ir, schedule or cost, got '${emit}'`);
  const pass = values['dump-after'];
  if (pass !== undefined && !(PASSES as readonly string[]).includes(pass)) throw new UsageError(`--dump-after: unknown pass '${pass}' (passes: ${PASSES.join(', ')})`);
  const { checked, program: p } = compileChecked(positionals[0], values, io);
  const problems = verifyIr(p);
  if (problems.length) throw new Error(`internal: the lowered program does not verify:\n${problems.map((x) => x.message).join('\n')}`);
  const merge = !values['no-merge'];
  if (pass) return io.out(dumpAfter(p, pass as PassName, { merge })), 0;
  if (emit === 'ir') return io.out(formatIr(p)), 0;
  const s = buildSchedule(p, { merge });
  if (emit === 'schedule') return io.out(formatSchedule(s)), 0;
  const dims = assumedSizes(p, values);
  const c = withSizes(p, dims, '--emit cost', () => predictSchedule(s, dims, makeCostParams({ ot })));
  const cheaper = new Map(cheaperOps(checked, p, dims, ot).map((h) => [h.op.id, h]));
  for (const o of c.ops) {
    const op = p.ops[o.id], h = o.ids.map((id) => cheaper.get(id)).find((x) => x);
    const hint = h ? `  <- ${h.alternative} would cost ${h.alternativeBytes} B` : '';
    const name = o.ids.length > 1 ? `${o.op} x${o.ids.length}` : o.op;
    io.out(`#${o.step} %${o.id} ${name.padEnd(12)} c->s ${String(o.bytesC2S).padStart(10)} B  s->c ${String(o.bytesS2C).padStart(10)} B  rounds ${o.rounds.client}/${o.rounds.server}  ${op.where.file}:${op.where.line} ${op.where.loops.join(' ')}${hint}\n`);
  }
  io.out(`total (${merge ? 'merged' : 'unmerged'}): client -> server ${c.bytesC2S} B, server -> client ${c.bytesS2C} B, ${c.rounds} rounds\n`);
  if (cheaper.size) {
    io.out(`note: ${cheaper.size} op${cheaper.size > 1 ? 's have' : ' has'} a cheaper equivalent:\n`);
    for (const h of cheaper.values()) io.out(`  ${formatCheaper(h)}\n`);
  }
  const pending = unsupportedOps(p);
  if (pending.length) {
    const kinds = [...new Set(pending.map((u) => u.op.op))];
    io.out(`note: not included: ${pending.length} op${pending.length > 1 ? 's' : ''} (${kinds.join(', ')}) without a secure implementation yet, whose cost is unknown\n`);
  }
  return 0;
}
