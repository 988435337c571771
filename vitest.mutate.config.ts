import { defineConfig } from 'vitest/config';

/**
 * The tests mutation testing runs: those that import the function's code in-process. The CLI and
 * shipped-bundle tests run the code in child processes, where a mutant is never active, and the
 * stack tests cover infra/, which is not mutated.
 */
export default defineConfig({
  test: {
    include: (process.env.MUTATE_TESTS ?? 'test/unit/**/*.test.ts,test/integration/**/*.test.ts').split(','),
    exclude: ['test/integration/cli.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
