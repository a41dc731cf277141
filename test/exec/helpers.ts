// Helpers for end-to-end execution tests: compile a CPL model, make deterministic inputs, and
// build channel pairs of each kind.
import { check } from '../../src/front/index.ts';
import { lowerModel } from '../../src/ir/lower.ts';
import type { IrProgram } from '../../src/ir/ir.ts';
import type { InputValues } from '../../src/ir/dim-env.ts';
import { randomInputs } from '../../src/cli/inputs.ts';
import { MemoryChannel, type Channel } from '../../src/transport/channel.ts';
import { SimChannel, NETWORKS } from '../../src/transport/sim-channel.ts';
import { wsPair } from '../runtime/helpers.ts';

export function compile(path: string, model?: string, config?: Record<string, number>, text?: string): IrProgram {
  const r = check([{ path, text }]);
  if (!r.ok) throw new Error(`${path} does not check`);
  const m = model ? r.models.find((x) => x.name === model)! : r.models[0];
  return lowerModel(r, m, { config });
}

/** Deterministic inputs (the same generator as `--random-inputs`). */
export const makeInputs = (p: IrProgram, seed = 1): InputValues => randomInputs(p, seed);

export type ChannelKind = 'memory' | 'sim' | 'ws';

export async function channelPair(kind: ChannelKind): Promise<{ pair: [Channel, Channel]; close: () => Promise<void> }> {
  if (kind === 'memory') return { pair: MemoryChannel.pair(), close: async () => {} };
  if (kind === 'sim') return { pair: SimChannel.pair(NETWORKS.wan), close: async () => {} };
  const ws = await wsPair();
  return { pair: [ws.client, ws.server], close: ws.close };
}

/** Record the largest message each end receives. */
export function recording(ch: Channel): { ch: Channel; largest: () => number } {
  let largest = 0;
  const recv = ch.recv.bind(ch);
  ch.recv = async () => {
    const m = await recv();
    largest = Math.max(largest, m.byteLength);
    return m;
  };
  return { ch, largest: () => largest };
}
