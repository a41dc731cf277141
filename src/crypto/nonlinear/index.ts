// Secure non-linear functions on the OT engine (docs/nonlinear.md, docs/approximations.md).
export * from './context.ts';
export { Chooser, makeChooser, startChoosers, choosersFlight, exchange, andBits, b2a, b2aTwin, lutBoth, lutMul } from './ot-ops.ts';
export * from './compare.ts';
export * from './trunc.ts';
export * from './convert.ts';
export * from './stats.ts';
export * from './arith.ts';
export * from './boolean.ts';
export * from './poly.ts';
export * from './gelu.ts';
export * from './exp.ts';
export * from './pwl.ts';
export * from './pwl-tables.ts';
export * from './recip.ts';
export * from './rowmax.ts';
export * from './compose.ts';
export * from './table.ts';
