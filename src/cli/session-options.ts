// serve / connect options for limits, deadlines, the shared token and TLS (docs/serving.md).
import { readFileSync } from 'node:fs';
import type { IrProgram } from '../ir/ir.ts';
import type { Party } from '../transport/channel.ts';
import { recvBound } from '../opt/message-bound.ts';
import { WS_DEFAULTS, type WsOptions } from '../transport/ws-channel.ts';
import { DEFAULT_MAX_SESSIONS } from '../transport/ws-server.ts';
import { UsageError } from './args.ts';

export const limitOptions = {
  'token-file': { type: 'string' },
  'handshake-timeout': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'liveness-timeout': { type: 'string' },
  'session-timeout': { type: 'string' },
  'max-message-bytes': { type: 'string' },
} as const;

export const serveOptions = { ...limitOptions, 'max-sessions': { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' } } as const;
export const connectOptions = { ...limitOptions, tls: { type: 'boolean' }, ca: { type: 'string' } } as const;

const s = (ms: number) => ms / 1000;
export const limitHelp = `  --token-file FILE    shared secret (first line of FILE); the server refuses clients
                       without it (exit 8); send it over TLS off loopback
  --handshake-timeout S   connect, TLS, upgrade and hello within S seconds (default ${s(WS_DEFAULTS.handshakeTimeoutMs)})
  --idle-timeout S     fail when waiting S seconds for the peer's next message; keepalive
                       pings do not count (default ${s(WS_DEFAULTS.waitTimeoutMs)}; 0 = no limit)
  --liveness-timeout S   fail when the peer shows no sign of life at all (no frame,
                       ping or pong) for S seconds: it died, hung or blocked its event
                       loop (default ${s(WS_DEFAULTS.idleTimeoutMs)})
  --session-timeout S  fail when a session lasts longer than S seconds (default ${s(WS_DEFAULTS.sessionTimeoutMs)}; 0 = no limit)
  --max-message-bytes N   refuse a message announced larger than N bytes (suffix K, M, G)
                       as soon as its first frame arrives (default: the largest message
                       the cost model allows for this program, else ${WS_DEFAULTS.maxMessageBytes / 2 ** 30} GiB)`;

export const serveLimitHelp = `  --max-sessions N     sessions at once; more clients are refused (exit 8) (default ${DEFAULT_MAX_SESSIONS})
  --tls-cert FILE      serve wss:// with this certificate (PEM; with --tls-key)
  --tls-key FILE       the certificate's private key (PEM)
${limitHelp}`;

export const connectLimitHelp = `  --tls                connect with TLS (wss://), trusting the system's CAs
  --ca FILE            connect with TLS, trusting the CA certificate(s) in FILE (PEM)
${limitHelp}`;

type LimitValues = { [K in keyof typeof limitOptions]?: string };

function seconds(v: string | undefined, flag: string, zeroOk: boolean): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(zeroOk ? x >= 0 : x > 0)) throw new UsageError(`${flag} expects a number of seconds${zeroOk ? ' (0 = no limit)' : ' above 0'}, got '${v}'`);
  return Math.round(x * 1000);
}

function bytes(v: string, flag: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(v);
  if (!m) throw new UsageError(`${flag} expects a number of bytes, optionally with K, M or G, got '${v}'`);
  return Number(m[1]) * 2 ** (10 * ' KMG'.indexOf((m[2] || ' ').toUpperCase()));
}

function readSecret(file: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag} ${file}: ${(e as Error).message}`);
  }
  const token = text.split(/\r?\n/)[0].trim();
  if (!token) throw new UsageError(`${flag} ${file}: the first line is empty`);
  return token;
}

function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag} ${file}: ${(e as Error).message}`);
  }
}

export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** Deadlines, message bound and token for either party. */
export function sessionLimits(values: LimitValues, p: IrProgram, party: Party): Omit<WsOptions, 'programHash'> & { token?: string } {
  const out: Omit<WsOptions, 'programHash'> & { token?: string } = {};
  const hs = seconds(values['handshake-timeout'], '--handshake-timeout', false);
  const idle = seconds(values['idle-timeout'], '--idle-timeout', true);
  const session = seconds(values['session-timeout'], '--session-timeout', true);
  const live = seconds(values['liveness-timeout'], '--liveness-timeout', false);
  if (hs !== undefined) out.handshakeTimeoutMs = hs;
  if (idle !== undefined) out.waitTimeoutMs = idle;
  if (session !== undefined) out.sessionTimeoutMs = session;
  if (live !== undefined) out.idleTimeoutMs = live;
  const max = values['max-message-bytes'];
  out.maxMessageBytes = max !== undefined ? bytes(max, '--max-message-bytes') : (recvBound(p, party) ?? WS_DEFAULTS.maxMessageBytes);
  if (values['token-file'] !== undefined) out.token = readSecret(values['token-file'], '--token-file');
  return out;
}

/** Server only: session limit and TLS material. */
export function serverSecurity(values: { 'max-sessions'?: string; 'tls-cert'?: string; 'tls-key'?: string }): { maxSessions?: number; tls?: { cert: string; key: string } } {
  const out: { maxSessions?: number; tls?: { cert: string; key: string } } = {};
  const ms = values['max-sessions'];
  if (ms !== undefined) {
    if (!/^\d+$/.test(ms) || Number(ms) < 1) throw new UsageError(`--max-sessions expects a positive integer, got '${ms}'`);
    out.maxSessions = Number(ms);
  }
  const cert = values['tls-cert'], key = values['tls-key'];
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (cert !== undefined && key !== undefined) out.tls = { cert: readPem(cert, '--tls-cert'), key: readPem(key, '--tls-key') };
  return out;
}

/** Client only: whether to use TLS, and which CA to trust. */
export function clientSecurity(values: { tls?: boolean; ca?: string }): { tls: boolean; ca?: string } {
  if (values.ca !== undefined) return { tls: true, ca: readPem(values.ca, '--ca') };
  return { tls: !!values.tls };
}
