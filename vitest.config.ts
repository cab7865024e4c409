import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most suites wait on child processes, servers and disks rather than compute: at the default
    // (one fork per core) a 2-core machine sat at about 45% CPU. Four forks keep both cores busy
    // (measured: 397 s -> 322 s for the suite, same machine and load, nothing flaky).
    maxWorkers: 4,
    // Programs outside npm (redis-server): installed where possible, else their suites are
    // skipped and named at the end; LINTAS_REQUIRE_ALL_SUITES=1 (CI) makes that a failure.
    globalSetup: ['test/setup/services.ts'],
    // The JSON report lets .ci/run print a plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
