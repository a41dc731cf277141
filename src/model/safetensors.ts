// The safetensors format (Hugging Face): an unsigned 64-bit little-endian header length N, N
// bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then
// the raw little-endian tensor bytes (offsets relative to the first byte after the header).
// Reading validates the header fully (offsets in range, sizes matching shape x dtype) so a
// truncated or damaged file is an error naming the file and the tensor, never a wrong number.
import { readFileSync, writeFileSync } from 'node:fs';

export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each supported dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range in the file (absolute). */
  begin: number;
  end: number;
}

export interface SafeTensors {
  file: string;
  metadata: Record<string, string>;
  tensors: Map<string, TensorInfo>;
  /** The tensor's values widened to float64 (row-major). */
  read(name: string): Float64Array;
}

/** Decode one IEEE half-precision value. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Round a number to the nearest half (ties to even), returning its bits. */
export function floatToHalf(x: number): number {
  const f32 = new Float32Array([x]);
  const u = new Uint32Array(f32.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const a = Math.abs(f32[0]);
  if (Number.isNaN(x)) return 0x7e00;
  if (a >= 65520) return sign | 0x7c00; // rounds to infinity
  if (a < 2 ** -14) {
    // subnormal: multiples of 2^-24, ties to even
    const m = a * 2 ** 24;
    let r = Math.round(m);
    if (r - m === 0.5 && r % 2 === 1) r -= 1;
    return sign | r;
  }
  const e = Math.floor(Math.log2(a));
  const eAdj = a >= 2 ** (e + 1) ? e + 1 : a < 2 ** e ? e - 1 : e;
  const m = (a / 2 ** eAdj - 1) * 1024;
  let r = Math.round(m);
  if (r - m === 0.5 && r % 2 === 1) r -= 1;
  if (r === 1024) return sign | ((eAdj + 16) << 10);
  return sign | ((eAdj + 15) << 10) | r;
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function parseHeader(file: string, buf: Buffer): { metadata: Record<string, string>; tensors: Map<string, TensorInfo> } {
  const bad = (why: string) => new CheckpointError(`${file}: not a valid safetensors file: ${why}`);
  if (buf.length < 8) throw bad(`the file has ${buf.length} bytes, fewer than the 8-byte header length (truncated?)`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw bad(`the header says ${n} bytes of JSON but the file has only ${buf.length - 8} after the length (truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    throw bad(`the header is not JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object');
  const base = 8 + n;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t?.dtype !== 'string' || !(t.dtype in DTYPE_BYTES)) {
      throw new CheckpointError(`${file}: tensor '${name}' has dtype ${JSON.stringify(t?.dtype)}, which is not supported (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`tensor '${name}' has an invalid shape ${JSON.stringify(t.shape)}`);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) throw bad(`tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    const dtype = t.dtype as DType;
    const shape = t.shape as number[];
    const want = prod(shape) * DTYPE_BYTES[dtype];
    if (off[1] - off[0] !== want) throw bad(`tensor '${name}' (${dtype} [${shape.join(', ')}]) needs ${want} bytes but its data_offsets span ${off[1] - off[0]}`);
    if (base + off[1] > buf.length) {
      throw new CheckpointError(`${file}: tensor '${name}' ends at byte ${base + off[1]} but the file has only ${buf.length} bytes (the file is truncated)`);
    }
    tensors.set(name, { name, dtype, shape, begin: base + off[0], end: base + off[1] });
  }
  return { metadata, tensors };
}

function widen(buf: Buffer, t: TensorInfo): Float64Array {
  const n = prod(t.shape);
  const out = new Float64Array(n);
  const at = t.begin;
  switch (t.dtype) {
    case 'F64': for (let i = 0; i < n; i++) out[i] = buf.readDoubleLE(at + 8 * i); break;
    case 'F32': for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(at + 4 * i); break;
    case 'F16': for (let i = 0; i < n; i++) out[i] = halfToFloat(buf.readUInt16LE(at + 2 * i)); break;
    case 'BF16': {
      const f = new Float32Array(1), u = new Uint32Array(f.buffer);
      for (let i = 0; i < n; i++) {
        u[0] = buf.readUInt16LE(at + 2 * i) << 16;
        out[i] = f[0];
      }
      break;
    }
    case 'I64': for (let i = 0; i < n; i++) out[i] = Number(buf.readBigInt64LE(at + 8 * i)); break;
    case 'I32': for (let i = 0; i < n; i++) out[i] = buf.readInt32LE(at + 4 * i); break;
    case 'I16': for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(at + 2 * i); break;
    case 'I8': for (let i = 0; i < n; i++) out[i] = buf.readInt8(at + i); break;
    case 'U8': case 'BOOL': for (let i = 0; i < n; i++) out[i] = buf[at + i]; break;
  }
  return out;
}

/** Parse a safetensors file held in memory. */
export function parseSafeTensors(buf: Buffer, file = '<buffer>'): SafeTensors {
  const { metadata, tensors } = parseHeader(file, buf);
  return {
    file,
    metadata,
    tensors,
    read(name) {
      const t = tensors.get(name);
      if (!t) throw new CheckpointError(`${file}: no tensor '${name}'`);
      return widen(buf, t);
    },
  };
}

export function readSafeTensors(file: string): SafeTensors {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new CheckpointError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseSafeTensors(buf, file);
}

export interface TensorToWrite {
  dtype: 'F32' | 'F16' | 'F64';
  shape: number[];
  data: ArrayLike<number>;
}

/** Serialise tensors (in the given order) with optional string metadata. */
export function encodeSafeTensors(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Buffer[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const n = prod(t.shape);
    if (t.data.length !== n) throw new Error(`tensor '${name}': ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    const b = Buffer.alloc(n * DTYPE_BYTES[t.dtype]);
    for (let i = 0; i < n; i++) {
      if (t.dtype === 'F64') b.writeDoubleLE(t.data[i], 8 * i);
      else if (t.dtype === 'F32') b.writeFloatLE(t.data[i], 4 * i);
      else b.writeUInt16LE(floatToHalf(t.data[i]), 2 * i);
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + b.length] };
    offset += b.length;
    parts.push(b);
  }
  const raw = Buffer.from(JSON.stringify(header), 'utf8');
  const json = Buffer.concat([raw, Buffer.from(' '.repeat((8 - (raw.length % 8)) % 8))]); // padded to 8 bytes, as the reference writer does
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([head, json, ...parts]);
}

export function writeSafeTensors(file: string, tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): void {
  writeFileSync(file, encodeSafeTensors(tensors, metadata));
}
