// Bytes, messages and rounds counted at the channel equal the documented formulas (cost.ts), per
// flavour, for several chunk sizes; the test-only ideal OT charges the channel identically. With
// Ferret, every call's prediction includes the pool refills it triggers, from one replay of the
// session kept in step with the calls (toy parameters, so refills happen often).
import { describe, expect, it } from 'vitest';
import { MemoryChannel, type Channel, type Party } from '../../src/transport/channel.ts';
import type { ObliviousTransfer } from '../../src/crypto/ot/types.ts';
import { otCost, type MessagePlan, type OtCostModel } from '../../src/crypto/ot/cost.ts';
import { msgBytes } from '../../src/crypto/ot/bits.ts';
import { otCostModel } from '../../src/crypto/ot/backends.ts';
import { costOf } from '../../src/crypto/nonlinear/context.ts';
import { refillFlights } from '../../src/opt/cost.ts';
import { RoundClock } from '../../src/transport/round-clock.ts';
import { consumedBy, FERRET_SETUP, iterationBytes } from '../../src/crypto/ot/ferret/params.ts';
import { idealOtPairForTestsOnly } from '../support/ideal-ot.ts';
import { bothWays, choiceBits, enginePair, FERRET_TOY, randomMsgs } from './helpers.ts';

type Flavour = { name: string; run: (S: ObliviousTransfer, R: ObliviousTransfer) => Promise<unknown>; cost: (S: ObliviousTransfer) => ReturnType<typeof otCost.cot>; plan: (m: OtCostModel) => MessagePlan };

function flavours(n: number): Flavour[] {
  const b = choiceBits(n, 5);
  return [
    { name: 'cot', run: (S, R) => Promise.all([S.cotSend(n), R.cotRecv(b)]), cost: (S) => S.cost.cot(n), plan: (m) => m.plan.cot(n) },
    { name: 'rcot', run: (S, R) => Promise.all([S.rcotSend(n), R.rcotRecv(n)]), cost: (S) => S.cost.rcot(n), plan: (m) => m.plan.rcot(n) },
    { name: 'rot 37', run: (S, R) => Promise.all([S.rotSend(n, 37), R.rotRecv(b, 37)]), cost: (S) => S.cost.rot(n, 37), plan: (m) => m.plan.cot(n) },
    {
      name: 'ot 1',
      run: (S, R) => Promise.all([S.otSend(randomMsgs(n, 1, 1), randomMsgs(n, 1, 2), 1), R.otRecv(b, 1)]),
      cost: (S) => S.cost.ot(n, 1),
      plan: (m) => m.plan.ot(n, 1),
    },
    {
      name: 'ot 300',
      run: (S, R) => Promise.all([S.otSend(randomMsgs(n, 300, 1), randomMsgs(n, 300, 2), 300), R.otRecv(b, 300)]),
      cost: (S) => S.cost.ot(n, 300),
      plan: (m) => m.plan.ot(n, 300),
    },
    { name: 'fcot 13', run: (S, R) => Promise.all([S.fcotSend(n, 13, (x) => x), R.fcotRecv(b, 13)]), cost: (S) => S.cost.fcot(n, 13), plan: (m) => m.plan.fcot(n, 13) },
    { name: 'acot 37', run: (S, R) => Promise.all([S.acotSend(37, new BigUint64Array(n)), R.acotRecv(37, b)]), cost: (S) => S.cost.acot(n, 37), plan: (m) => m.plan.fcot(n, 37) },
    { name: 'acot 32', run: (S, R) => Promise.all([S.acotSend(32, new Uint32Array(n)), R.acotRecv(32, b)]), cost: (S) => S.cost.acot(n, 32), plan: (m) => m.plan.fcot(n, 32) },
    ...[2, 16, 256].map((N) => ({
      name: `otN N=${N} bits 5`,
      run: (S: ObliviousTransfer, R: ObliviousTransfer) =>
        Promise.all([S.otNSend(randomMsgs(n * N, 5, 3), N, 5), R.otNRecv(new Uint8Array(n).map((_, i) => i % N), N, 5)]),
      cost: (S: ObliviousTransfer) => S.cost.otN(n, N, 5),
      plan: (m: OtCostModel) => m.plan.otN(n, N, 5),
    })),
  ];
}

/** A call's cost from a model with pools: its refills first, then its own messages (Lamport rounds). */
function predictWithRefills(model: OtCostModel, sender: Party, plan: MessagePlan) {
  const refill = model.pool ? model.pool.draw(sender, plan.cots) : [];
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const msgs = [...refill, ...plan.receiverToSender.map((bytes) => ({ from: 'receiver', bytes })), ...plan.senderToReceiver.map((bytes) => ({ from: 'sender', bytes }))];
  const clock = { sender: 0, receiver: 0 };
  let rounds = 0;
  for (const m of msgs) {
    const st = clock[m.from as 'sender' | 'receiver'] + 1;
    rounds = Math.max(rounds, st);
    if (m.from === 'sender') clock.receiver = Math.max(clock.receiver, st);
    else clock.sender = Math.max(clock.sender, st);
  }
  return {
    bytesSenderToReceiver: sum(msgs.filter((m) => m.from === 'sender').map((m) => m.bytes)),
    bytesReceiverToSender: sum(msgs.filter((m) => m.from === 'receiver').map((m) => m.bytes)),
    messagesSenderToReceiver: msgs.filter((m) => m.from === 'sender').length,
    messagesReceiverToSender: msgs.filter((m) => m.from === 'receiver').length,
    rounds,
  };
}

