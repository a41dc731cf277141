import { describe, expect, it } from 'vitest';
import { ChannelError } from '../../src/transport/channel.ts';
import { EXIT, UsageError, exitCodeFor } from '../../src/transport/errors.ts';

describe('exit codes', () => {
  it('map every failure kind to its documented code', () => {
    expect(exitCodeFor(undefined)).toBe(0);
    expect(exitCodeFor(new Error('bug in program'))).toBe(EXIT.program);
    expect(exitCodeFor(new UsageError('bad flag'))).toBe(2);
    expect(exitCodeFor(new ChannelError('closed', ''))).toBe(3);
    expect(exitCodeFor(new ChannelError('timeout', ''))).toBe(4);
    for (const k of ['malformed', 'oversized', 'version'] as const) expect(exitCodeFor(new ChannelError(k, ''))).toBe(5);
    expect(exitCodeFor(new ChannelError('mismatch', ''))).toBe(6);
    expect(exitCodeFor(new ChannelError('aborted', ''))).toBe(EXIT.aborted);
    expect(exitCodeFor(new ChannelError('refused', ''))).toBe(EXIT.refused);
    // however deep the cause chain (executor error <- HE error <- channel error)
    const deep = new Error('op failed', { cause: new Error('HE setup', { cause: new ChannelError('aborted', '') }) });
    expect(exitCodeFor(deep)).toBe(7);
  });
});
