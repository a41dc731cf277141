// One party of the per-primitive runs (ops.ts) on its own worker thread: the protocols called
// directly on this party's shares, over a MessagePort channel. Before each timed run the COTs the
// run draws are refilled (Ferret; as the executor does per step), so the time is the protocol's own:
// thread CPU seconds (process.threadCpuUsage) and wall seconds from a common `go`. Shares are made
// from the same seeded values on both threads; the output share goes back to the main thread, which
// opens it and checks it against the twin. With OPS_PROFILE=DIR each party writes a CPU profile of
// the timed runs of each primitive (DIR/PRIM-PARTY.cpuprofile; node:inspector).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Party } from '../../src/transport/channel.ts';
import { PortChannel } from '../port-channel.ts';
import { OtEngine, type OtBackend } from '../../src/crypto/ot/index.ts';
import { Prg } from '../../src/crypto/prg.ts';
import { nonlinearPrim, ringOf, ROWMAX, type ProtoCtx } from '../../src/crypto/nonlinear/index.ts';
import { OPS, inputOf } from './ops-list.ts';

const { party, port, reps, ot: backend, only } = workerData as { party: Party; port: MessagePort; reps: number; ot: OtBackend; only: string[] | null };
const main = parentPort!;
const ch = new PortChannel(party, port);
const ot = new OtEngine(ch, { backend });
await ot.setup();
const ctx: ProtoCtx = { party, ch, ot, prg: new Prg() };
const go = () => new Promise<void>((resolve) => main.once('message', () => resolve()));
const profileDir = process.env.OPS_PROFILE;
const inspector = profileDir ? new Session() : null;
inspector?.connect();
await inspector?.post('Profiler.enable');
for (const op of OPS.filter((o) => !only || only.includes(o.name))) {
  const prim = nonlinearPrim(op.prim)!, ring = ringOf(op.ell), arity = (ROWMAX as { silentArity?: number }).silentArity;
  (ROWMAX as { silentArity?: number }).silentArity = op.rowmaxArity ?? arity;
  const x = inputOf(op), r = ring.random(x.length, Prg.fromInt(11)), mine = party === 'server' ? ring.sub(x, r) : r;
  for (let k = 0; k < reps; k++) {
    // Ferret: refill for the run's COTs first (the replay's pools as after this prefill).
    const model = ot.cost, counting = model.forked();
    if (counting.drawn) {
      counting.drawn.client = counting.drawn.server = 0;
      prim.cost(x.length, op.params as never, counting);
      const need = { ...counting.drawn };
      await ot.prefill?.(need);
      model.pool?.step(need);
    }
    const predicted = prim.cost(x.length, op.params as never, model);
    const sent0 = ch.totals.bytesSent, rounds0 = ch.totals.rounds;
    main.postMessage({ ready: true });
    await go();
    await inspector?.post('Profiler.start');
    const t0 = performance.now(), c0 = process.threadCpuUsage();
    const out = await prim.protocol(ctx, [mine], op.params as never);
    const c1 = process.threadCpuUsage(), seconds = (performance.now() - t0) / 1000;
    const prof = await inspector?.post('Profiler.stop');
    if (prof) writeFileSync(`${profileDir}/${op.name.split(' ')[0]}${op.rowmaxArity ? `-k${op.rowmaxArity}` : ''}-${party}-${k}.cpuprofile`, JSON.stringify(prof.profile));
    main.postMessage({
      op: op.name, seconds, cpuSeconds: (c1.user - c0.user + c1.system - c0.system) / 1e6,
      bytesSent: ch.totals.bytesSent - sent0, rounds: ch.totals.rounds - rounds0,
      predicted: party === 'client' ? predicted.bytesClientToServer : predicted.bytesServerToClient, predictedRounds: predicted.rounds,
      out: k === reps - 1 ? out : null,
    });
  }
  (ROWMAX as { silentArity?: number }).silentArity = arity;
}
ch.close();
