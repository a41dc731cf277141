// How the ws transport names a failure of the socket or the peer's close code: the ChannelError
// both sides report, and how this side closes (docs/runtime.md, "Failures and exit codes").
import { ChannelError, type Party } from './channel.ts';
import { KIND_CODES } from './errors.ts';

export const CLOSE_NORMAL = 1000;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_KIND_BASE = 4000;

/** Close code meaning "tell the peer nothing more, the socket is gone". */
export const SOCKET_GONE = -1;

const TLS_TRUST = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|UNABLE_TO_GET_ISSUER/;

/** A socket-level error: ws protocol violations, TLS trust failures, connection failures. */
export function socketFailure(err: Error & { code?: string }, peer: Party): { err: ChannelError; closeCode?: number } {
  const code = err.code ?? '';
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return { err: new ChannelError('oversized', `oversized frame from the peer: ${err.message}`), closeCode: CLOSE_TOO_BIG };
  if (code.startsWith('WS_ERR_')) return { err: new ChannelError('malformed', `malformed WebSocket traffic from the peer: ${err.message}`) };
  if (TLS_TRUST.test(code))
    return { err: new ChannelError('refused', `TLS: the ${peer}'s certificate is not trusted (${code}: ${err.message}); give its CA certificate with --ca`), closeCode: SOCKET_GONE };
  let hint = '';
  if (/WRONG_VERSION_NUMBER|EPROTO/.test(code) || /wrong version number|before secure TLS connection/.test(err.message)) hint = `; the ${peer} does not speak TLS (connect without --tls/--ca)`;
  else if (code === 'ECONNRESET' || /socket hang up/.test(err.message)) hint = `; if the ${peer} requires TLS, connect with --tls or --ca`;
  return { err: new ChannelError('closed', `connection to the peer failed: ${err.message}${code ? ` (${code})` : ''}${hint}`), closeCode: SOCKET_GONE };
}

/** The peer closed the socket with `code`. */
export function closeFailure(code: number, reason: string, peer: Party): ChannelError {
  if (code >= CLOSE_KIND_BASE && code < CLOSE_KIND_BASE + KIND_CODES.length) return new ChannelError(KIND_CODES[code - CLOSE_KIND_BASE], `peer (${peer}) reported: ${reason}`);
  if (code === CLOSE_TOO_BIG) return new ChannelError('oversized', `the peer rejected a frame as too large (close code 1009${reason ? `: ${reason}` : ''})`);
  if (code === CLOSE_NORMAL || code === 1001) return new ChannelError('closed', `the peer (${peer}) closed the connection`);
  if (code === 1006) return new ChannelError('closed', `connection to the peer (${peer}) lost without a close frame (peer crashed or was killed?)`);
  return new ChannelError('closed', `connection to the peer (${peer}) closed with code ${code}${reason ? `: ${reason}` : ''}`);
}
