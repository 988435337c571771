import { defineConfig } from 'vitest/config';

/**
 * The tests mutation testing runs: those that import the function's code in-process. The CLI and
 * shipped-bundle tests run the code in child processes, where a mutant is never active, and the
 * stack tests cover infra/, which is not mutated.
 *
 * The email layout test is left out too: it measures the email in Chromium, and builds its report
 * in `beforeAll`, outside any test, so Stryker counted every mutant on the report's path as
 * "static" and ran each one against every test with a fresh module load (253 of the I/O part's 758
 * mutants, 81% of its time) instead of against the few tests that cover it.
 */
export default defineConfig({
  test: {
    include: (process.env.MUTATE_TESTS ?? 'test/unit/**/*.test.ts,test/integration/**/*.test.ts').split(','),
    exclude: ['test/integration/cli.test.ts', 'test/integration/email-layout.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