async function measure(S: ObliviousTransfer, R: ObliviousTransfer, sCh: Channel, rCh: Channel, f: Flavour) {
  // A message from the sender first, so the op's rounds start from a clean causal point.
  sCh.send(new Uint8Array(1));
  await rCh.recv();
  const before = { ...sCh.totals };
  await f.run(S, R);
  const after = sCh.totals;
  return {
    bytesSenderToReceiver: after.bytesSent - before.bytesSent - 0,
    bytesReceiverToSender: after.bytesRecv - before.bytesRecv,
    messagesSenderToReceiver: after.messagesSent - before.messagesSent,
    messagesReceiverToSender: after.messagesRecv - before.messagesRecv,
    rounds: after.rounds - before.rounds,
  };
}

describe('wire cost equals the formulas', () => {
  for (const chunk of [256, 1 << 17]) {
    it(`real engine, chunk ${chunk}, both directions`, async () => {
      const E = await enginePair(chunk);
      for (const n of [0, 1, 129, 1000]) {
        for (const f of flavours(n)) {
          for (const [S, R, sCh, rCh] of bothWays(E)) {
            expect(await measure(S, R, sCh, rCh, f), `${f.name} n=${n} ${S.party}→${R.party}`).toEqual(f.cost(S));
          }
        }
      }
    });
  }

  it('the ideal OT charges the channel exactly like the real engine', async () => {
    for (const chunk of [256, 1 << 17]) {
      const [cc, sc] = MemoryChannel.pair();
      const [c, s] = idealOtPairForTestsOnly(cc, sc, { chunk });
      await Promise.all([c.setup(), s.setup()]);
      for (const n of [0, 1, 1000]) {
        for (const f of flavours(n)) expect(await measure(c, s, cc, sc, f), `${f.name} n=${n}`).toEqual(f.cost(c));
      }
    }
  });

  it('Ferret: every call costs its refills plus its own messages, in both directions, for two chunk sizes', { timeout: 120_000 }, async () => {
    for (const chunk of [256, 1 << 17]) {
      const E = await enginePair(chunk, 7, FERRET_TOY);
      const model = E.client.cost; // a replay of this session's pools, from setup on
      let refills = 0;
      for (const n of [0, 1, 129, 5000]) {
        for (const f of flavours(n)) {
          for (const [S, R, sCh, rCh] of bothWays(E)) {
            const want = predictWithRefills(model, S.party, f.plan(model));
            if (want.messagesSenderToReceiver > f.cost(S).messagesSenderToReceiver) refills++;
            expect(await measure(S, R, sCh, rCh, f), `${f.name} n=${n} ${S.party}→${R.party} chunk ${chunk}`).toEqual(want);
          }
        }
      }
      expect(refills).toBeGreaterThan(4);
    }
  });

  it('Ferret: the nonlinear cost builder counts the COTs whose refills the replay charges (bytes and rounds)', async () => {
    const E = await enginePair(256, 9, FERRET_TOY);
    const model = E.client.cost, check = E.server.cost.fresh();
    for (const n of [3000, 20_000, 70_000]) {
      const f = flavours(n)[2]; // rot 37, server sends
      const m = await measure(E.server, E.client, E.sc, E.cc, f);
      // CostBuilder counts the call's COTs; the replay turns them into the refill that comes first.
      model.drawn!.client = model.drawn!.server = 0;
      const c = costOf((b) => b.otCall('client', f.plan(model)), model);
      expect(model.drawn).toEqual({ client: 0, server: f.plan(model).cots });
      const clock = new RoundClock(), all = [...refillFlights(model, { ...model.drawn! }), ...c.flights!];
      for (const x of all) clock.flight(x);
      const sum = (k: 'c2s' | 's2c') => all.reduce((a, x) => a + x[k], 0);
      expect([sum('s2c'), sum('c2s'), clock.rounds]).toEqual([m.bytesSenderToReceiver, m.bytesReceiverToSender, m.rounds]);
      expect(predictWithRefills(check, 'server', f.plan(check))).toEqual(m);
    }
  });

  it('Ferret: a prefill refills both directions in the same flights; the channel counts what refillFlights predicts', async () => {
    const E = await enginePair(256, 11, FERRET_TOY);
    const model = E.client.cost;
    // uneven needs: the client's direction runs more iterations than the server's
    for (const need of [{ client: 40_000, server: 10_000 }, { client: 0, server: 70_000 }, { client: 150_000, server: 150_000 }]) {
      const c0 = { ...E.cc.totals }, s0 = { ...E.sc.totals };
      await Promise.all([E.client.prefill(need), E.server.prefill(need)]);
      const want = refillFlights(model, need), clock = new RoundClock();
      for (const f of want) clock.flight(f);
      const sum = (k: 'c2s' | 's2c') => want.reduce((a, x) => a + x[k], 0);
      const rounds = Math.max(E.cc.totals.rounds, E.sc.totals.rounds) - Math.max(c0.rounds, s0.rounds);
      expect([E.cc.totals.bytesSent - c0.bytesSent, E.sc.totals.bytesSent - s0.bytesSent, rounds]).toEqual([sum('c2s'), sum('s2c'), clock.rounds]);
      // paired: two rounds per iteration of the busier direction (plus one for a bootstrap)
      expect(want.some((f) => f.c2s > 0 && f.s2c > 0)).toBe(need.client > 0 && need.server > 0);
      // the pools serve the need, with the correlation (reveal-and-check both directions)
      for (const [S, R, sCh, rCh] of bothWays(E)) {
        const n = need[S.party], b = choiceBits(n, 3);
        const [q, t] = await Promise.all([S.cotSend(n), R.cotRecv(b)]);
        sCh.send(S.delta.slice());
        const delta = await rCh.recv();
        sCh.send(q.slice());
        const qr = await rCh.recv();
        let bad = 0;
        for (let i = 0; i < n; i++) for (let k = 0; k < 16; k++) bad += t[16 * i + k] !== (qr[16 * i + k] ^ (b[i] ? delta[k] : 0)) ? 1 : 0;
        expect(bad, `${S.party} → ${R.party}`).toBe(0);
      }
      await Promise.all([E.client.settle(), E.server.settle()]);
    }
  });

  it('Ferret with the default schedule: one bit per chosen choice; the first refill bootstraps (SoftSpokenOT, then a setup iteration)', () => {
    const m = otCostModel('ferret');
    expect(m.cot(1000)).toMatchObject({ bytesReceiverToSender: 125, rounds: 1 });
    expect(m.rcot(1000)).toMatchObject({ bytesReceiverToSender: 0, messagesReceiverToSender: 0, rounds: 0 });
    const it = iterationBytes(FERRET_SETUP);
    // SoftSpokenOT, k = 8: 15 bits per COT and the 4 KB PPRF sums (IKNP's 128 bits: 763,392 B)
    expect(15 * Math.ceil(consumedBy(FERRET_SETUP) / 8) + 4096).toBe(93_556);
    const boot = [{ from: 'receiver', bytes: 93_556 }, { from: 'receiver', bytes: it.receiverToSender }, { from: 'sender', bytes: it.senderToReceiver }];
    expect(m.pool!.draw('server', 1000)).toEqual(boot);
    // a prefill: the server's COTs, so the receiver (client) sends first, the sender replies
    expect(m.fresh().pool!.step({ client: 0, server: 1000 })).toEqual(boot.map((x) => (x.from === 'receiver' ? { c2s: x.bytes, s2c: 0 } : { c2s: 0, s2c: x.bytes })));
    // both directions side by side: each flight carries both directions' messages
    expect(m.fresh().pool!.step({ client: 1000, server: 1000 })).toEqual([boot[0], boot[1], boot[2]].map((x) => ({ c2s: x.bytes, s2c: x.bytes })));
    expect(m.forked().pool).toBeUndefined();
    expect(m.forked().cot(1000)).toMatchObject({ bytesReceiverToSender: 125, rounds: 1 });
    expect(otCostModel('iknp').pool).toBeUndefined();
    expect(otCostModel('iknp').drawn).toBeUndefined();
  });

  it('per OT: 16 bytes one way plus the payload the other way (n a multiple of 8)', () => {
    const n = 1 << 20;
    expect(otCost.cot(n)).toMatchObject({ bytesReceiverToSender: 16 * n, bytesSenderToReceiver: 0, rounds: 1 });
    expect(otCost.ot(n, 128)).toMatchObject({ bytesReceiverToSender: 16 * n, bytesSenderToReceiver: 32 * n, rounds: 2 });
    expect(otCost.acot(n, 37)).toMatchObject({ bytesReceiverToSender: 16 * n, bytesSenderToReceiver: (37 * n) / 8 });
    expect(otCost.otN(n, 16, 8)).toMatchObject({ bytesReceiverToSender: 64 * n, bytesSenderToReceiver: 16 * n });
    expect(otCost.cot(0)).toMatchObject({ bytesReceiverToSender: 0, rounds: 0 });
    expect(otCost.setup()).toEqual({ bytesEachWay: 4128, messagesEachWay: 2, rounds: 2 });
    expect(msgBytes(300)).toBe(38);
  });

  it('setup sends 4128 bytes each way in 2 rounds', async () => {
    const E = await enginePair();
    expect(E.cc.totals).toMatchObject({ bytesSent: 4128, bytesRecv: 4128, messagesSent: 2, rounds: 2 });
  });
});
