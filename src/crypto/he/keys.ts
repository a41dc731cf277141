// One-time HE session setup. The client owns the secret key; the server receives only the public
// key, which it needs for one thing: re-randomising each result ciphertext with a fresh public-key
// encryption of zero (circuit privacy, docs/he.md). Coefficient packing needs no Galois or
// relinearisation keys, and seeded symmetric uploads need nothing on the server.
import type { Channel } from '../../transport/channel.ts';
import type { Encryptor, Decryptor, SecretKey, PublicKey } from 'node-seal';
import { HeContext, sealError, sealLive, seededBytes, DATA_PRIMES } from './seal.ts';

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

/** Server side of an HE session: the client's public key (for re-randomisation only). */
export class HeServerSession {
  readonly ctx: HeContext;
  readonly encryptor: Encryptor;
  private readonly pk: PublicKey;
  private deleted = false;

  constructor(ctx: HeContext, pk: PublicKey) {
    this.ctx = ctx;
    this.pk = pk;
    this.encryptor = new ctx.seal.Encryptor(ctx.context, pk);
    sealLive.sessions++;
  }

  /** The client's public key as bytes, for this party's worker threads. */
  exportPublicKey(): Uint8Array {
    return this.pk.saveToArray(this.ctx.seal.ComprModeType.none) as Uint8Array;
  }

  delete(): void {
    if (this.deleted) return;
    this.deleted = true;
    sealLive.sessions--;
    this.encryptor.delete();
    this.pk.delete();
  }
}

/** Key-level primes: the data primes plus the special prime. */
const KEY_PRIMES = DATA_PRIMES + 1;

/** Exact cost of `heSetup*`: one client->server message (the seeded public key). */
export function heSetupCost(): { bytesUp: number; bytesDown: number; messagesUp: number; messagesDown: number; rounds: number } {
  return { bytesUp: seededBytes(KEY_PRIMES), bytesDown: 0, messagesUp: 1, messagesDown: 0, rounds: 1 };
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
    try {
      ch.send(ser.saveToArray(s.ComprModeType.none) as Uint8Array);
    } finally {
      ser.delete();
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
export async function heRecvPublicKey(ch: Channel): Promise<Uint8Array> {
  const bytes = await ch.recv();
  const expected = heSetupCost().bytesUp;
  if (bytes.byteLength !== expected) {
    throw new Error(`HE setup: public key message has ${bytes.byteLength} bytes, expected ${expected}`);
  }
  return bytes;
}

/** Server, second half: load the received public key on `ctx`. */
export function heServerSession(ctx: HeContext, bytes: Uint8Array): HeServerSession {
  const pk = new ctx.seal.PublicKey();
  try {
    pk.loadFromArray(ctx.context, bytes);
  } catch (e) {
    pk.delete();
    throw sealError(e, 'HE setup (server): malformed public key');
  }
  return new HeServerSession(ctx, pk);
}

/** Server: receive the client's public key. */
export async function heSetupServer(ch: Channel, ctx: HeContext): Promise<HeServerSession> {
  return heServerSession(ctx, await heRecvPublicKey(ch));
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
