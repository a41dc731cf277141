export * from './runtime/channel.ts';
export { Ring, type RingArray } from './crypto/ring.ts';
export { Prg } from './crypto/prg.ts';
