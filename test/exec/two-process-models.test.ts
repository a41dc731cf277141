// The four bundled models with `cipherprune serve` and `cipherprune connect` in two processes over
// ws on loopback (tiny default config, --random-inputs weights). The CipherPrune models get
// thresholds chosen from the reference, so that they really prune: inputs files override the
// server's theta, theta_hi and LayerNorm gains (1) and the BERT client's padding (none; random
// padding flags make one token take all the attention). The client's logits match the reference
// within the bounds of pruned.test.ts and the revealed counts are the reference's. The dense
// models (whose secure runs models.test.ts covers in one process) run here with
// CIPHERPRUNE_SLOW=1 only, to keep the default suite short.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomInputs } from '../../src/cli/inputs.ts';
import { interpret } from '../../src/interp/interpret.ts';
import type { Pinned } from '../../src/interp/thresholds.ts';
import { realValues } from '../../src/ir/twins.ts';
import { calibrateForTest, cli, compile, pruneInputs, SCORE_ERR, startServerFor } from './helpers.ts';

const SEED = 5;
const MODELS: [string, string, Pinned | null, number][] = [
  ['protocols/bert.cpl', 'bert_dense', null, 0.005],
  ['protocols/bert.cpl', 'bert_cipherprune', 'first', 0.02],
  ['protocols/gpt2.cpl', 'gpt2_dense', null, 0.05],
  ['protocols/gpt2.cpl', 'gpt2_cipherprune', 'last', 0.05],
];

/** The values printed on the `output to client` line (the first 64 when there are more). */
const printed = (text: string): number[] => (/output to client[^=]*= \[([^\]]*)\]/.exec(text)?.[1] ?? '').split(',').map((s) => s.trim()).filter((s) => /^-?\d/.test(s)).map(Number);

const SLOW = process.env.CIPHERPRUNE_SLOW === '1';

describe('the bundled models over ws, two processes', () => {
  it.each(MODELS.filter(([, , pinned]) => SLOW || pinned))('%s %s: serve + connect', async (file, model, pinned, bound) => {
    const p = compile(file, model);
    const dir = mkdtempSync(join(tmpdir(), 'cipherprune-'));
    const serverArgs = ['--model', model, '--random-inputs', String(SEED), '--once'];
    const clientArgs = ['--model', model, '--random-inputs', String(SEED)];
    let reference = interpret(p, randomInputs(p, SEED), 'fixed');
    if (pinned) {
      const inputs = pruneInputs(p, SEED);
      const cal = calibrateForTest(p, inputs, pinned);
      for (const g of cal.gaps) expect(Math.min(g.keep, g.hi)).toBeGreaterThan((2 * SCORE_ERR) / 4096);
      const own = (owner: 'client' | 'server', extra: Record<string, number[]>) => {
        const f = join(dir, `${owner}.json`);
        const mine = Object.fromEntries(Object.entries({ ...inputs, ...extra }).filter(([k]) => p.inputs.find((i) => i.name === k)!.owner === owner && (k in extra || /_g$|^pad$/.test(k))));
        writeFileSync(f, JSON.stringify(mine));
        return ['--inputs', f];
      };
      serverArgs.push(...own('server', { theta: cal.theta, theta_hi: cal.thetaHi }));
      clientArgs.push(...own('client', {}));
      reference = cal.reference;
    }
    const server = await startServerFor(file, serverArgs);
    const client = cli(['connect', file, '--to', server.addr, ...clientArgs]);
    const [cc, sc] = await Promise.all([client.exit, server.exit]);
    expect({ cc, err: client.err() }).toEqual({ cc: 0, err: '' });
    expect({ sc, err: server.err() }).toEqual({ sc: 0, err: '' });
    const want = realValues(reference.outputs[0].tensor, 'fixed');
    const got = printed(client.out());
    expect(got.length).toBe(Math.min(64, want.length));
    got.forEach((v, i) => expect(Math.abs(v - want[i]), `logit ${i}`).toBeLessThan(bound + 1e-5));
    const revealed = Object.entries(reference.revealed);
    if (pinned) {
      expect(revealed.length).toBe(4);
      expect(revealed.some(([, v]) => v < p.config.seq_len)).toBe(true);
      expect(client.out()).toContain(`revealed sizes: ${revealed.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    }
    expect(server.out()).toMatch(/session 1: done/);
  }, 180_000);
});
