// HE linear algebra on additive shares (node-seal BFV, coefficient packing). See docs/he.md.
export { HeContext, loadSeal, DEFAULT_HE_PARAMS, MAX_ELL, POLY_DEGREE, packFactor, plainBitsOf } from './seal.ts';
export type { HeParams } from './seal.ts';
export { HeClientSession, HeServerSession, heSetupClient, heSetupServer, heRecvPublicKey, heServerSession, heSetupCost, PUBLIC_KEY_BYTES } from './keys.ts';
export { galoisElements, galoisFrameBytes, galoisWireBytes, keyWireBytes, GALOIS_KEY_BYTES } from './galois.ts';
export {
  heMatmulClient,
  heMatmulServer,
  heBatchMatmulClient,
  heBatchMatmulServer,
  heMatmulCost,
  heBatchMatmulCost,
  hePrepareWeights,
} from './matmul.ts';
export type { HeProductOptions, BatchShape, HeCost } from './matmul.ts';
export type { HeStats } from './engine.ts';
export { chooseBlocking, makeBlocking, blockCounts, estimateSeconds, OP_COST_US, smallProducts } from './packing.ts';
export type { Blocking, ProductKind } from './packing.ts';
export { noiseReport } from './noise.ts';
export type { NoiseReport } from './noise.ts';
export { HeWeightCache, CACHED_BLOCK_BYTES, MAX_CACHE_BYTES_PER_THREAD, SEAL_HEAP_BYTES } from './weights.ts';
export type { WeightCacheReport } from './weights.ts';
export { HePool, PoolSession, heConfig, defaultThreads, processPool, processWeightCache, closeProcessPool, worthPooling, MIN_POOLED_PRODUCTS, DEFAULT_ZERO_STOCK } from './pool.ts';
export type { ZeroReport } from './zeros.ts';
