// The server's finishing of result ciphertexts (docs/he.md, protocol step 3): from an accumulator,
// or from the raw results of a group merged first (packed results, pack.ts), to the bytes of a
// circuit-private level-2 ciphertext: switch, + flood, switch, + mask.
import type { Ciphertext, GaloisKeys, Plaintext } from 'node-seal';
import type { RingArray } from '../ring.ts';
import type { Prg } from '../prg.ts';
import { floodLevel1 } from './noise.ts';
import { ctBytes } from './seal.ts';
import { mergeTree, packedMask } from './pack.ts';
import type { ServerKeys } from './server-core.ts';

/** A serialized level-2 result before compression (compress.ts makes the frame that is sent). */
export const RESULT_CT_BYTES = ctBytes(1);

/**
 * Packed results: each raw result (NTT form, level 0; the product's one guard Enc_pk(0) added so
 * that none is SEAL's transparent zero: the guards merge to an encryption of 0) times `shift` =
 * (16/P)·Y^-(dw-1), inverse NTT, the merge tree (pack.ts), then one fresh Enc_pk(0) from `zero`
 * (NTT form, transformed back) — the merged c1 is a function of the weights until re-randomised —
 * and the finishing of one ciphertext. With ctx.treeLevel 1 (HeParams.galoisLevel) each raw result
 * and the Enc_pk(0) are switched to level 1 first and the tree runs there, on keys over p0, p1 and
 * the special prime (galois.ts); the flood still comes after the tree and the Enc_pk(0), so it
 * drowns the key switches' noise too (noise.ts bounds it). Consumes `raws` (deletes them, also on
 * error).
 */
export function finishPacked(sess: ServerKeys & { galois: GaloisKeys }, raws: (Ciphertext | null)[], shift: Plaintext, pt: Plaintext, prg: Prg, zero: () => Ciphertext): [Uint8Array, RingArray] {
  const ctx = sess.ctx, ev = ctx.evaluator;
  let merged: Ciphertext | null = null;
  const level1 = ctx.treeLevel === 1;
  try {
    for (const a of raws) {
      if (!a) continue;
      ev.multiplyPlainInplace(a, shift);
      ev.cipherTransformFromNttInplace(a);
      if (level1) ev.cipherModSwitchToNextInplace(a);
    }
    const group = raws.slice();
    raws.fill(null); // the merge consumes them (also on error)
    merged = mergeTree({ seal: ctx.seal, context: ctx.context, evaluator: ev, topParms: ctx.topParms, N: ctx.N, plainBits: ctx.plainBits, galois: sess.galois }, group);
    const z = zero();
    try {
      ev.cipherTransformFromNttInplace(z);
      if (level1) ev.cipherModSwitchToNextInplace(z);
      ev.addInplace(merged, z);
    } finally {
      z.delete();
    }
    return finish(sess, merged, pt, prg, true, level1);
  } finally {
    for (const c of raws) c?.delete();
    merged?.delete();
  }
}

/**
 * Turn an accumulator (NTT form, level 0, started as Enc_pk(0)) or a merged ciphertext
 * (`packed`: coefficient form, re-randomised, pack.ts) into the bytes of a circuit-private result
 * ciphertext: switch, + flood, switch, + mask (r, or 16·r when packed). `atLevel1`: a merged
 * ciphertext already at level 1 (merged there), the first switch skipped. Returns the bytes and r
 * (all N coefficients) so the server can keep -r as its share.
 */
export function finish(sess: ServerKeys, res: Ciphertext, pt: Plaintext, prg: Prg, packed: boolean, atLevel1 = false): [Uint8Array, RingArray] {
  const ctx = sess.ctx;
  const s = ctx.seal;
  const ev = ctx.evaluator;
  if (!packed) ev.cipherTransformFromNttInplace(res);
  if (!atLevel1) ev.cipherModSwitchToNextInplace(res);
  const bytes = res.saveToArray(s.ComprModeType.none) as Uint8Array;
  floodLevel1(ctx, bytes, prg);
  res.loadFromArray(ctx.context, bytes);
  ev.cipherModSwitchToNextInplace(res);
  let r: RingArray;
  if (packed) r = packedMask(ctx, ctx.ring, prg, pt);
  else {
    r = ctx.ring.random(ctx.N, prg);
    ctx.encodeInto(pt, (lo, wide) => {
      if (wide) wide.set(r as BigUint64Array);
      else for (let i = 0; i < r.length; i++) lo[2 * i] = (r as Uint32Array)[i];
    });
  }
  ev.addPlainInplace(res, pt);
  const outBytes = res.saveToArray(s.ComprModeType.none) as Uint8Array;
  if (outBytes.byteLength !== RESULT_CT_BYTES) throw new Error(`HE product: result ciphertext has ${outBytes.byteLength} bytes`);
  return [outBytes, r];
}
