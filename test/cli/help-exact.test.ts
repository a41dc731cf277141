// --help explains exact mode (--exact and thresholds.json's "exact") in one wording in every
// command that takes it, says where else the mode comes from for that command (the checkpoint for
// run, serve and demo; the server for connect; nothing for the commands that read no checkpoint),
// and demo says why the bundled classifier runs in exact mode.
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

async function help(cmd: string): Promise<string> {
  let out = '';
  const code = await main([cmd, '--help'], { out: (s) => void (out += s), err: (s) => void (out += s), color: false, tty: false });
  expect(code).toBe(0);
  return out;
}

/** The --exact entry: its line and the indented lines under it. */
const entry = (text: string): string => /\n {2}--exact {14}.*(\n {23}.*)*/.exec(text)?.[0] ?? '';
const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('--help on exact mode', () => {
  it('one wording of --exact in run, serve, connect, inspect, compile, calibrate and demo', async () => {
    const texts = Object.fromEntries(await Promise.all(['run', 'serve', 'connect', 'inspect', 'compile', 'calibrate', 'demo'].map(async (c) => [c, await help(c)] as const)));
    const what = 'exact mode: every secure truncation floors exactly, so the run equals the fixed-point reference bit for bit (more bytes and rounds; docs/tuning.md, "Exact mode"); part of the program hash, so both parties must run it';
    for (const [cmd, text] of Object.entries(texts)) {
      const e = collapse(entry(text));
      expect(e.startsWith(`--exact ${what} (`), cmd).toBe(true);
      // Every one names thresholds.json's key the same way.
      expect(e, cmd).toContain(`thresholds.json says "exact": true`);
    }
    for (const cmd of ['run', 'serve', 'demo']) expect(collapse(entry(texts[cmd])), cmd).toMatch(/\(on when the checkpoint's thresholds\.json says "exact": true and the program takes its thresholds\)$/);
    expect(collapse(entry(texts.connect))).toMatch(/\(needed against a server in exact mode: its --exact, or its checkpoint's thresholds\.json says "exact": true\)$/);
    for (const cmd of ['inspect', 'compile', 'calibrate']) expect(collapse(entry(texts[cmd])), cmd).toMatch(/\(this command reads no checkpoint: give --exact for a model whose thresholds\.json says "exact": true\)$/);
    expect(collapse(texts.inspect)).toMatch(/--report RUN\.json .* mode \(exact or default\) from the run/);
  });

  it('demo says the bundled classifier runs in exact mode, and why', async () => {
    const d = collapse(await help('demo'));
    expect(d).toMatch(/The bundled classifier runs in exact mode: its thresholds\.json says "exact": true, because its thresholds were tuned for exact mode, where the secure run keeps exactly the tokens the fixed-point model keeps and gives its label/);
    expect(d).toMatch(/--dense takes no thresholds and runs in the default mode unless --exact is given/);
  });
});
