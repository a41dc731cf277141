// The OT engine: base OT (Chou–Orlandi on ristretto255), IKNP and Ferret (silent) correlated OT,
// and the flavours built on them. Design and security assumptions: docs/ot.md.
export type { ObliviousTransfer, NChoices } from './types.ts';
export type { CotSource, CotCost, CotDemand, PoolReplay, RefillFlight, RefillMessage } from './cot-source.ts';
export { OT_BACKENDS, DEFAULT_OT_BACKEND, isOtBackend, makeCotSource, otCostModel, type OtBackend, type OtChoice } from './backends.ts';
export { FerretCot, FerretReplay, type FerretOptions } from './ferret/cot.ts';
export { DEFAULT_SCHEDULE, type FerretSchedule } from './ferret/schedule.ts';
export { FERRET_MAIN, FERRET_SETUP, type LpnParams } from './ferret/params.ts';
export { OtEngine, type OtEngineOptions } from './engine.ts';
export { IknpCot, DEFAULT_CHUNK, KAPPA, type IknpOptions } from './iknp.ts';
export { otCost, makeOtCost, oneOfNChunk, log2ceil, type OtCost, type OtCostModel, type MessagePlan, type OtPlans, type CotWire } from './cost.ts';
export { msgBytes, packMsgs, unpackMsgs, ringToMsgs, msgsToRing } from './bits.ts';
