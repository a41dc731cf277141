// The report of `cipherprune tune`: accuracy against predicted cost for dense, pruned (every
// kept token accurate) and pruned + reduced, the tokens kept per layer, and every λ tried; as
// text and as one self-contained HTML page with inline SVG (no scripts, no external files).
import type { Measured, TuneResult } from '../train/tune.ts';

export interface TuneReport {
  model: string;
  data: string;
  validation: string;
  network?: string;
  options: { maxDrop: number; minAgreement: number; minCut: number; distill?: boolean; seed: number; steps: number; batch: number; lambdas: number[]; temperature: number; lr: number };
  result: TuneResult;
  /** With --finetune: the weights fine-tuned under the cheapest λ's thresholds. */
  finetuned?: { epochs: number; thresholds: { theta: number[]; theta_hi: number[] }; validation: Measured; ok: boolean };
  seconds: number;
}

const pct = (a: number) => `${(100 * a).toFixed(1)} %`;
const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
const list = (xs: readonly number[], d = 1) => xs.map((x) => x.toFixed(d)).join(' → ');
const cost = (r: TuneReport, m: Measured) => (r.result.metric === 'bytes' ? mb(m.cost.bytes) : `${m.cost.seconds!.toFixed(3)} s (${mb(m.cost.bytes)})`);
const value = (r: TuneReport, m: Measured) => (r.result.metric === 'bytes' ? m.cost.bytes : m.cost.seconds!);

function rows(r: TuneReport): [string, Measured][] {
  const out: [string, Measured][] = [['dense', r.result.dense], ['pruned', r.result.pruned], ['pruned + reduced', r.result.reduced]];
  if (r.finetuned) out.push([`fine-tuned (${r.finetuned.epochs} ep.)`, r.finetuned.validation]);
  return out;
}

