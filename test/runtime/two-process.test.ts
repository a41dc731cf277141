// Two real processes over ws: the child is killed at seeded random points (or blocks its event
// loop); the parent must fail cleanly (ChannelError of the right kind) within 5 s.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Prg } from '../../src/crypto/prg.ts';
import { connect, type WsChannel } from '../../src/transport/ws-channel.ts';
import { listen } from '../../src/transport/ws-server.ts';
import { HASH, failure } from './helpers.ts';
import { EXIT } from '../../src/transport/errors.ts';

const PEER = fileURLToPath(new URL('./fixtures/ws-peer.ts', import.meta.url));
const spawnPeer = (...args: string[]): ChildProcess =>
  spawn(process.execPath, ['--disable-warning=ExperimentalWarning', PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

const firstLine = (child: ChildProcess) =>
  new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(buf.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`peer exited early with ${code}`)));
  });

/** Parent side: exchange random-size messages; the child is killed after `killAfter` echoes. */
async function pingPong(ch: WsChannel, child: ChildProcess, prg: Prg, killAfter: number) {
  const r = prg.bytes(64);
  for (let i = 0; ; i++) {
    const size = (r[i % 64] % 4 === 0 ? 1 << 20 : 100) + r[(i + 1) % 64] * 37;
    ch.send(new Uint8Array(size).fill(i));
    if (i === killAfter) {
      // Kill while our message is in flight (mid-transfer for the big ones) and we wait.
      setTimeout(() => child.kill('SIGKILL'), r[(i + 2) % 64] % 3);
    }
    const echo = await ch.recv();
    expect(echo.byteLength).toBe(size);
  }
}

describe('two processes', { timeout: 30_000 }, () => {
  it.each([1, 2, 3, 4])('child client killed at a random point (seed %i): server session fails as closed within 5 s', async (seed) => {
    const prg = Prg.fromInt(seed);
    const killAfter = prg.bytes(1)[0] % 12;
    let session!: Promise<unknown>;
    let got!: () => void;
    const started = new Promise<void>((r) => (got = r));
    const srv = await listen({ programHash: HASH, onSession: (ch) => { session = pingPong(ch, child, prg, killAfter); got(); } });
    const child = spawnPeer('connect', srv.url, 'echo');
    await started;
    const { err, ms } = await failure(session);
    expect(err.kind).toBe('closed');
    expect(ms).toBeLessThan(5000);
    await srv.close();
  });

  it.each([5, 6])('child server killed at a random point (seed %i): client fails as closed within 5 s', async (seed) => {
    const prg = Prg.fromInt(seed);
    const child = spawnPeer('serve', 'echo');
    const url = await firstLine(child);
    const ch = await connect(url, { programHash: HASH });
    const { err, ms } = await failure(pingPong(ch, child, prg, prg.bytes(1)[0] % 12));
    expect(err.kind).toBe('closed');
    expect(ms).toBeLessThan(5000);
  });

  it('child that blocks its event loop: the parent times out within 5 s', async () => {
    const child = spawnPeer('serve', 'block');
    const url = await firstLine(child);
    // Liveness at 3.5 s (the default is 30 s, docs/runtime.md): the mechanism is what is tested.
    const ch = await connect(url, { programHash: HASH, idleTimeoutMs: 3500 });
    const t0 = Date.now();
    const { err } = await failure(
      (async () => {
        for (;;) {
          ch.send(new Uint8Array(10));
          await ch.recv();
        }
      })(),
    );
    child.kill('SIGKILL');
    expect(err.kind).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('exit codes: a child running another program exits with 6, one whose server dies exits with 3', async () => {
    const exitCode = (child: ChildProcess) => new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const srv = await listen({ programHash: HASH, onSession: () => {}, onError: () => {} });
    const other = spawnPeer('connect', srv.url, 'echo', 'program B');
    expect(await exitCode(other)).toBe(EXIT.mismatch);
    let session!: () => void;
    const started = new Promise<void>((r) => (session = r));
    const srv2 = await listen({ programHash: HASH, onSession: (ch) => { ch.destroy(); session(); } });
    const orphan = spawnPeer('connect', srv2.url, 'echo');
    await started;
    expect(await exitCode(orphan)).toBe(EXIT.closed);
    await srv.close();
    await srv2.close();
  });
});
