import { defineConfig } from 'vitest/config';

// The default suite must stay well under ten minutes on a 2-core machine. Slow, full-size runs
// live in bench/. Set CIPHERPRUNE_SLOW=1 to include tests marked slow.
// Sessions default to IKNP here (CIPHERPRUNE_OT, src/crypto/ot/backends.ts): tiny test programs pay
// Ferret's ≈ 2 MB bootstrap for nothing. Tests about OT, the end-to-end runs (test/exec/run,
// two-process, the demo) and the conformance suites select Ferret explicitly; the product default
// is Ferret. Set CIPHERPRUNE_OT=ferret to run everything on Ferret.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Vitest's default on a machine of n cores is n − 1 workers: one on the 2-core CI machine,
    // leaving a core idle while most tests are CPU-bound in one process.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    env: { CIPHERPRUNE_OT: process.env.CIPHERPRUNE_OT ?? 'iknp' },
  },
});
