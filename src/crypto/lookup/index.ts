// Secure embedding lookup: shares of table rows at the client's token ids (docs/lookup.md).
export { lookupClient, lookupServer, lookupIndex, checkIds, planOf, type LookupCtx, type LookupParams, type OneHotProduct } from './protocol.ts';
export { lookupPlan, planFor, planProduct, padBytes, type LookupPlan } from './plan.ts';
