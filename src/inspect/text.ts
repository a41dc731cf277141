// The table form of `cipherprune inspect`: per round the messages each way (bytes, step,
// primitive, layer), then breakdowns by layer and by primitive, the critical path, the comparison
// with a run, and the totals last (so `| tail` shows them).
import type { Inspection, InspectStep } from './inspection.ts';

export const fmtBytes = (b: number): string =>
  b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${b} B`;
export const fmtSeconds = (s: number): string => (s >= 100 ? `${s.toFixed(0)} s` : s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`);
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);

function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((x, c) => (right[c] ? lpad(x, w[c]) : pad(x, w[c]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

export function formatInspection(x: Inspection, opts: { perRound?: boolean } = {}): string {
  const out: string[] = [];
  const byIndex = new Map<number, InspectStep>(x.steps.map((s) => [s.index, s]));
  const what = (step: number) => {
    const s = byIndex.get(step)!;
    return `#${s.index} ${s.op}${s.ops.length > 1 ? ` x${s.ops.length}` : ''}${s.setup ? ' (+setup)' : ''} ${s.layer}`;
  };
  const timed = x.totals.seconds !== undefined;
  out.push(`inspect ${x.program} ${x.model} (${x.merged ? 'merged' : 'unmerged'})`);
  out.push(`config ${Object.entries(x.config).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (Object.keys(x.sizes).length) out.push(`revealed sizes ${Object.entries(x.sizes).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (opts.perRound ?? true) {
    out.push('', 'per round (messages each way: bytes, step, primitive, layer)');
    const rows = x.rounds.map((r) => {
      const side = (from: 'client' | 'server') => r.messages.filter((m) => m.from === from).map((m) => `${fmtBytes(m.bytes)} ${what(m.step)}`).join('; ') || '-';
      return [String(r.round), side('client'), side('server')];
    });
    out.push(...table(['round', 'client -> server', 'server -> client'], rows, [true, false, false]));
  }
  const bd = (title: string, b: Inspection['byLayer']) => {
    out.push('', title);
    out.push(...table(['', 'c->s', 's->c', 'rounds', 'steps', ...(timed ? ['time'] : [])], b.map((r) => [r.key, fmtBytes(r.bytesC2S), fmtBytes(r.bytesS2C), String(r.rounds), String(r.steps), ...(timed ? [fmtSeconds(r.seconds ?? 0)] : [])]), [false, true, true, true, true, true]));
  };
  bd('by layer', x.byLayer);
  bd('by primitive', x.byPrimitive);
  const top = x.criticalPath.slice(0, 10);
  out.push('', `critical path: ${x.criticalPath.length} steps add rounds; the ${top.length} adding the most`);
  for (const c of top) out.push(`  ${lpad(c.rounds, 5)} rounds  ${what(c.step)}  ${byIndex.get(c.step)!.fn}  ${byIndex.get(c.step)!.where}`);
  if (x.measured) {
    const m = x.measured;
    out.push('', `predicted vs measured (run report): ${m.mismatches === 0 ? 'every step as predicted' : `${m.mismatches} step(s) differ`}`);
    for (const s of m.steps.filter((s) => s.predicted.bytesC2S !== s.measured.bytesC2S || s.predicted.bytesS2C !== s.measured.bytesS2C || s.predicted.rounds !== s.measured.rounds).slice(0, 20)) {
      out.push(`  ${s.label}: predicted ${s.predicted.bytesC2S}/${s.predicted.bytesS2C} B, ${s.predicted.rounds} rounds; measured ${s.measured.bytesC2S}/${s.measured.bytesS2C} B, ${s.measured.rounds} rounds`);
    }
    out.push(`  measured totals: client -> server ${fmtBytes(m.totals.bytesC2S)}, server -> client ${fmtBytes(m.totals.bytesS2C)}, ${m.totals.rounds} rounds`);
    if (m.simulatedSeconds !== undefined) out.push(`  measured on the simulated ${m.network} link: ${fmtSeconds(m.simulatedSeconds)}${timed ? `; predicted ${fmtSeconds(x.totals.seconds!)}` : ''}`);
  }
  const t = x.totals;
  out.push('', `totals: client -> server ${fmtBytes(t.bytesC2S)}, server -> client ${fmtBytes(t.bytesS2C)}, ${t.rounds} rounds, ${t.commSteps} communicating steps`);
  out.push(`${x.other.merged ? 'merged' : 'unmerged'}: client -> server ${fmtBytes(x.other.bytesC2S)}, server -> client ${fmtBytes(x.other.bytesS2C)}, ${x.other.rounds} rounds`);
  if (timed && x.network) {
    const net = x.network;
    out.push(`time on ${net.name} (${net.bitsPerSecond / 1e6} Mbit/s, ${net.rttSeconds * 1e3} ms round trip): ${fmtSeconds(t.seconds!)} (network ${fmtSeconds(t.networkSeconds!)}${x.compute ? `, compute ${fmtSeconds(t.computeSeconds!)}: ${x.compute.source}` : ', compute not included'})`);
  }
  return out.join('\n') + '\n';
}
