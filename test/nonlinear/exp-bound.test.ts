// exp_hi's stated bound against its twin (3 ULP at fix<32, 12>), where it is tight: the one-bit
// errors of the quotient z's truncation (z one less: q ln2 more, e scaled twice as much) and of
// the polynomial's truncations add up only for some inputs and some share randomness, which the
// conformance suite's 257 random points rarely meet (the form before e's two extra bits reached
// 5–6 ULP in about half the runs over 8,192 random points; this test saw 5 on every seed).
// Every raw input in [−1, 0] (z ∈ {−1, 0, 1}: the worst cases of the exhaustive analysis in
// docs/nonlinear.md, "exp_hi's bound", lie there), four times over with fresh share randomness;
// the test-only ideal OT (the protocol's arithmetic is what is under test; test/nonlinear/
// conformance.test.ts runs it over the real engines).
import { describe, expect, it } from 'vitest';
import { TWIN_BOUNDS, expHi, expHiTwin, ringOf } from '../../src/crypto/nonlinear/index.ts';
import { makePair, open, run2, share } from './harness.ts';

describe('exp_hi: secure vs twin within the stated bound', () => {
  const ell = 32, s = 12, p = { ell, s }, ring = ringOf(ell);
  const raw = Array.from({ length: 2 ** s + 1 }, (_, i) => -i);
  it('every input in [−1, 0], four times, 3 ULP', { timeout: 60_000 }, async () => {
    const x = ring.fromSigned([...raw, ...raw, ...raw, ...raw]), twin = expHiTwin(x, p);
    const [sv, cv] = share(x, ell, 77);
    const r = await run2(await makePair('ideal', 3), (ctx, party) => expHi(ctx, party === 'server' ? sv : cv, p));
    const d = ring.toSigned(ring.sub(open(r.server as never, r.client as never, ell), twin));
    const bound = TWIN_BOUNDS.exp_hi(0, p as never);
    let worst = 0;
    for (const v of d) worst = Math.max(worst, Math.abs(Number(v)));
    expect(bound).toBe(3);
    expect(worst, 'max |secure − twin| in ULPs').toBeLessThanOrEqual(bound);
    // The test can fail: the bound is reached (the analysis's worst case is 3 ULP).
    expect(worst).toBeGreaterThanOrEqual(2);
  });
});
