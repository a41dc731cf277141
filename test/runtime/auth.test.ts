// Authentication and transport security (issue 14): a shared token checked before the upgrade
// (constant-time), wss with a throwaway self-signed certificate made at test time, and clean
// refusals: no token, wrong token, plain ws to a TLS server, an untrusted certificate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../src/transport/errors.ts';
import { connect } from '../../src/transport/ws-channel.ts';
import { listen, tokenMatches, type WsServer } from '../../src/transport/ws-server.ts';
import { makeTestCert, type TestCert } from '../support/tls.ts';
import { HASH, failure } from './helpers.ts';

const TOKEN = 'correct horse battery staple';

async function echoServer(opts: { tls?: TestCert; token?: string }, refused: string[] = []): Promise<WsServer> {
  return listen({
    programHash: HASH,
    ...(opts.tls ? { tls: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    onSession: async (ch) => ch.send(await ch.recv()),
    onError: () => {},
    onRefused: (r) => refused.push(r),
  });
}

describe('token and TLS', { timeout: 15_000 }, () => {
  let cert: TestCert;
  beforeAll(() => {
    cert = makeTestCert();
  });
  afterAll(() => cert.remove());

  it('tokenMatches: right token only, any length', () => {
    expect(tokenMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(tokenMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokenMatches('Bearer ', TOKEN)).toBe(false);
    expect(tokenMatches(undefined, TOKEN)).toBe(false);
    expect(tokenMatches(TOKEN, TOKEN)).toBe(false); // scheme required
  });

  it('a TLS session with the token works', async () => {
    const srv = await echoServer({ tls: cert, token: TOKEN });
    expect(srv.url).toMatch(/^wss:\/\//);
    const ch = await connect(srv.url, { programHash: HASH, ca: cert.cert, token: TOKEN });
    ch.send(new Uint8Array([1, 2, 3]));
    expect(Array.from(await ch.recv())).toEqual([1, 2, 3]);
    ch.close();
    await srv.close();
  });

  it('a wrong or missing token is refused before any session (exit 8), and the server says why', async () => {
    const refused: string[] = [];
    const srv = await echoServer({ tls: cert, token: TOKEN }, refused);
    for (const token of ['wrong', undefined]) {
      const { err, ms } = await failure(connect(srv.url, { programHash: HASH, ca: cert.cert, ...(token ? { token } : {}) }));
      expect(err.kind).toBe('refused');
      expect(err.message).toBe('the server refused the connection: authentication failed: missing or wrong token');
      expect(exitCodeFor(err)).toBe(EXIT.refused);
      expect(ms).toBeLessThan(2000);
    }
    expect(refused).toEqual(['refused a client without the right token', 'refused a client without the right token']);
    expect(srv.sessions.size).toBe(0);
    await srv.close();
  });

  it('plain ws to a TLS server fails cleanly with a hint; the server logs a TLS failure', async () => {
    const refused: string[] = [];
    const srv = await echoServer({ tls: cert, token: TOKEN }, refused);
    const { err } = await failure(connect(srv.url.replace('wss:', 'ws:'), { programHash: HASH, token: TOKEN }));
    expect(err.kind).toBe('closed');
    expect(err.message).toMatch(/requires TLS, connect with --tls or --ca/);
    while (refused.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(refused[0]).toMatch(/TLS handshake failed/);
    await srv.close();
  });

  it('a certificate the client does not trust is refused (exit 8)', async () => {
    const srv = await echoServer({ tls: cert });
    const { err } = await failure(connect(srv.url, { programHash: HASH }));
    expect(err.kind).toBe('refused');
    expect(err.message).toMatch(/TLS: the server's certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT/);
    await srv.close();
  });

  it('TLS to a plain server fails cleanly with a hint', async () => {
    const srv = await echoServer({});
    const { err } = await failure(connect(srv.url.replace('ws:', 'wss:'), { programHash: HASH, ca: cert.cert }));
    expect(err.kind).toBe('closed');
    expect(err.message).toMatch(/does not speak TLS/);
    await srv.close();
  });
});
