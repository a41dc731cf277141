// The script of the inspect page (plain browser JavaScript, embedded as text; no network, no
// libraries). It reads the inspection JSON from the page and draws: the round timeline (Gantt
// style: one lane per party's messages, one lane of steps), bytes per round, breakdowns by layer
// and by primitive, and tables. Hovering the timeline shows a round's messages.
export const PAGE_SCRIPT = String.raw`
'use strict';
const X = JSON.parse(document.getElementById('data').textContent);
const $ = (id) => document.getElementById(id);
const fmtB = (b) => b >= 1e9 ? (b / 1e9).toFixed(2) + ' GB' : b >= 1e6 ? (b / 1e6).toFixed(2) + ' MB' : b >= 1e3 ? (b / 1e3).toFixed(1) + ' kB' : b + ' B';
const fmtS = (s) => s >= 100 ? s.toFixed(0) + ' s' : s >= 1 ? s.toFixed(2) + ' s' : (s * 1000).toFixed(1) + ' ms';
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const stepBy = new Map(X.steps.map((s) => [s.index, s]));
const prims = [...new Set(X.steps.map((s) => s.op))];
// Distinct hues: primitives by golden-angle steps in the order they first appear; other keys hashed.
const hues = new Map(prims.map((p, i) => [p, (i * 137.508) % 360]));
function hue(name) { if (hues.has(name)) return hues.get(name); let h = 0; for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 360; return h; }
const color = (op, light) => 'hsl(' + hue(op) + ', 65%, ' + (light ? 78 : 48) + '%)';

// ---- summary ----
const t = X.totals;
const lines = [
  ['client → server', fmtB(t.bytesC2S)], ['server → client', fmtB(t.bytesS2C)], ['rounds', t.rounds + ' (' + (X.other.merged ? 'merged' : 'unmerged') + ': ' + X.other.rounds + ')'],
  ['communicating steps', t.commSteps + ' of ' + t.steps],
];
if (t.seconds !== undefined) lines.push(['time on ' + X.network.name, fmtS(t.seconds) + ' (network ' + fmtS(t.networkSeconds) + (X.compute ? ', compute ' + fmtS(t.computeSeconds) : ', compute not included') + ')']);
if (X.measured) lines.push(['measured (run report)', fmtB(X.measured.totals.bytesC2S) + ' / ' + fmtB(X.measured.totals.bytesS2C) + ', ' + X.measured.totals.rounds + ' rounds; ' + (X.measured.mismatches ? X.measured.mismatches + ' steps differ from the prediction' : 'every step as predicted')]);
$('summary').innerHTML = lines.map(([k, v]) => '<tr><th>' + esc(k) + '</th><td>' + esc(v) + '</td></tr>').join('');
$('legend').innerHTML = prims.map((p) => '<span class="key"><i style="background:' + color(p) + '"></i>' + esc(p) + '</span>').join('');

// ---- timeline ----
const view = { from: 1, to: Math.max(1, t.rounds) };
const LANES = [['client → server', 'client'], ['server → client', 'server'], ['steps', null]];
function drawTimeline() {
  const cv = $('timeline'), ctx = cv.getContext('2d');
  const W = cv.width = cv.clientWidth * devicePixelRatio, H = cv.height = cv.clientHeight * devicePixelRatio;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, W, H);
  const left = 120 * devicePixelRatio, laneH = (H - 24 * devicePixelRatio) / LANES.length;
  const span = view.to - view.from + 1, px = (W - left) / span;
  const x = (r) => left + (r - view.from) * px;
  ctx.font = (12 * devicePixelRatio) + 'px sans-serif'; ctx.textBaseline = 'middle';
  LANES.forEach(([name], i) => { ctx.fillStyle = i % 2 ? '#f6f7f9' : '#eef0f4'; ctx.fillRect(left, i * laneH, W - left, laneH); ctx.fillStyle = '#333'; ctx.fillText(name, 6, i * laneH + laneH / 2); });
  const maxB = Math.max(1, ...X.rounds.flatMap((r) => r.messages.map((m) => m.bytes)));
  for (const r of X.rounds) {
    if (r.round < view.from || r.round > view.to) continue;
    for (const m of r.messages) {
      const lane = m.from === 'client' ? 0 : 1, h = Math.max(2, (laneH - 6) * Math.log1p(m.bytes) / Math.log1p(maxB));
      ctx.fillStyle = color(stepBy.get(m.step).op);
      ctx.fillRect(x(r.round), lane * laneH + laneH - 3 - h, Math.max(1, px - (px > 4 ? 1 : 0)), h);
    }
  }
  X.steps.forEach((s, k) => {
    if (s.lastRound < view.from || s.firstRound > view.to) return;
    const a = x(Math.max(s.firstRound, view.from)), b = x(Math.min(s.lastRound, view.to) + 1);
    ctx.fillStyle = color(s.op, k % 2 === 1);
    ctx.fillRect(a, 2 * laneH + 4, Math.max(1, b - a - 1), laneH - 8);
  });
  ctx.fillStyle = '#333'; ctx.textBaseline = 'alphabetic';
  const ticks = 8;
  for (let i = 0; i <= ticks; i++) { const r = Math.round(view.from + (span - 1) * i / ticks); ctx.fillText(String(r), Math.min(x(r), W - 40 * devicePixelRatio), H - 6 * devicePixelRatio); }
  $('range').textContent = 'rounds ' + view.from + '–' + view.to + ' of ' + t.rounds;
}

function roundAt(ev) {
  const cv = $('timeline'), rect = cv.getBoundingClientRect();
  const left = 120, span = view.to - view.from + 1;
  const r = view.from + Math.floor((ev.clientX - rect.left - left) / ((rect.width - left) / span));
  return r >= view.from && r <= view.to ? r : null;
}
$('timeline').addEventListener('mousemove', (ev) => {
  const r = roundAt(ev), tip = $('tip');
  if (r === null) { tip.style.display = 'none'; return; }
  const rd = X.rounds[r - 1];
  const rows = rd.messages.map((m) => { const s = stepBy.get(m.step); return '<div>' + (m.from === 'client' ? 'c→s ' : 's→c ') + fmtB(m.bytes) + ' · #' + s.index + ' ' + esc(s.op) + (s.ops.length > 1 ? ' ×' + s.ops.length : '') + ' · ' + esc(s.layer) + ' · ' + esc(s.fn) + '</div>'; });
  tip.innerHTML = '<b>round ' + r + '</b>' + rows.join('');
  tip.style.display = 'block'; tip.style.left = (ev.pageX + 12) + 'px'; tip.style.top = (ev.pageY + 12) + 'px';
});
$('timeline').addEventListener('mouseleave', () => { $('tip').style.display = 'none'; });
$('timeline').addEventListener('wheel', (ev) => {
  ev.preventDefault();
  const r = roundAt(ev) ?? Math.round((view.from + view.to) / 2), span = view.to - view.from + 1;
  const next = Math.max(10, Math.min(t.rounds, Math.round(span * (ev.deltaY > 0 ? 1.25 : 0.8))));
  const f = (r - view.from) / span;
  view.from = Math.max(1, Math.round(r - f * next)); view.to = Math.min(t.rounds, view.from + next - 1);
  drawTimeline(); drawBytes();
}, { passive: false });
$('reset').addEventListener('click', () => { view.from = 1; view.to = Math.max(1, t.rounds); drawTimeline(); drawBytes(); });

// ---- bytes per round ----
function drawBytes() {
  const cv = $('bytes'), ctx = cv.getContext('2d');
  const W = cv.width = cv.clientWidth * devicePixelRatio, H = cv.height = cv.clientHeight * devicePixelRatio;
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, W, H);
  const left = 120 * devicePixelRatio, mid = H / 2, span = view.to - view.from + 1, px = (W - left) / span;
  const rs = X.rounds.slice(view.from - 1, view.to);
  const maxB = Math.max(1, ...rs.map((r) => Math.max(r.c2s, r.s2c)));
  ctx.fillStyle = '#333'; ctx.font = (12 * devicePixelRatio) + 'px sans-serif';
  ctx.fillText('c→s ↑  ' + fmtB(maxB), 6, 14 * devicePixelRatio); ctx.fillText('s→c ↓', 6, H - 6 * devicePixelRatio);
  for (const r of rs) {
    const xx = left + (r.round - view.from) * px, w = Math.max(1, px - (px > 4 ? 1 : 0));
    ctx.fillStyle = '#3b6fb6'; ctx.fillRect(xx, mid - (mid - 2) * r.c2s / maxB, w, (mid - 2) * r.c2s / maxB);
    ctx.fillStyle = '#c0603a'; ctx.fillRect(xx, mid, w, (mid - 2) * r.s2c / maxB);
  }
}

// ---- breakdowns ----
function bars(id, rows, label) {
  const max = Math.max(1, ...rows.map((r) => r.rounds)), maxB = Math.max(1, ...rows.map((r) => r.bytesC2S + r.bytesS2C));
  $(id).innerHTML = '<tr><th>' + label + '</th><th>rounds</th><th></th><th>bytes</th><th></th>' + (t.seconds !== undefined ? '<th>time</th>' : '') + '</tr>' + rows.map((r) =>
    '<tr><td>' + esc(r.key) + '</td><td class="n">' + r.rounds + '</td><td><div class="bar" style="width:' + (100 * r.rounds / max).toFixed(1) + '%;background:' + color(r.key) + '"></div></td>' +
    '<td class="n">' + fmtB(r.bytesC2S + r.bytesS2C) + '</td><td><div class="bar" style="width:' + (100 * (r.bytesC2S + r.bytesS2C) / maxB).toFixed(1) + '%;background:#8aa4c8"></div></td>' +
    (t.seconds !== undefined ? '<td class="n">' + fmtS(r.seconds || 0) + '</td>' : '') + '</tr>').join('');
}
bars('byLayer', X.byLayer, 'layer');
bars('byPrimitive', X.byPrimitive, 'primitive');
$('critical').innerHTML = '<tr><th>rounds</th><th>step</th><th>layer</th><th>function</th><th>source</th></tr>' + X.criticalPath.slice(0, 25).map((c) => {
  const s = stepBy.get(c.step);
  return '<tr><td class="n">' + c.rounds + '</td><td>#' + s.index + ' ' + esc(s.op) + (s.ops.length > 1 ? ' ×' + s.ops.length : '') + '</td><td>' + esc(s.layer) + '</td><td>' + esc(s.fn) + '</td><td>' + esc(s.where) + '</td></tr>';
}).join('');
if (X.measured) {
  $('measuredBox').style.display = 'block';
  $('measured').innerHTML = '<tr><th>step</th><th>predicted c→s / s→c, rounds</th><th>measured</th></tr>' + X.measured.steps.map((s) => {
    const same = s.predicted.bytesC2S === s.measured.bytesC2S && s.predicted.bytesS2C === s.measured.bytesS2C && s.predicted.rounds === s.measured.rounds;
    return '<tr class="' + (same ? '' : 'bad') + '"><td>' + esc(s.label) + '</td><td>' + fmtB(s.predicted.bytesC2S) + ' / ' + fmtB(s.predicted.bytesS2C) + ', ' + s.predicted.rounds + '</td><td>' + fmtB(s.measured.bytesC2S) + ' / ' + fmtB(s.measured.bytesS2C) + ', ' + s.measured.rounds + '</td></tr>';
  }).join('');
}
function draw() { drawTimeline(); drawBytes(); }
addEventListener('resize', draw);
draw();
document.body.dataset.ready = '1';
`;
