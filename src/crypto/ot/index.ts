// The OT engine: base OT (Chou–Orlandi on ristretto255), IKNP correlated OT, and the flavours
// built on it. Design and security assumptions: docs/ot.md.
export type { ObliviousTransfer, NChoices } from './types.ts';
export type { CotSource, CotCost } from './cot-source.ts';
export { OtEngine, type OtEngineOptions } from './engine.ts';
export { IknpCot, DEFAULT_CHUNK, KAPPA, type IknpOptions } from './iknp.ts';
export { otCost, makeOtCost, oneOfNChunk, log2ceil, type OtCost, type OtCostModel, type MessagePlan, type OtPlans } from './cost.ts';
export { msgBytes, packMsgs, unpackMsgs, ringToMsgs, msgsToRing } from './bits.ts';
