// What a run prints (outputs, cost summary) and writes with --report (JSON), and the progress line.
import { writeFileSync } from 'node:fs';
import type { Counters, Party } from '../transport/channel.ts';
import type { ExecuteResult } from '../exec/executor.ts';
import { unitLabel, units } from '../opt/schedule.ts';
import { realValues } from '../ir/twins.ts';
import type { Tensor } from '../ir/tensor.ts';
import { showEnc } from '../front/types.ts';
import type { IrOp, IrProgram } from '../ir/ir.ts';
import type { ProgramCost } from '../opt/cost.ts';
import type { Io } from './args.ts';

export function formatTensor(t: Tensor, maxItems = 64): string {
  const v = realValues(t, 'fixed');
  const digits = t.enc.kind === 'fix' ? Math.min(6, Math.ceil(t.enc.scale * 0.30103) + 1) : 0;
  const items = Array.from(v.slice(0, maxItems), (x) => (t.enc.kind === 'bool' ? String(x) : x.toFixed(digits)));
  return `[${items.join(', ')}${v.length > maxItems ? `, ... (${v.length} values)` : ''}]`;
}

export function printOutputs(p: IrProgram, outputs: ExecuteResult['outputs'], io: Io): void {
  for (const o of outputs) {
    const op = p.ops[o.id];
    io.out(`output to ${o.to} (${op.where.file}:${op.where.line}): ${showEnc(o.tensor.enc)}[${o.tensor.shape.join(', ')}] = ${formatTensor(o.tensor)}\n`);
  }
}

const mb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${b} B`);

export function costSummary(c: { bytesC2S: number; bytesS2C: number; rounds: number; seconds: number; simulatedSeconds?: number; network?: string }, predicted?: ProgramCost): string {
  const lines = [
    `communication: client -> server ${mb(c.bytesC2S)}, server -> client ${mb(c.bytesS2C)}, ${c.rounds} round${c.rounds === 1 ? '' : 's'}`,
    `time: ${c.seconds.toFixed(2)} s${c.simulatedSeconds !== undefined ? `; on the simulated ${c.network} link: ${c.simulatedSeconds.toFixed(3)} s` : ''}`,
  ];
  if (predicted && (predicted.bytesC2S !== c.bytesC2S || predicted.bytesS2C !== c.bytesS2C || predicted.rounds !== c.rounds)) {
    lines.push(`warning: the op table predicted ${predicted.bytesC2S} / ${predicted.bytesS2C} bytes and ${predicted.rounds} rounds; please report this mismatch`);
  }
  return lines.join('\n');
}

export interface ReportData {
  program: string;
  model: string;
  config: Record<string, number>;
  party: Party | 'both';
  network?: string;
  seconds: number;
  simulatedSeconds?: number;
  revealed: Record<string, number>;
  totals: Partial<Record<Party, Counters>>;
  predicted?: { bytesC2S: number; bytesS2C: number; rounds: number };
  /** The schedule that ran: merged rounds or not. */
  merged: boolean;
  /** The run was in exact mode (IrProgram.exact; --exact or the checkpoint's thresholds.json).
   * Absent in reports written before it was recorded. */
  exact?: boolean;
  /** Each communicating step (or concurrent group): its channel scope label, ops, and bytes and rounds per party. */
  steps: { step: number; label: string; op: string; ids: number[]; where: string; loops: string[]; measured: Partial<Record<Party, Counters>>; predicted?: { bytesC2S: number; bytesS2C: number; rounds: Record<Party, number> } }[];
  outputs: { id: number; to: Party; shape: number[]; values: number[] }[];
}

export function buildReport(p: IrProgram, file: string, party: Party | 'both', results: Partial<Record<Party, ExecuteResult>>, extra: Pick<ReportData, 'seconds' | 'simulatedSeconds' | 'network'> & { totals: ReportData['totals']; predicted?: ProgramCost }): ReportData {
  const steps: ReportData['steps'] = [];
  const anyResult = results.client ?? results.server!;
  const sched = anyResult.schedule;
  for (const unit of units(sched)) {
    if (unit[0].comm === 'local') continue;
    const label = unitLabel(sched, unit);
    const measured: Partial<Record<Party, Counters>> = {};
    for (const side of ['client', 'server'] as Party[]) {
      const c = results[side]?.byScope.get(label);
      if (c) measured[side] = { ...c };
    }
    if (!measured.client && !measured.server) continue;
    const op: IrOp = p.ops[unit[0].ops[0]];
    const prs = extra.predicted?.ops.filter((o) => o.label === label) ?? [];
    const predicted = prs.length ? { bytesC2S: prs.reduce((a, o) => a + o.bytesC2S, 0), bytesS2C: prs.reduce((a, o) => a + o.bytesS2C, 0), rounds: prs[0].rounds } : undefined;
    steps.push({ step: unit[0].index, label, op: unit.map((st) => st.op).join('+'), ids: unit.flatMap((st) => st.ops), where: `${op.where.file}:${op.where.line}:${op.where.col}`, loops: op.where.loops, measured, predicted });
  }
  return {
    program: file,
    model: p.model,
    config: p.config,
    party,
    network: extra.network,
    seconds: extra.seconds,
    simulatedSeconds: extra.simulatedSeconds,
    revealed: anyResult.revealed,
    totals: extra.totals,
    predicted: extra.predicted && { bytesC2S: extra.predicted.bytesC2S, bytesS2C: extra.predicted.bytesS2C, rounds: extra.predicted.rounds },
    merged: sched.merged,
    exact: p.exact === true,
    steps,
    outputs: [...(results.client?.outputs ?? []), ...(results.server?.outputs ?? [])].map((o) => ({ id: o.id, to: o.to, shape: o.tensor.shape, values: Array.from(realValues(o.tensor, 'fixed')) })),
  };
}

export function writeReport(file: string, r: ReportData): void {
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
}

/** --progress / --no-progress, defaulting to "stderr is a terminal". */
export const progressWanted = (v: { progress?: boolean; 'no-progress'?: boolean }, io: Io): boolean => (v['no-progress'] ? false : (v.progress ?? io.tty));

/** A one-line progress display on stderr (only on a terminal, or when forced). */
export function progress(io: Io, enabled: boolean) {
  let last = 0;
  const start = performance.now();
  return {
    update(done: number, total: number, op: IrOp) {
      if (!enabled) return;
      const now = performance.now();
      if (now - last < 100 && done !== total) return;
      last = now;
      const pct = Math.floor((100 * done) / total);
      const bar = '#'.repeat(Math.round(pct / 5)).padEnd(20, '.');
      io.err(`\r[${bar}] ${String(pct).padStart(3)}% op ${done}/${total} ${op.op.padEnd(10)} ${op.where.file}:${op.where.line} ${op.where.loops.join(' ')}  ${((now - start) / 1000).toFixed(1)} s\x1b[K`);
    },
    done() {
      if (enabled) io.err('\r\x1b[K');
    },
  };
}
