// cipherprune library API. The CLI (src/cli) is a thin layer over these functions.

// Language front end: check(), diagnostics, leak report.
export * from './front/index.ts';

// IR: lowering, text form, verifier, op table, cost prediction.
export { lowerModel, LowerError, type LowerOptions } from './ir/lower.ts';
export { formatIr, opLocation, OpError, type IrProgram, type IrOp, type IrType, type IrInput, type IrOutput } from './ir/ir.ts';
export { verifyIr } from './ir/verify.ts';
export { opTable, opRow } from './ir/ops/table.ts';
export type { OpRow, CommClass, Flight } from './ir/ops/types.ts';
export { predictCost, RoundClock, type ProgramCost, type OpCost } from './ir/cost.ts';

// Plaintext reference interpreter.
export { interpret, InterpretError, DimEnv, type InputValues, type InterpretResult } from './interp/interpret.ts';
export type { Tensor, Mode } from './interp/tensor.ts';

// Two-party execution and transports.
export * from './runtime/channel.ts';
export { execute, ExecError, unsupportedOps, type ExecuteOptions, type ExecuteResult } from './runtime/executor.ts';
export { runBoth, splitInputs, type BothResult } from './runtime/run-both.ts';
export { connect, WsChannel, type WsOptions } from './runtime/ws-channel.ts';
export { listen, type WsServer, type ListenOptions } from './runtime/ws-server.ts';
export { SimChannel, parseNetwork, NETWORKS, type NetworkProfile } from './runtime/sim-channel.ts';
export { EXIT, exitCodeFor } from './runtime/errors.ts';
export { hashProgram } from './runtime/frame.ts';

// Cryptography: ring and fixed point, PRG, OT, HE.
export { Ring, type RingArray } from './crypto/ring.ts';
export { Fixed, truncExact, convertWidth } from './crypto/fixed.ts';
export { Prg } from './crypto/prg.ts';
export * from './crypto/ot/index.ts';
export * from './crypto/he/index.ts';
