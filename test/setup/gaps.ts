/**
 * Suites that need a program outside npm ask here whether it is there (test/setup/services.ts
 * looked before the run). A missing program skips the suite and records it, so the run ends
 * with one line saying what did not run; with LINTAS_REQUIRE_ALL_SUITES=1 the global setup has
 * already failed the run instead, so CI never skips.
 */
import { writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

/** The commands that install redis-server and nats-server, printed with the list of skipped suites. */
const BRING_REDIS = 'sudo apt-get install redis-server';
const BRING_NATS = 'sudo apt-get install nats-server';

/**
 * True when `redis-server` can be started here. When it cannot, records the calling suite (give
 * `import.meta.url`) as not run; use the result with `describe.skipIf(!hasRedisServer(...))`.
 */
export function hasRedisServer(suiteUrl: string): boolean {
  if (inject('redisServer')) return true;
  return recordGap(suiteUrl, BRING_REDIS);
}

/**
 * True when `nats-server` (with JetStream) can be started here; otherwise records the calling
 * suite as not run, like {@link hasRedisServer}.
 */
export function hasNatsServer(suiteUrl: string): boolean {
  if (inject('natsServer')) return true;
  return recordGap(suiteUrl, BRING_NATS);
}

function recordGap(suiteUrl: string, bring: string): false {
  const suite = relative(process.cwd(), fileURLToPath(suiteUrl));
  writeFileSync(join(inject('gapsDir'), `${basename(suite)}-${process.pid}.json`), JSON.stringify({ suite, bring }));
  return false;
}
