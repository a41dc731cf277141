// Exit codes per failure kind (docs/runtime.md, "Exit codes"). The CLI maps any error to one of
// these with `exitCodeFor`; both parties of a failed session exit with the same code whenever
// the failure could be reported to the peer (ws sends the kind in an error frame / close code).
import { ChannelError, type ChannelErrorKind } from './channel.ts';

export const EXIT = {
  ok: 0,
  /** The program failed: compile error, type error, bad input data, runtime assertion. */
  program: 1,
  /** Bad command line (unknown flag, bad --network value, missing file). */
  usage: 2,
  /** The peer closed the connection or died (socket closed, process killed). */
  closed: 3,
  /** The peer went silent (no traffic, not even keepalive pongs) or connecting took too long. */
  timeout: 4,
  /** Wire protocol violation: malformed frame, oversized frame, protocol version mismatch. */
  protocol: 5,
  /** The parties run different programs (hash of the compiled program differs). */
  mismatch: 6,
  /** The peer's side of the session failed (its program or an internal error) and said so. */
  aborted: 7,
  /** The server refused the session: at its session limit, or authentication failed (token, TLS). */
  refused: 8,
  /** A bug in cipherprune itself (an internal invariant failed). */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_KIND: Record<ChannelErrorKind, ExitCode> = {
  closed: EXIT.closed,
  timeout: EXIT.timeout,
  malformed: EXIT.protocol,
  oversized: EXIT.protocol,
  version: EXIT.protocol,
  mismatch: EXIT.mismatch,
  aborted: EXIT.aborted,
  refused: EXIT.refused,
};

/** Thrown for command-line mistakes (exit code 2). `help: false` when pointing at --help would not help (port in use). */
export class UsageError extends Error {
  readonly help: boolean;
  constructor(message: string, help = true) {
    super(message);
    this.name = 'UsageError';
    this.help = help;
  }
}

/** Exit code for an error that ended a run. Unknown errors count as program errors (1). */
export function exitCodeFor(err: unknown): ExitCode {
  if (err === undefined || err === null) return EXIT.ok;
  // A wrapped transport failure (e.g. an executor error caused by the peer dying, through an HE
  // or OT error) keeps its code, however deep the chain of causes.
  for (let c = (err as { cause?: unknown }).cause; c; c = (c as { cause?: unknown }).cause) if (c instanceof ChannelError) return exitCodeFor(c);
  if (err instanceof ChannelError) return BY_KIND[err.kind] ?? EXIT.protocol;
  if (err instanceof UsageError) return EXIT.usage;
  return EXIT.program;
}

/** Channel error kinds as small integers (ws error frames and close codes 4000 + index). */
export const KIND_CODES: readonly ChannelErrorKind[] = ['closed', 'timeout', 'malformed', 'oversized', 'version', 'mismatch', 'aborted', 'refused'];
