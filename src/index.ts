// cipherprune library API. The CLI (src/cli) is a thin layer over these functions.
export * from './front/index.ts';
export * from './runtime/channel.ts';
export { Ring, type RingArray } from './crypto/ring.ts';
export { Prg } from './crypto/prg.ts';
