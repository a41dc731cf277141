// The session flags map onto the ws channel's options: waiting (--idle-timeout), liveness
// (--liveness-timeout, any frame, ping or pong) and session deadlines, each with its default.
import { describe, expect, it } from 'vitest';
import { sessionLimits } from '../../src/cli/session-options.ts';
import { WS_DEFAULTS } from '../../src/transport/ws-options.ts';
import { compile } from '../exec/helpers.ts';

const p = compile('test/exec/programs/he.cpl');

describe('session options', () => {
  it('maps each deadline flag to its own option', () => {
    const o = sessionLimits({ 'idle-timeout': '7', 'liveness-timeout': '2.5', 'session-timeout': '0', 'handshake-timeout': '3' }, p, 'server');
    expect(o).toMatchObject({ waitTimeoutMs: 7000, idleTimeoutMs: 2500, sessionTimeoutMs: 0, handshakeTimeoutMs: 3000 });
  });

  it('leaves the defaults alone, and the liveness default outlasts a long computation', () => {
    const o = sessionLimits({}, p, 'client');
    expect(o.idleTimeoutMs).toBeUndefined();
    expect(o.waitTimeoutMs).toBeUndefined();
    expect(WS_DEFAULTS.idleTimeoutMs).toBeGreaterThanOrEqual(30_000);
  });

  it('refuses a liveness timeout of 0 or a non-number with the flag named', () => {
    expect(() => sessionLimits({ 'liveness-timeout': '0' }, p, 'client')).toThrow(/--liveness-timeout expects a number of seconds above 0, got '0'/);
    expect(() => sessionLimits({ 'liveness-timeout': 'soon' }, p, 'client')).toThrow(/--liveness-timeout/);
  });
});
