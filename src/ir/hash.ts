// The identity of a compiled program, which the two parties compare when they connect
// (docs/runtime.md, "Handshake"): SHA-256 of its canonical text — model name, config sizes,
// every op with its arguments, attributes and types, and the outputs — without file paths or
// source positions, so the same program compiled in another directory, or copied to another
// path, has the same hash, and any change to what runs (an op, a size, the config) changes it.
import { createHash } from 'node:crypto';
import { formatIr, type IrProgram } from './ir.ts';

/** Bumped when the canonical text changes meaning, so old and new builds never agree by accident. */
const CANONICAL_VERSION = 'cipherprune-program/1';

/** The canonical text of a compiled program (what `programHash` hashes). */
export const canonicalProgram = (p: IrProgram): string => `${CANONICAL_VERSION}\n${formatIr(p, { where: false })}`;

/** SHA-256 of the canonical compiled program: 32 bytes. */
export function programHash(p: IrProgram): Uint8Array {
  return new Uint8Array(createHash('sha256').update(canonicalProgram(p), 'utf8').digest());
}
