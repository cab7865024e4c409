import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Programs outside npm (redis-server): installed where possible, else their suites are
    // skipped and named at the end; LINTAS_REQUIRE_ALL_SUITES=1 (CI) makes that a failure.
    globalSetup: ['test/setup/services.ts'],
    // The JSON report lets .ci/run print a plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