export function tuneText(r: TuneReport): string {
  const x = r.result, d = value(r, x.dense);
  const out = [
    `tune ${r.model}: search on ${r.data}, accuracy checked on ${r.validation}`,
    `minimising predicted ${x.metric === 'bytes' ? 'bytes (both directions)' : `time on ${r.network}`}; budget: at most ${r.options.maxDrop} points below dense${r.options.minAgreement ? `, at least ${100 * r.options.minAgreement} % of the labels as dense` : ''}${r.options.minCut ? `; the most faithful at ≥ ${r.options.minCut}× less cost` : ''}${r.options.distill ? '; task loss against dense\'s predictions (distillation)' : ''}; seed ${r.options.seed}`,
    `cost model fit: ${x.metric === 'bytes' ? 'bytes' : 'seconds'} ≈ ${x.linear.base.toPrecision(4)} + Σ k_l·(${x.linear.perKept.map((v) => v.toPrecision(3)).join(', ')}) + Σ kh_l·(${x.linear.perHigh.map((v) => v.toPrecision(3)).join(', ')})`,
    '',
    'held-out sentences   accuracy   kept per layer (mean)    accurate per layer   predicted cost   vs dense',
    ...rows(r).map(([name, m]) => `${name.padEnd(19)}  ${pct(m.accuracy).padStart(8)}   ${list([r.result.dense.meanKept[0], ...m.meanKept]).padEnd(23)}  ${list(m.meanHigh).padEnd(19)}  ${cost(r, m).padStart(15)}   ${(d / value(r, m)).toFixed(2)}×`),
    '',
    'λ sweep:',
    ...x.candidates.map((c) => `  λ = ${String(c.lambda).padEnd(5)} θ = [${c.thresholds.theta.map((t) => t.toFixed(3)).join(', ')}], θ_hi = [${c.thresholds.theta_hi.map((t) => t.toFixed(3)).join(', ')}]: ${pct(c.validation.accuracy)} (${pct(c.agreement)} as dense), ${cost(r, c.validation)}${c.ok ? '' : ' (outside the bounds)'}`),
    '',
    ...(r.finetuned ? [`fine-tuned ${r.finetuned.epochs} epoch(s) under θ = [${r.finetuned.thresholds.theta.join(', ')}], θ_hi = [${r.finetuned.thresholds.theta_hi.join(', ')}]: ${pct(r.finetuned.validation.accuracy)}, ${cost(r, r.finetuned.validation)}${r.finetuned.ok ? ' (within the budget and cheaper: written to --out)' : ' (not within the budget, or not cheaper: not written)'}`, ''] : []),
    ...x.candidates.filter((c) => c.placed).map((c) => {
      const q = c.placed!, f = q.fixed;
      const fx = f ? `; fixed point on ${f.sentences}: ${pct(f.accuracy)}, labels as float ${f.sameLabel}/${f.sentences}, counts as float ${f.sameCounts}/${f.sentences}, score error ≤ ${list(f.maxScoreError, 4)}` : '';
      return `  λ = ${c.lambda} moved off the scores: θ = [${q.thresholds.theta.map((t) => t.toFixed(3)).join(', ')}], θ_hi = [${q.thresholds.theta_hi.map((t) => t.toFixed(3)).join(', ')}] (margins ${list(q.margins.theta, 3)}; ${list(q.margins.theta_hi, 3)}): ${pct(q.validation.accuracy)}, ${cost(r, q.validation)}${fx}${q.accepted ? '' : ` (rejected${q.refused ? `: ${q.refused}` : ''})`}`;
    }),
    '',
    x.lambda === null ? (x.candidates.some((c) => c.placed) ? 'no λ was accepted (see the reasons above)' : 'no λ met the accuracy budget') : `chosen: λ = ${x.lambda}, θ = [${x.thresholds.theta.join(', ')}], θ_hi = [${x.thresholds.theta_hi.join(', ')}]`,
    `${r.seconds.toFixed(0)} s`,
    '',
  ];
  return out.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Scatter of accuracy (y) against predicted cost (x). */
function scatter(r: TuneReport): string {
  const W = 560, H = 320, P = 50;
  const pts = [
    ...r.result.candidates.map((c) => ({ label: `λ = ${c.lambda}`, m: c.validation, color: c.ok ? '#9ab' : '#d99', named: false })),
    ...rows(r).map(([label, m], i) => ({ label, m, color: ['#333', '#2a7', '#27c', '#c72'][i], named: true })),
  ];
  const xs = pts.map((p) => value(r, p.m)), ys = pts.map((p) => 100 * p.m.accuracy);
  const x0 = Math.min(...xs) * 0.95, x1 = Math.max(...xs) * 1.05, y0 = Math.floor(Math.min(...ys) - 1), y1 = Math.ceil(Math.max(...ys) + 1);
  const X = (v: number) => P + ((v - x0) / (x1 - x0)) * (W - 2 * P), Y = (v: number) => H - P - ((v - y0) / (y1 - y0)) * (H - 2 * P);
  const unit = r.result.metric === 'bytes' ? 'MB' : 's', scale = r.result.metric === 'bytes' ? 1e-6 : 1;
  const budget = 100 * r.result.dense.accuracy - r.options.maxDrop;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<line x1="${P}" y1="${H - P}" x2="${W - P}" y2="${H - P}" stroke="#000"/><line x1="${P}" y1="${P}" x2="${P}" y2="${H - P}" stroke="#000"/>
<line x1="${P}" y1="${Y(budget)}" x2="${W - P}" y2="${Y(budget)}" stroke="#c66" stroke-dasharray="4 3"/><text x="${W - P}" y="${Y(budget) - 3}" text-anchor="end" fill="#c66">accuracy budget</text>
<text x="${W / 2}" y="${H - 12}" text-anchor="middle">predicted cost per sentence (${unit})</text>
<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">accuracy (%)</text>
${[0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${X(x0 + (x1 - x0) * f)}" y="${H - P + 14}" text-anchor="middle">${((x0 + (x1 - x0) * f) * scale).toPrecision(3)}</text>`).join('')}
${[y0, (y0 + y1) / 2, y1].map((v) => `<text x="${P - 4}" y="${Y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`).join('')}
${pts.map((p, i) => `<circle cx="${X(xs[i])}" cy="${Y(ys[i])}" r="${p.named ? 5 : 3.5}" fill="${p.color}"><title>${esc(p.label)}: ${ys[i].toFixed(1)} %, ${(xs[i] * scale).toPrecision(4)} ${unit}</title></circle>`).join('\n')}
${pts.filter((p) => p.named).map((p, k) => `<circle cx="${P + 10}" cy="${P + 6 + 14 * k}" r="4" fill="${p.color}"/><text x="${P + 18}" y="${P + 10 + 14 * k}">${esc(p.label)}</text>`).join('')}
<circle cx="${P + 10}" cy="${P + 6 + 14 * pts.filter((p) => p.named).length}" r="3.5" fill="#9ab"/><text x="${P + 18}" y="${P + 10 + 14 * pts.filter((p) => p.named).length}">λ sweep (red: over the budget; hover for values)</text>
</svg>`;
}

/** Bars of the mean tokens per layer (input, then kept after each layer) for each variant. */
function keptBars(r: TuneReport): string {
  const series = rows(r).map(([label, m]) => ({ label, v: [r.result.dense.meanKept[0], ...m.meanKept] }));
  const L = series[0].v.length, W = 560, H = 240, P = 40, max = Math.max(...series.flatMap((s) => s.v)), colors = ['#333', '#2a7', '#27c', '#c72'];
  const gw = (W - 2 * P) / L, bw = gw / (series.length + 1);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<line x1="${P}" y1="${H - P}" x2="${W - P}" y2="${H - P}" stroke="#000"/>
${series.map((s, k) => s.v.map((v, l) => { const h = (v / max) * (H - 2 * P); return `<rect x="${P + l * gw + k * bw}" y="${H - P - h}" width="${bw - 2}" height="${h}" fill="${colors[k]}"><title>${esc(s.label)}, ${l === 0 ? 'input' : `after layer ${l}`}: ${v.toFixed(2)} tokens</title></rect><text x="${P + l * gw + k * bw + bw / 2}" y="${H - P - h - 3}" text-anchor="middle">${v.toFixed(1)}</text>`; }).join('')).join('\n')}
${series[0].v.map((_, l) => `<text x="${P + l * gw + (series.length * bw) / 2}" y="${H - P + 14}" text-anchor="middle">${l === 0 ? 'input (padded)' : `after layer ${l}`}</text>`).join('')}
${series.map((s, k) => `<rect x="${W - 150}" y="${10 + 14 * k}" width="10" height="10" fill="${colors[k]}"/><text x="${W - 135}" y="${19 + 14 * k}">${esc(s.label)}</text>`).join('')}
</svg>`;
}

export function tuneHtml(r: TuneReport): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cipherprune tune: ${esc(r.model)}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}pre{background:#f6f6f6;padding:1em;overflow:auto}</style></head>
<body><h1>Threshold tuning: ${esc(r.model)}</h1>
<h2>Accuracy against predicted cost (held-out sentences)</h2>${scatter(r)}
<h2>Tokens per layer (mean)</h2>${keptBars(r)}
<h2>Details</h2><pre>${esc(tuneText(r))}</pre>
</body></html>
`;
}
