// One-time HE session setup. The client owns the secret key; the server receives the public key,
// which it needs for re-randomising each result ciphertext with a fresh public-key encryption of
// zero (circuit privacy, docs/he.md), and in a packed context the Galois keys of the merge tree
// (galois.ts). Coefficient packing needs no relinearisation keys, and seeded symmetric uploads
// need nothing on the server. Both go in one client->server message, every seeded key-level object
// in it with c0's residues in their primes' bits (galois.ts packKey: 214 of 256 bits per
// coefficient at ell = 32, 218 at ell = 37); the server rebuilds SEAL's bytes, every residue checked.
import type { Channel } from '../../transport/channel.ts';
import type { Encryptor, Decryptor, SecretKey, PublicKey, GaloisKeys } from 'node-seal';
import { DEFAULT_HE_PARAMS, HeContext, keyPackOf, treeLevelOf, sealError, sealLive, seededBytes, type HeParams } from './seal.ts';
import { KEY_PRIMES, galoisWireBytes, keyWireBytes, loadGaloisFrame, makeGaloisFrame, packKey, packKeyFrame, unpackKey, unpackKeyFrame } from './galois.ts';

/** Client side of an HE session: secret key, symmetric encryptor, decryptor. */
export class HeClientSession {
  readonly ctx: HeContext;
  readonly encryptor: Encryptor;
  readonly decryptor: Decryptor;
  private readonly sk: SecretKey;
  private readonly pk: PublicKey;
  private deleted = false;

  constructor(ctx: HeContext, sk: SecretKey, pk: PublicKey) {
    this.ctx = ctx;
    this.sk = sk;
    this.pk = pk;
    this.encryptor = new ctx.seal.Encryptor(ctx.context, pk, sk);
    this.decryptor = new ctx.seal.Decryptor(ctx.context, sk);
    sealLive.sessions++;
  }

  /**
   * The keys as bytes, for this party's own worker threads (src/crypto/he/pool.ts): the secret
   * key never leaves the process.
   */
  exportKeys(): { sk: Uint8Array; pk: Uint8Array } {
    const none = this.ctx.seal.ComprModeType.none;
    return { sk: this.sk.saveToArray(none) as Uint8Array, pk: this.pk.saveToArray(none) as Uint8Array };
  }

  delete(): void {
    if (this.deleted) return;
    this.deleted = true;
    sealLive.sessions--;
    this.encryptor.delete();
    this.decryptor.delete();
    this.pk.delete();
    this.sk.delete();
  }
}

/**
 * Server side of an HE session: the client's public key (for re-randomisation) and, in a packed
 * context, its Galois keys for galoisElements(ctx.keyPack) (the merge tree, `applyGalois` at level 0).
 */
export class HeServerSession {
  readonly ctx: HeContext;
  readonly encryptor: Encryptor;
  /** Galois keys of the merge tree (packed contexts), else null. Owned by the session. */
  readonly galois: GaloisKeys | null;
  private readonly pk: PublicKey;
  private readonly galoisFrame: Uint8Array | null;
  private deleted = false;

  constructor(ctx: HeContext, pk: PublicKey, galois: { keys: GaloisKeys; frame: Uint8Array } | null = null) {
    this.ctx = ctx;
    this.pk = pk;
    this.galois = galois?.keys ?? null;
    this.galoisFrame = galois?.frame ?? null;
    this.encryptor = new ctx.seal.Encryptor(ctx.context, pk);
    sealLive.sessions++;
  }

  /** The client's public key as bytes, for this party's worker threads. */
  exportPublicKey(): Uint8Array {
    return this.pk.saveToArray(this.ctx.seal.ComprModeType.none) as Uint8Array;
  }

  /** The Galois key frame as received (galois.ts), for this party's worker threads; null if unpacked. */
  exportGaloisKeys(): Uint8Array | null {
    return this.galoisFrame;
  }

  delete(): void {
    if (this.deleted) return;
    this.deleted = true;
    sealLive.sessions--;
    this.encryptor.delete();
    this.pk.delete();
    this.galois?.delete();
  }
}

/** Bytes of the seeded public key as SEAL serializes it (key level: data primes and the special prime, u64 residues). */
export const PUBLIC_KEY_BYTES = seededBytes(KEY_PRIMES);

/**
 * Exact cost of `heSetup*`: one client->server message, the seeded public key followed, in a
 * packed context, by the Galois key frame (galois.ts), each residue in its prime's bits.
 */
export function heSetupCost(params: Partial<HeParams> = {}): { bytesUp: number; bytesDown: number; messagesUp: number; messagesDown: number; rounds: number } {
  const p = { ...DEFAULT_HE_PARAMS, ...params };
  // Only the tree levels the products may use (HeParams.galoisDepth; the program's key plan).
  const galois = p.packed ? galoisWireBytes(keyPackOf(p), p.ell, treeLevelOf(p)) : 0;
  return { bytesUp: keyWireBytes(p.ell) + galois, bytesDown: 0, messagesUp: 1, messagesDown: 0, rounds: 1 };
}

