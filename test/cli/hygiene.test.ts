// CLI hygiene (issue 14): a port in use is a one-line error (exit 2), a closed stdout ends the
// command quietly, and the Node-22 launcher passes signals on, exits with its child's status and
// never leaves the child running when it is killed outright.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/transport/errors.ts';

const PROG = 'test/exec/programs/he.cpl';

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'bin/cipherprune.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '', err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number>((r) => child.on('exit', (code, sig) => r(code ?? 128 + (sig ? 15 : 1))));
  return { child, out: () => out, err: () => err, exit };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The child processes of `pid` (the launcher's real program). */
const childrenOf = (pid: number): number[] =>
  execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').filter((l) => l.trim()).map(Number);

describe('cli hygiene', { timeout: 60_000 }, () => {
  it('a port already in use: one line on stderr, exit 2', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const s = cli(['serve', PROG, '--listen', `127.0.0.1:${port}`, '--random-inputs', '7']);
      expect(await s.exit).toBe(EXIT.usage);
      expect(s.err()).toBe(`cipherprune: cannot listen on 127.0.0.1:${port}: the port is already in use (choose another with --listen HOST:PORT)\n`);
    } finally {
      blocker.close();
    }
  });

  it('a closed stdout (`| head -1`) ends the command quietly, status 0', async () => {
    const c = cli(['compile', '--emit', 'ir', 'protocols/bert.cpl', '-m', 'bert_dense']);
    c.child.stdout!.destroy(); // the reader is gone before the first write: EPIPE
    expect(await c.exit).toBe(0);
    expect(c.err()).toBe('');
  });

  it('launcher: killed outright, its child server stops too; SIGTERM is passed on; statuses come back', async () => {
    // CIPHERPRUNE_PINNED_NODE forces the launcher path even on a modern runtime.
    const env = { CIPHERPRUNE_PINNED_NODE: '1' };
    const s = cli(['serve', PROG, '--listen', '127.0.0.1:0', '--random-inputs', '7'], env);
    await until(() => /on ws:\/\/127\.0\.0\.1:\d+/.test(s.out()), 30_000, 'the server to start');
    const [child] = childrenOf(s.child.pid!);
    expect(child).toBeGreaterThan(0);
    s.child.kill('SIGKILL');
    await until(() => !alive(child), 5000, 'the orphaned server to stop');

    const t = cli(['serve', PROG, '--listen', '127.0.0.1:0', '--random-inputs', '7'], env);
    await until(() => /on ws:\/\/127\.0\.0\.1:\d+/.test(t.out()), 30_000, 'the server to start');
    const [child2] = childrenOf(t.child.pid!);
    t.child.kill('SIGTERM');
    expect(await t.exit).toBe(0); // serve stops cleanly on SIGTERM; the launcher returns its status
    expect(alive(child2)).toBe(false);

    const c = cli(['connect', PROG, '--to', '127.0.0.1:1', '--random-inputs', '7'], env);
    expect(await c.exit).toBe(EXIT.closed); // the child's status, through the launcher
  });
});

