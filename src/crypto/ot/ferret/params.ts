// LPN parameters of the Ferret COT extension (Yang, Weng, Lan, Zhang, Wang, "Ferret: Fast
// Extension for coRRElated oT with small communication", CCS 2020, §6, parameter table for
// primal LPN with *regular* noise at 128-bit security against the attacks analysed there).
//
// One iteration with (n, k, t) turns M = k + t·h random COTs into n random COTs:
//   k   COTs are the LPN secret x (k bits known to the receiver, masked by Δ);
//   t·h COTs feed t single-point COTs (GGM trees of depth h over blocks of n/t = 2^h outputs),
//       one noise position per block (regular noise), so the error vector e has weight t;
//   the output is y = x·A ⊕ e with a public k × n matrix A whose columns have d = 10 ones.
// The setup set's n covers the main set's M (649,728 ≥ 589,760 + 1,319·13 = 606,907): the
// paper bootstraps one main iteration from one setup iteration, which is seeded by base COTs.
export interface LpnParams {
  readonly name: string;
  /** Output COTs per iteration. */
  readonly n: number;
  /** LPN secret length. */
  readonly k: number;
  /** Noise weight = number of GGM trees (one per block of 2^h outputs). */
  readonly t: number;
  /** Tree depth: n = t·2^h. */
  readonly h: number;
  /** Nonzeros per column of the public matrix. */
  readonly d: number;
}

/** Main iteration (Ferret §6, regular noise, 128-bit): ≈ 10.8 M COTs per iteration. */
export const FERRET_MAIN: LpnParams = { name: 'main', n: 10_805_248, k: 589_760, t: 1_319, h: 13, d: 10 };

/** Setup iteration (Ferret §6, regular noise, 128-bit): seeded by SoftSpokenOT COTs (softspoken.ts). */
export const FERRET_SETUP: LpnParams = { name: 'setup', n: 649_728, k: 36_288, t: 1_269, h: 9, d: 10 };

/** COTs one iteration consumes (its LPN secret and its trees' COTs). */
export const consumedBy = (p: LpnParams): number => p.k + p.t * p.h;

/** Wire bytes of one iteration: receiver → sender (the trees' choice bits), sender → receiver
 * (two masked level sums per level and one leaf correction per tree, 16 bytes each). */
export function iterationBytes(p: LpnParams): { receiverToSender: number; senderToReceiver: number } {
  return { receiverToSender: Math.ceil((p.t * p.h) / 8), senderToReceiver: 16 * p.t * (2 * p.h + 1) };
}

/** Refill bits per COT in steady state: one iteration's bytes over the COTs it adds to the pool. */
export function steadyBitsPerCot(p: LpnParams = FERRET_MAIN): number {
  const b = iterationBytes(p);
  return (8 * (b.receiverToSender + b.senderToReceiver)) / (p.n - consumedBy(p));
}

export function checkParams(p: LpnParams): void {
  const ok = [p.n, p.k, p.t, p.h, p.d].every((v) => Number.isInteger(v) && v > 0);
  if (!ok || p.n !== p.t * 2 ** p.h || p.h > 24 || p.d > p.k || p.n <= consumedBy(p)) {
    throw new RangeError(`Ferret: bad LPN parameters ${JSON.stringify(p)} (need n = t·2^h > k + t·h, d ≤ k)`);
  }
}
