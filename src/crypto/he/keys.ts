// One-time HE session setup. The client owns the secret key; the server receives only the public
// key, which it needs for one thing: re-randomising each result ciphertext with a fresh public-key
// encryption of zero (circuit privacy, docs/he.md). Coefficient packing needs no Galois or
// relinearisation keys, and seeded symmetric uploads need nothing on the server.
import type { Channel } from '../../transport/channel.ts';
import type { Encryptor, Decryptor, SecretKey, PublicKey, GaloisKeys } from 'node-seal';
import { HeContext, sealError, sealLive, seededBytes, DATA_PRIMES, chainFor, DEFAULT_HE_PARAMS } from './seal.ts';

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
 * Server side of an HE session: the client's public key (for re-randomisation only) and, when
 * results are packed (pack.ts), the client's Galois keys for the merge tree.
 */
export class HeServerSession {
  readonly ctx: HeContext;
  readonly encryptor: Encryptor;
  readonly galois: GaloisKeys | null;
  private readonly pk: PublicKey;
  private deleted = false;

  constructor(ctx: HeContext, pk: PublicKey, galois: GaloisKeys | null = null) {
    this.ctx = ctx;
    this.pk = pk;
    this.galois = galois;
    this.encryptor = new ctx.seal.Encryptor(ctx.context, pk);
    sealLive.sessions++;
  }

  /** The client's public key as bytes, for this party's worker threads. */
  exportPublicKey(): Uint8Array {
    return this.pk.saveToArray(this.ctx.seal.ComprModeType.none) as Uint8Array;
  }

  /** The client's Galois keys as bytes (null without packing), for this party's worker threads. */
  exportGaloisKeys(): Uint8Array | null {
    return this.galois ? (this.galois.saveToArray(this.ctx.seal.ComprModeType.none) as Uint8Array) : null;
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

/** Key-level primes: the data primes plus the special prime. */
const KEY_PRIMES = DATA_PRIMES + 1;

/**
 * Seeded size of SEAL's default Galois key set at N = 8192 with 3 data primes (25 elements, each
 * 3 seeded key-level public keys), measured: the keys of packed results (pack.ts) until the setup
 * sends only the tree's few (s8-keys).
 */
export const GALOIS_KEYS_BYTES = 18_953_928;

/** Exact cost of `heSetup*` at ring width `ell`: the seeded public key, and with packing the Galois keys (one message). */
export function heSetupCost(ell = DEFAULT_HE_PARAMS.ell): { bytesUp: number; bytesDown: number; messagesUp: number; messagesDown: number; rounds: number } {
  const galois = chainFor(ell).packBits > 0 ? GALOIS_KEYS_BYTES : 0;
  return { bytesUp: seededBytes(KEY_PRIMES) + galois, bytesDown: 0, messagesUp: 1, messagesDown: 0, rounds: 1 };
}

/** Client: generate keys, send the (seeded) public key. */
export async function heSetupClient(ch: Channel, ctx: HeContext): Promise<HeClientSession> {
  const s = ctx.seal;
  const kg = new s.KeyGenerator(ctx.context);
  let sk: SecretKey | null = null;
  let pk: PublicKey | null = null;
  try {
    sk = kg.secretKey();
    pk = kg.createPublicKey();
    const ser = kg.createPublicKeySerializable();
    const gal = ctx.chain.packBits > 0 ? kg.createGaloisKeysSerializable() : null;
    try {
      const pkBytes = ser.saveToArray(s.ComprModeType.none) as Uint8Array;
      if (!gal) ch.send(pkBytes);
      else {
        const g = gal.saveToArray(s.ComprModeType.none) as Uint8Array;
        const msg = new Uint8Array(pkBytes.byteLength + g.byteLength);
        msg.set(pkBytes);
        msg.set(g, pkBytes.byteLength);
        ch.send(msg);
      }
    } finally {
      ser.delete();
      gal?.delete();
    }
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
 * Server, first half of the setup: receive the client's public key message (its size checked).
 * No SEAL object exists yet, so a client that connects and sends nothing costs the server no HE
 * context (about 6 MiB and a second of CPU; docs/serving.md).
 */
export async function heRecvPublicKey(ch: Channel, ell = DEFAULT_HE_PARAMS.ell): Promise<Uint8Array> {
  const bytes = await ch.recv();
  const expected = heSetupCost(ell).bytesUp;
  if (bytes.byteLength !== expected) {
    throw new Error(`HE setup: public key message has ${bytes.byteLength} bytes, expected ${expected}`);
  }
  return bytes;
}

/**
 * Server, second half: load the received public key (and, with packing, the Galois keys after it)
 * on `ctx`. `galois` gives the Galois keys separately (a worker thread: exportGaloisKeys).
 */
export function heServerSession(ctx: HeContext, bytes: Uint8Array, galoisBytes?: Uint8Array | null): HeServerSession {
  const pk = new ctx.seal.PublicKey();
  const pkLen = seededBytes(KEY_PRIMES);
  const packs = ctx.chain.packBits > 0;
  let gk: GaloisKeys | null = null;
  try {
    // The setup message is the seeded key then the Galois keys; a worker gets them apart.
    pk.loadFromArray(ctx.context, packs && !galoisBytes ? bytes.subarray(0, pkLen) : bytes);
    if (packs) {
      gk = new ctx.seal.GaloisKeys();
      gk.loadFromArray(ctx.context, galoisBytes ?? bytes.subarray(pkLen));
    }
  } catch (e) {
    pk.delete();
    gk?.delete();
    throw sealError(e, 'HE setup (server): malformed public or Galois keys');
  }
  return new HeServerSession(ctx, pk, gk);
}

/** Server: receive the client's public key (and Galois keys). */
export async function heSetupServer(ch: Channel, ctx: HeContext): Promise<HeServerSession> {
  return heServerSession(ctx, await heRecvPublicKey(ch, ctx.params.ell));
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
