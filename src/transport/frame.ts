// Wire frames of the ws transport (docs/runtime.md, "Frame format"). Every ws binary message is
// one frame: a 32-byte little-endian header followed by `length` payload bytes.
//
//   offset size field
//        0    4 magic     0x4e525043 ("CPRN" as bytes)       never changes between versions
//        4    2 version   PROTOCOL_VERSION                    never moves between versions
//        6    1 type      HELLO | DATA | ERROR
//        7    1 flags     bit 0 MORE: the message continues in the next frame
//        8    4 session   session id (chosen by the client, echoed by the server)
//       12    4 seq       frame number in this direction, 0 for HELLO, +1 per frame
//       16    4 round     round stamp of the message (see channel.ts); 0 for HELLO/ERROR
//       20    4 length    payload bytes in this frame
//       24    8 total     payload bytes of the whole message (every chunk repeats it), so the
//                         receiver refuses an oversized message at its first frame header
import { createHash } from 'node:crypto';
import { ChannelError, type ChannelErrorKind } from './channel.ts';
import { KIND_CODES } from './errors.ts';

export const MAGIC = 0x4e525043;
export const PROTOCOL_VERSION = 2;
export const HEADER_BYTES = 32;
export const HASH_BYTES = 32;

export const FrameType = { HELLO: 1, DATA: 2, ERROR: 3 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];
export const FLAG_MORE = 1;

export interface FrameHeader {
  version: number;
  type: number;
  flags: number;
  session: number;
  seq: number;
  round: number;
  length: number;
  /** Payload bytes of the whole message this frame belongs to. */
  total: number;
}

export function writeHeader(buf: Uint8Array, h: FrameHeader): void {
  const v = new DataView(buf.buffer, buf.byteOffset, HEADER_BYTES);
  v.setUint32(0, MAGIC, true);
  v.setUint16(4, h.version, true);
  v.setUint8(6, h.type);
  v.setUint8(7, h.flags);
  v.setUint32(8, h.session >>> 0, true);
  v.setUint32(12, h.seq >>> 0, true);
  v.setUint32(16, h.round >>> 0, true);
  v.setUint32(20, h.length >>> 0, true);
  v.setUint32(24, h.total % 2 ** 32, true);
  v.setUint32(28, Math.floor(h.total / 2 ** 32), true);
}

/** A frame (header + payload) in one fresh buffer; `total` defaults to a one-frame message. */
export function encodeFrame(h: Omit<FrameHeader, 'length' | 'total'> & { total?: number }, payload: Uint8Array, offset = 0, length = payload.byteLength - offset): Uint8Array {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + length);
  writeHeader(buf, { ...h, length, total: h.total ?? length });
  buf.set(payload.subarray(offset, offset + length), HEADER_BYTES);
  return buf;
}

/**
 * Parse and check the fixed part of a header. Throws ChannelError('malformed' | 'version' |
 * 'oversized'). Session, sequence and round are checked by the channel, which knows the state.
 */
export function parseHeader(data: Uint8Array, maxFrameBytes: number, version = PROTOCOL_VERSION): FrameHeader {
  if (data.byteLength < HEADER_BYTES) throw new ChannelError('malformed', `malformed frame: ${data.byteLength} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const v = new DataView(data.buffer, data.byteOffset, HEADER_BYTES);
  const magic = v.getUint32(0, true);
  if (magic !== MAGIC) throw new ChannelError('malformed', `malformed frame: bad magic 0x${magic.toString(16).padStart(8, '0')} (expected 0x${MAGIC.toString(16)}; is the peer a cipherprune party?)`);
  const h: FrameHeader = {
    version: v.getUint16(4, true),
    type: v.getUint8(6),
    flags: v.getUint8(7),
    session: v.getUint32(8, true),
    seq: v.getUint32(12, true),
    round: v.getUint32(16, true),
    length: v.getUint32(20, true),
    total: v.getUint32(24, true) + v.getUint32(28, true) * 2 ** 32,
  };
  if (h.version !== version) throw new ChannelError('version', `protocol version mismatch: peer speaks version ${h.version}, this party speaks version ${version}`);
  if (h.type < FrameType.HELLO || h.type > FrameType.ERROR) throw new ChannelError('malformed', `malformed frame: unknown frame type ${h.type}`);
  if ((h.flags & ~FLAG_MORE) !== 0) throw new ChannelError('malformed', `malformed frame: unknown flags 0x${h.flags.toString(16)}`);
  if (h.length > maxFrameBytes) throw new ChannelError('oversized', `oversized frame: ${h.length} payload bytes, limit ${maxFrameBytes}`);
  if (h.length !== data.byteLength - HEADER_BYTES) throw new ChannelError('malformed', `malformed frame: header says ${h.length} payload bytes, frame carries ${data.byteLength - HEADER_BYTES}`);
  if (h.total < h.length || (h.flags & FLAG_MORE && h.total === h.length)) throw new ChannelError('malformed', `malformed frame: message size ${h.total} does not fit a frame of ${h.length} bytes`);
  return h;
}

// ---- HELLO payload: role u8, 3 reserved bytes, maxFrameBytes u32, 32-byte program hash ----

export interface Hello {
  role: 'client' | 'server';
  maxFrameBytes: number;
  programHash: Uint8Array;
}

export const HELLO_BYTES = 8 + HASH_BYTES;

export function encodeHello(h: Hello): Uint8Array {
  const buf = new Uint8Array(HELLO_BYTES);
  const v = new DataView(buf.buffer);
  v.setUint8(0, h.role === 'client' ? 0 : 1);
  v.setUint32(4, h.maxFrameBytes >>> 0, true);
  buf.set(h.programHash, 8);
  return buf;
}

export function decodeHello(p: Uint8Array): Hello {
  if (p.byteLength !== HELLO_BYTES) throw new ChannelError('malformed', `malformed hello: ${p.byteLength} bytes, expected ${HELLO_BYTES}`);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const role = v.getUint8(0);
  if (role > 1) throw new ChannelError('malformed', `malformed hello: unknown role ${role}`);
  const maxFrameBytes = v.getUint32(4, true);
  if (maxFrameBytes < 1024) throw new ChannelError('malformed', `malformed hello: peer frame limit ${maxFrameBytes} is below 1024 bytes`);
  return { role: role === 0 ? 'client' : 'server', maxFrameBytes, programHash: p.slice(8) };
}

// ---- ERROR payload: kind u8, UTF-8 message ----

export function encodeError(kind: ChannelErrorKind, message: string): Uint8Array {
  const text = Buffer.from(message.slice(0, 2000), 'utf8');
  const buf = new Uint8Array(1 + text.byteLength);
  buf[0] = Math.max(0, KIND_CODES.indexOf(kind));
  buf.set(text, 1);
  return buf;
}

export function decodeError(p: Uint8Array): { kind: ChannelErrorKind; message: string } {
  const kind = KIND_CODES[p[0] ?? 0] ?? 'closed';
  return { kind, message: Buffer.from(p.buffer, p.byteOffset + 1, Math.max(0, p.byteLength - 1)).toString('utf8') };
}

/** SHA-256 of a compiled program (its canonical text or bytes): the value checked at connect. */
export function hashProgram(program: string | Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(program).digest());
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
