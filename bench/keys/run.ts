// Galois keys of packed contexts (issue 15; docs/he.md "Galois keys"):
//
//   npm run bench -- keys [--ells 32,37] [--reps 5] [--default-set 1]
//
// Per ring width: context creation, the client's setup (secret + public key, then the Galois key
// frame for the merge tree: a keygen context at a batching t with the same secret key), the
// server's load of the message, and applyGalois at level 0 (median of reps) beside a ciphertext's
// forward + inverse NTT at the same level (the ratio survives the load). With --default-set 1 also
// the time of SEAL's 24 default Galois keys (the route not taken). Sizes are exact.
import { loadavg } from 'node:os';
import { report } from '../lib.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { HeContext, heSetupClient, heRecvPublicKey, heServerSession, heSetupCost } from '../../src/crypto/he/index.ts';
import { galoisElements, galoisWireBytes, GALOIS_KEY_BYTES, makeGaloisFrame } from '../../src/crypto/he/galois.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}
const ells = arg('ells', '32,37').split(',').map(Number);
const reps = Number(arg('reps', '5'));
const defaultSet = arg('default-set', '0') === '1';
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (f: () => void): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};

const rows = [];
const load = [loadavg()[0]];
for (const ell of ells) {
  let t0 = performance.now();
  const ctx = await HeContext.create({ ell, packed: true });
  const contextMs = performance.now() - t0;
  const [c, s] = MemoryChannel.pair();
  t0 = performance.now();
  const cs = await heSetupClient(c, ctx);
  const clientSetupMs = performance.now() - t0;
  const msg = await heRecvPublicKey(s, { ell, packed: true });
  t0 = performance.now();
  const ss = heServerSession(ctx, msg);
  const serverLoadMs = performance.now() - t0;
  // The Galois frame alone (the client's setup minus its public key), measured again on its own.
  const sk = new ctx.seal.SecretKey();
  sk.loadFromArray(ctx.context, cs.exportKeys().sk);
  const galoisKeygenMs = time(() => makeGaloisFrame(ctx, sk));
  sk.delete();
  let defaultSetMs: number | null = null;
  if (defaultSet) {
    const kg = new ctx.seal.KeyGenerator(ctx.context);
    defaultSetMs = time(() => kg.createGaloisKeysSerializable().delete());
    kg.delete();
  }
  // applyGalois at level 0 vs an NTT round trip at level 0, on a fresh symmetric encryption.
  const pt = new ctx.seal.Plaintext(ctx.N);
  const ct = new ctx.seal.Ciphertext();
  const out = new ctx.seal.Ciphertext();
  cs.encryptor.encryptSymmetric(pt, ct);
  const ks: number[] = [];
  const ntt: number[] = [];
  const elts = galoisElements(ctx.pack);
  for (let r = 0; r < reps; r++) {
    for (const g of elts) ks.push(time(() => ctx.evaluator.applyGalois(ct, g, ss.galois!, out)));
    ntt.push(time(() => (ctx.evaluator.cipherTransformToNttInplace(ct), ctx.evaluator.cipherTransformFromNttInplace(ct))));
  }
  for (const x of [pt, ct, out]) x.delete();
  rows.push({
    ell,
    plainBits: ctx.plainBits,
    chain: { data: ctx.chain.bits, special: ctx.chain.specialBits, total: ctx.chain.bits.reduce((a, b) => a + b) + ctx.chain.specialBits },
    galoisElements: elts,
    bytes: { setupMessage: msg.byteLength, predicted: heSetupCost({ ell, packed: true }).bytesUp, perKey: galoisWireBytes(2, ell), perKeySeal: GALOIS_KEY_BYTES, unpackedSetup: heSetupCost({ ell, packed: false }).bytesUp },
    ms: {
      context: +contextMs.toFixed(1),
      clientSetup: +clientSetupMs.toFixed(1),
      galoisKeygen: +galoisKeygenMs.toFixed(1),
      serverLoad: +serverLoadMs.toFixed(1),
      defaultSet24Keys: defaultSetMs === null ? null : +defaultSetMs.toFixed(1),
      applyGaloisLevel0Median: +median(ks).toFixed(2),
      nttRoundTripLevel0Median: +median(ntt).toFixed(2),
      ratio: +(median(ks) / median(ntt)).toFixed(2),
    },
  });
  cs.delete();
  ss.delete();
  ctx.delete();
}
load.push(loadavg()[0]);
report('keys', { rows, reps, loadAverage: load });