/** Client: generate keys, send the (seeded) public key and, in a packed context, the Galois keys. */
export async function heSetupClient(ch: Channel, ctx: HeContext): Promise<HeClientSession> {
  const s = ctx.seal;
  const kg = new s.KeyGenerator(ctx.context);
  let sk: SecretKey | null = null;
  let pk: PublicKey | null = null;
  try {
    sk = kg.secretKey();
    pk = kg.createPublicKey();
    const ser = kg.createPublicKeySerializable();
    let key: Uint8Array;
    try {
      key = ser.saveToArray(s.ComprModeType.none) as Uint8Array;
    } finally {
      ser.delete();
    }
    if (key.byteLength !== PUBLIC_KEY_BYTES) throw new Error(`internal: seeded public key of ${key.byteLength} bytes`);
    key = packKey(key, ctx.params.ell);
    if (ctx.pack > 1) {
      const frame = packKeyFrame(makeGaloisFrame(ctx, sk), ctx.params.ell, ctx.treeLevel);
      const msg = new Uint8Array(key.byteLength + frame.byteLength);
      msg.set(key);
      msg.set(frame, key.byteLength);
      key = msg;
    }
    ch.send(key);
  } catch (e) {
    sk?.delete();
    pk?.delete();
    throw sealError(e, 'HE setup (client)');
  } finally {
    kg.delete();
  }
  return new HeClientSession(ctx, sk, pk);
}

/**
 * Server, first half of the setup: receive the client's key message (its size checked against
 * heSetupCost(params)). No SEAL object exists yet, so a client that connects and sends nothing
 * costs the server no HE context (about 6 MiB and a second of CPU; docs/serving.md).
 */
export async function heRecvPublicKey(ch: Channel, params: Partial<HeParams> = {}): Promise<Uint8Array> {
  const bytes = await ch.recv();
  const expected = heSetupCost(params).bytesUp;
  if (bytes.byteLength !== expected) {
    throw new Error(`HE setup: key message has ${bytes.byteLength} bytes, expected ${expected}`);
  }
  return bytes;
}

/**
 * Server, second half: load the received keys on `ctx`. `galois` undefined: `key` is the whole
 * setup message as sent (public key, then the Galois key frame in a packed context, residues in
 * their primes' bits), unpacked here with every length and residue checked; given (a worker
 * thread): `key` is the public key alone and `galois` the frame as SEAL bytes
 * (HeServerSession.exportPublicKey / exportGaloisKeys).
 */
export function heServerSession(ctx: HeContext, key: Uint8Array, galois?: Uint8Array | null): HeServerSession {
  let pkBytes = key;
  let frame = galois ?? null;
  if (galois === undefined) {
    const expected = heSetupCost(ctx.params).bytesUp, ell = ctx.params.ell, len = keyWireBytes(ell);
    if (key.byteLength !== expected) throw new Error(`HE setup: key message has ${key.byteLength} bytes, expected ${expected}`);
    pkBytes = unpackKey(key.subarray(0, len), ell, 'HE setup: public key');
    frame = ctx.pack > 1 ? unpackKeyFrame(ctx, key.subarray(len)) : null;
  }
  if ((ctx.pack > 1) !== (frame !== null)) {
    throw new Error(ctx.pack > 1 ? 'HE setup (server): a packed context needs Galois keys' : 'HE setup (server): Galois keys for an unpacked context');
  }
  const pk = new ctx.seal.PublicKey();
  try {
    pk.loadFromArray(ctx.context, pkBytes);
  } catch (e) {
    pk.delete();
    throw sealError(e, 'HE setup (server): malformed public key');
  }
  let gk: GaloisKeys | null = null;
  try {
    gk = frame === null ? null : loadGaloisFrame(ctx, frame);
  } catch (e) {
    pk.delete();
    throw e;
  }
  try {
    return new HeServerSession(ctx, pk, gk && frame ? { keys: gk, frame: frame.slice() } : null);
  } catch (e) {
    pk.delete();
    gk?.delete();
    throw sealError(e, 'HE setup (server)');
  }
}

/** Server: receive the client's keys. */
export async function heSetupServer(ch: Channel, ctx: HeContext): Promise<HeServerSession> {
  return heServerSession(ctx, await heRecvPublicKey(ch, ctx.params));
}

/** A client session from exported keys (a worker thread of the client, src/crypto/he/pool.ts). */
export function heClientSessionFromKeys(ctx: HeContext, keys: { sk: Uint8Array; pk: Uint8Array }): HeClientSession {
  const sk = new ctx.seal.SecretKey();
  const pk = new ctx.seal.PublicKey();
  try {
    sk.loadFromArray(ctx.context, keys.sk);
    pk.loadFromArray(ctx.context, keys.pk);
    return new HeClientSession(ctx, sk, pk);
  } catch (e) {
    sk.delete();
    pk.delete();
    throw sealError(e, 'HE worker: load the client keys');
  }
}
