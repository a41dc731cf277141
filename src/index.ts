// cipherprune library API. The CLI (src/cli) is a thin layer over these functions.

// Language front end: check(), diagnostics, leak report.
export * from './front/index.ts';

// IR: lowering, text form, verifier, op table, cost prediction.
export { lowerModel, LowerError, type LowerOptions } from './ir/lower.ts';
export { formatIr, opLocation, OpError, type IrProgram, type IrOp, type IrType, type IrInput, type IrOutput } from './ir/ir.ts';
export { verifyIr } from './ir/verify.ts';
export { opTable, opRow } from './ir/ops/table.ts';
export type { OpRow, CommClass, Flight } from './ir/ops/types.ts';
export { predictCost, type ProgramCost, type OpCost } from './opt/cost.ts';
export { RoundClock } from './transport/round-clock.ts';
export { programHash, canonicalProgram } from './ir/hash.ts';

// Plaintext reference interpreter; value ranges (each op's domain) and calibration.
export { interpret, InterpretError, type InterpretResult, type InterpretOptions } from './interp/interpret.ts';
export { calibrate, type CalibrationReport, type CalibrateOptions, type RangeSummary } from './interp/calibrate.ts';
export { referenceFidelity, type OutputFidelity } from './interp/fidelity.ts';
export { RangeViolation, type RangeRecord, type RangeProbe } from './crypto/ranges.ts';
export { DimEnv, type InputValues } from './ir/dim-env.ts';
export type { Tensor, Mode } from './ir/tensor.ts';

// Two-party execution and transports.
export * from './transport/channel.ts';
export { execute, ExecError, unsupportedOps, type ExecuteOptions, type ExecuteResult } from './exec/executor.ts';
export { runBoth, splitInputs, type BothResult, type RunBothOptions } from './exec/run-both.ts';
export { LocalSession, type SessionRun } from './exec/session.ts';
export { connect, WsChannel, type WsOptions, type ConnectOptions } from './transport/ws-channel.ts';
export { listen, type WsServer, type ListenOptions } from './transport/ws-server.ts';
export { SimChannel, parseNetwork, NETWORKS, type NetworkProfile } from './transport/sim-channel.ts';
export { EXIT, exitCodeFor } from './transport/errors.ts';
export { hashProgram } from './transport/frame.ts';

// Models and text: tokenizers, checkpoints (safetensors, config.json, input sources), the float
// reference models, text as program inputs (docs/models.md).
export { loadTokenizer, encodeBert, encodeGpt2, TokenizerError, type TextTokenizer } from './text/tokenizer.ts';
export { readSafeTensors, writeSafeTensors, CheckpointError, type SafeTensors } from './model/safetensors.ts';
export { openCheckpoint, checkpointInputs, configSizes, labelNames, type Checkpoint } from './model/checkpoint.ts';
export { tensorsFromInputs } from './model/export.ts';
export { loadBert, loadGpt2, compileModel, bundledModel, bundledProgram, type LoadedBert, type LoadedGpt2 } from './model/load.ts';
export { textInputs, idInputs, TextInputError, type TextInputs } from './model/text-inputs.ts';
export { bertDense, bertCipherPrune, type BertConfig, type Thresholds, type PruneStep } from './model/bert.ts';
export { gpt2Dense, gpt2CipherPrune, type Gpt2Config } from './model/gpt2.ts';

// Cryptography: ring and fixed point, PRG, OT, HE.
export { Ring, type RingArray } from './crypto/ring.ts';
export { Fixed, truncExact, convertWidth } from './crypto/fixed.ts';
export { Prg } from './crypto/prg.ts';
export * from './crypto/ot/index.ts';
export * from './crypto/he/index.ts';
