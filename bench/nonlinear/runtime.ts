// The parties' runtime in the threaded rows (fair, ops): what keeps each party on its own core.
// The C++ references run one thread per party and nothing else; V8 by default also runs its GC
// (concurrent marking, parallel scavenging) and JIT compilation on a pool of platform threads
// shared by the whole process, which on 2 cores compete with the two parties: the process used
// 2–4× the parties' thread CPU (docs/nonlinear.md, "Where the wall time goes").
//
// `--single-threaded-gc` runs each isolate's GC on its own thread (the party's), so a party's
// thread CPU includes its GC and nothing else competes for the cores. It is a process-wide V8 flag
// read when a heap is set up and cannot be changed once the process runs (v8.setFlagsFromString
// before the workers start crashed the main isolate's next GC: "concurrent_marking_handle_"), so
// the bench starts itself again with the flags on the command line (`withRuntime`); every part of
// that bench run then has them. The young generation's size is per isolate (Worker
// resourceLimits, `young=MB`); a larger maximum did not scavenge less here. `--v8 default` keeps V8's defaults.
import { spawn } from 'node:child_process';
import type { ResourceLimits } from 'node:worker_threads';

export interface PartyRuntime {
  /** V8 flags set process-wide before the parties' workers start. */
  flags: string[];
  /** Each party's young generation (MB; both semi-spaces and the large-object space), or V8's default. */
  youngGenerationMb: number | null;
}

/** The default: GC on the party's own thread (measured: docs/nonlinear.md). A larger young generation
 * (`young=48`, `young=96`) did not scavenge less at these sizes (V8 grows it only when much survives). */
export const FAIR_RUNTIME: PartyRuntime = { flags: ['--single-threaded-gc'], youngGenerationMb: null };
export const V8_DEFAULT_RUNTIME: PartyRuntime = { flags: [], youngGenerationMb: null };

/** `--v8 default | fair | FLAG,FLAG,...[,young=MB]` (bench option) → a runtime. */
export function parseRuntime(arg: string | undefined): PartyRuntime {
  if (arg === undefined || arg === 'fair') return FAIR_RUNTIME;
  if (arg === 'default') return V8_DEFAULT_RUNTIME;
  const parts = arg.split(',').filter((x) => x !== '');
  const young = parts.find((x) => x.startsWith('young='));
  const flags = parts.filter((x) => x !== young);
  for (const f of flags) if (!f.startsWith('--')) throw new Error(`--v8: '${f}' is not a V8 flag (default, fair, or --flag,...,young=MB)`);
  const mb = young ? Number(young.slice(6)) : null;
  if (mb !== null && !(mb > 0)) throw new Error(`--v8: young=${young!.slice(6)} is not a size in MB`);
  return { flags, youngGenerationMb: mb };
}

/**
 * Make this process run with the runtime's V8 flags: if they are not on its command line, run the
 * same command again with them (stdio inherited) and exit with its status. Call it first.
 */
export async function withRuntime(rt: PartyRuntime): Promise<void> {
  const missing = rt.flags.filter((f) => !process.execArgv.includes(f));
  if (missing.length === 0) return;
  if (process.env.CIPHERPRUNE_BENCH_V8 === missing.join(' ')) throw new Error(`V8 flags ${missing.join(' ')} did not reach the restarted bench`);
  const child = spawn(process.execPath, [...process.execArgv, ...missing, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, CIPHERPRUNE_BENCH_V8: missing.join(' ') },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  const code = await new Promise<number>((res) => child.on('exit', (c, sig) => res(c ?? (sig ? 1 : 0))));
  process.exit(code);
}

/** The workers' resource limits for the runtime (its flags must already be this process's: withRuntime). */
export function workerLimits(rt: PartyRuntime): ResourceLimits | undefined {
  const missing = rt.flags.filter((f) => !process.execArgv.includes(f));
  if (missing.length > 0) throw new Error(`the parties' V8 flags ${missing.join(' ')} are not set in this process (bench/nonlinear/runtime.ts withRuntime)`);
  return rt.youngGenerationMb === null ? undefined : { maxYoungGenerationSizeMb: rt.youngGenerationMb };
}

export const describeRuntime = (rt: PartyRuntime): string =>
  rt.flags.length === 0 && rt.youngGenerationMb === null ? 'V8 defaults' : [...rt.flags, ...(rt.youngGenerationMb === null ? [] : [`young generation ${rt.youngGenerationMb} MB`])].join(', ');
