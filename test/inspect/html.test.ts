// The inspect HTML page in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core, which downloads no browser): it loads with no network access, no console
// errors and no page errors, and a screenshot of the timeline shows bars in each lane.
// .ci/run installs chromium; locally the test is skipped, saying so, when chromium is absent.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { DimEnv } from '../../src/ir/dim-env.ts';
import { predictSchedule } from '../../src/opt/cost.ts';
import { buildSchedule } from '../../src/opt/schedule.ts';
import { inspect } from '../../src/inspect/inspection.ts';
import { inspectionHtml } from '../../src/inspect/html.ts';
import { NETWORKS } from '../../src/transport/sim-channel.ts';
import { compile } from '../exec/helpers.ts';
import { decodePng } from '../support/png.ts';

function chromiumPath(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const exe = chromiumPath();
if (!exe) {
  const msg = 'chromium is not installed: the HTML browser test is skipped (apt-get install chromium, or run .ci/run, which installs it)';
  if (process.env.CIPHERPRUNE_REQUIRE_BROWSER) throw new Error(msg); // set by .ci/run, which installs it
  console.warn(msg);
}

// Flags that work in this environment (../shared/research/ecosystem-2026-11-26.md §6).
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function page(): string {
  const p = compile('protocols/bert.cpl', 'bert_dense');
  const s = buildSchedule(p), dims = new DimEnv();
  const x = inspect({ file: 'protocols/bert.cpl', schedule: s, cost: predictSchedule(s, dims), other: predictSchedule(buildSchedule(p, { merge: false }), dims), sizes: {}, network: NETWORKS.wan });
  return inspectionHtml(x);
}

describe.skipIf(!exe)('inspect HTML in headless Chromium', () => {
  it('renders without network or console errors; the timeline is drawn in every lane', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-html-'));
    const file = join(dir, 'schedule.html');
    writeFileSync(file, page());
    const browser = await chromium.launch({ executablePath: exe!, headless: true, args: ARGS });
    try {
      const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
      const tab = await ctx.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      tab.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await tab.route('**/*', (route) => {
        const url = route.request().url();
        if (url === pathToFileURL(file).href) return route.continue();
        requests.push(url);
        return route.abort();
      });
      await tab.goto(pathToFileURL(file).href);
      await tab.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
      expect(await tab.locator('#summary tr').count()).toBeGreaterThan(3);
      expect(await tab.locator('#byPrimitive tr').count()).toBeGreaterThan(5);

      const box = (await tab.locator('#timeline').boundingBox())!;
      const img = decodePng(await tab.screenshot({ clip: box }));
      // Bars are saturated colours; lanes, labels and background are grey.
      const lanes = [0, 0, 0];
      for (let y = 0; y < img.height; y++) {
        for (let x = 0; x < img.width; x++) {
          const i = 4 * (y * img.width + x), r = img.rgba[i], g = img.rgba[i + 1], b = img.rgba[i + 2];
          if (Math.max(r, g, b) - Math.min(r, g, b) > 60) lanes[Math.min(2, Math.floor((3 * y) / img.height))]++;
        }
      }
      const area = (img.width * img.height) / 3;
      for (const [k, n] of lanes.entries()) expect(n / area, `coloured pixels in lane ${k}`).toBeGreaterThan(0.01);
      await ctx.close();
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
