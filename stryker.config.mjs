// Mutation testing of the report function: `npm run mutate` (Stryker 10, which needs Node.js 22:
// npm runs it with the repository's own node from node_modules/.bin).
// Scores are required per part: MUTATE_PART=core (>= 90%) or MUTATE_PART=io, the adapters, the
// handler and the config (>= 80%). Equivalent mutants are disabled in the code with a comment
// saying why (// Stryker disable next-line …: reason).
// MUTATE_FRESH=1 (`npm run mutate:fresh`) tests every mutant again, neither reading nor writing
// the incremental file: the independent measure, not one that trusts an earlier run's results.
const part = process.env.MUTATE_PART ?? 'core';
const fresh = process.env.MUTATE_FRESH === '1';
// Runs side by side (one file each, `--tempDirName` apart) keep their reports apart too.
const reports = process.env.MUTATE_REPORTS ?? 'reports/mutation';
// The pure core answers to its unit tests alone; the I/O parts to the integration tests too.
const parts = {
  core: { mutate: ['functions/report/core/**/*.ts'], break: 90, tests: ['test/unit/**/*.test.ts'] },
  io: {
    mutate: [
      'functions/report/adapters/**/*.ts',
      'functions/report/channels/**/*.ts',
      'functions/report/deliver.ts',
      'functions/report/handler.ts',
      'functions/report/config.ts',
      'functions/report/run-report.ts',
      'functions/report/errors.ts',
    ],
    break: 80,
    tests: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
  },
};
const { mutate, break: breakAt, tests } = parts[part];
process.env.MUTATE_TESTS = tests.join(',');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate,
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 20_000,
  thresholds: { high: 95, low: breakAt, break: breakAt },
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${reports}/${part}.html` },
  jsonReporter: { fileName: `${reports}/${part}.json` },
  // Re-runs only the mutants whose code or tests changed since the last run (unless fresh).
  incremental: !fresh,
  incrementalFile: `${reports}/${part}.incremental.json`,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
