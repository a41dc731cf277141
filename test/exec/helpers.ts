// Helpers for end-to-end execution tests: compile a CPL model, make deterministic inputs, and
// build channel pairs of each kind.
import { check } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import type { InputValues } from '../../src/interp/interpret.ts';
import { randomInputs } from '../../src/cli/inputs.ts';
import { MemoryChannel, type Channel } from '../../src/runtime/channel.ts';
import { SimChannel, NETWORKS } from '../../src/runtime/sim-channel.ts';
import { connect, type WsChannel } from '../../src/runtime/ws-channel.ts';
import { listen } from '../../src/runtime/ws-server.ts';
import { hashProgram } from '../../src/runtime/frame.ts';

export function compile(path: string, model?: string, config?: Record<string, number>): IrProgram {
  const r = check([{ path }]);
  if (!r.ok) throw new Error(`${path} does not check`);
  const m = model ? r.models.find((x) => x.name === model)! : r.models[0];
  return lowerModel(r, m, { config });
}

/** Deterministic inputs (the same generator as `--random-inputs`). */
export const makeInputs = (p: IrProgram, seed = 1): InputValues => randomInputs(p, seed);

export type ChannelKind = 'memory' | 'sim' | 'ws';

export async function channelPair(kind: ChannelKind, programText = 'test'): Promise<{ pair: [Channel, Channel]; close: () => Promise<void> }> {
  if (kind === 'memory') return { pair: MemoryChannel.pair(), close: async () => {} };
  if (kind === 'sim') return { pair: SimChannel.pair(NETWORKS.wan), close: async () => {} };
  const programHash = hashProgram(programText);
  let got!: (c: WsChannel) => void;
  const serverCh = new Promise<WsChannel>((r) => (got = r));
  const srv = await listen({ host: '127.0.0.1', port: 0, programHash, onSession: (c) => got(c) });
  const client = await connect(srv.url, { programHash });
  const server = await serverCh;
  return {
    pair: [client, server],
    close: async () => {
      client.close();
      await srv.close();
    },
  };
}
