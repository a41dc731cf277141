// The HTML form of `cipherprune inspect`: one self-contained page (inline style, script and data;
// nothing fetched) with the round timeline, bytes per round, breakdowns and tables.
import type { Inspection } from './inspection.ts';
import { PAGE_SCRIPT } from './html-script.ts';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.sub { color: #666; margin-bottom: 12px; }
table { border-collapse: collapse; } th, td { padding: 2px 8px; text-align: left; vertical-align: middle; }
th { font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
#summary th { color: #555; font-weight: 500; }
canvas { width: 100%; display: block; border: 1px solid #ddd; }
#timeline { height: 180px; cursor: crosshair; } #bytes { height: 120px; margin-top: 6px; }
.bar { height: 10px; min-width: 1px; } .breakdowns { display: flex; gap: 32px; flex-wrap: wrap; }
.breakdowns td:nth-child(3), .breakdowns td:nth-child(5) { width: 160px; }
.key { display: inline-block; margin-right: 12px; font-size: 12px; } .key i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
#tip { position: absolute; display: none; background: #fff; border: 1px solid #999; padding: 6px 8px; font-size: 12px; max-width: 520px; box-shadow: 0 2px 6px #0003; pointer-events: none; }
tr.bad td { background: #fde2e2; } #measuredBox { display: none; }
.controls { margin: 6px 0; font-size: 12px; color: #555; } button { font-size: 12px; }
`;

/** JSON embedded in a <script> element: `</` would end the element early. */
const embed = (x: unknown): string => JSON.stringify(x).replace(/<\//g, '<\\/').replace(/<!--/g, '<\\!--');
const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function inspectionHtml(x: Inspection): string {
  const title = `${x.model} — ${x.merged ? 'merged' : 'unmerged'} schedule`;
  const config = Object.entries(x.config).map(([k, v]) => `${k}=${v}`).join(' ');
  const sizes = Object.entries(x.sizes).map(([k, v]) => `${k}=${v}`).join(' ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<div class="sub">${esc(x.program)} · ${esc(config)}${sizes ? ` · revealed sizes ${esc(sizes)}` : ''}</div>
<table id="summary"></table>
<h2>Round timeline</h2>
<div class="controls"><span id="range"></span> · wheel to zoom <button id="reset">all rounds</button></div>
<canvas id="timeline"></canvas>
<canvas id="bytes"></canvas>
<div id="legend"></div>
<div class="breakdowns">
<div><h2>By layer</h2><table id="byLayer"></table></div>
<div><h2>By primitive</h2><table id="byPrimitive"></table></div>
</div>
<h2>Critical path (steps adding the most rounds)</h2>
<table id="critical"></table>
<div id="measuredBox"><h2>Predicted vs measured</h2><table id="measured"></table></div>
<div id="tip"></div>
<script type="application/json" id="data">${embed(x)}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
