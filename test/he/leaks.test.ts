// Failure paths free every SEAL object (issue 14): a session whose HE setup fails because the
// peer left or sent a malformed key used to keep its SEAL context (about 7 MiB) for good.
import { describe, expect, it } from 'vitest';
import { heSetupCost } from '../../src/crypto/he/index.ts';
import { sealLive } from '../../src/crypto/he/seal.ts';
import { MemoryChannel } from '../../src/transport/channel.ts';
import { SessionEngines } from '../../src/exec/engines.ts';

describe('SEAL objects on failure paths', () => {
  it('HE setup that fails (peer gone, malformed key) frees the context', async () => {
    const before = { ...sealLive };
    for (const party of ['server', 'client'] as const) {
      const [c, s] = MemoryChannel.pair();
      const [mine, peer] = party === 'server' ? [s, c] : [c, s];
      const eng = new SessionEngines(party, mine);
      const he = eng.he(32);
      peer.close();
      await expect(he).rejects.toThrow();
      await eng.close();
    }
    const [c, s] = MemoryChannel.pair();
    const eng = new SessionEngines('server', s);
    const he = eng.he(32);
    c.send(new Uint8Array(heSetupCost().bytesUp).fill(0xff));
    await expect(he).rejects.toThrow(/HE setup: public key: coefficient 0 mod prime 0 .* out of range/); // every residue checked before SEAL loads it
    await eng.close();
    expect(sealLive).toEqual(before);
  });

  it('a session that ends well frees its context and keys', async () => {
    const before = { ...sealLive };
    const [c, s] = MemoryChannel.pair();
    const ec = new SessionEngines('client', c), es = new SessionEngines('server', s);
    await Promise.all([ec.he(32), es.he(32)]);
    expect(sealLive.contexts - before.contexts).toBe(2);
    expect(sealLive.sessions - before.sessions).toBe(2);
    await Promise.all([ec.close(), es.close()]);
    expect(sealLive).toEqual(before);
  });
});
