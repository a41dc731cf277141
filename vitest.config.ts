import { defineConfig } from 'vitest/config';

// The default suite must stay well under ten minutes on a 2-core machine. Slow, full-size runs
// live in bench/. Set CIPHERPRUNE_SLOW=1 to include tests marked slow.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
