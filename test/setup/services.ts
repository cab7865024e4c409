/**
 * Vitest global setup: makes sure the programs that some suites need are there before any test
 * runs, so `npm test` passes on a machine with only Node 20.
 *
 * - `redis-server` (Redis suites) and `nats-server` (NATS JetStream suites): used from the PATH;
 *   when missing and we are root on a Debian/Ubuntu machine, installed with apt-get (as .ci/run
 *   does). No npm package ships them.
 * - Chromium (browser suite): the system one, else the binary inside the `@sparticuz/chromium`
 *   dev dependency (test/browser/chromium.ts); nothing to do here.
 *
 * When a program is still missing, the suites that need it are skipped (test/setup/gaps.ts) and
 * the run ends with one line naming them and the command that brings them. With
 * LINTAS_REQUIRE_ALL_SUITES=1 (set by .ci/run) a missing program fails the run instead, so CI
 * always runs everything.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/** What the suites can rely on; read in tests with `inject(...)` (see test/setup/gaps.ts). */
declare module 'vitest' {
  export interface ProvidedContext {
    /** True when `redis-server` runs on this machine. */
    redisServer: boolean;
    /** True when `nats-server` runs on this machine. */
    natsServer: boolean;
    /** True when gaps must fail the run (LINTAS_REQUIRE_ALL_SUITES=1). */
    requireAllSuites: boolean;
    /** A folder where skipped suites leave one file each, read back at the end of the run. */
    gapsDir: string;
  }
}

function runs(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** apt-get is usable: root (no password prompt in a test run) and a Debian-family system. */
function canAptInstall(): boolean {
  return process.platform === 'linux' && typeof process.getuid === 'function' && process.getuid() === 0 && runs('apt-get', ['--version']);
}

/** `program` runs, or was just installed from the Debian package of the same name. */
function ensureDebianProgram(program: string): boolean {
  if (runs(program, ['--version'])) return true;
  if (!canAptInstall()) return false;
  console.log(`[lintas tests] ${program} is missing: installing it with apt-get (as .ci/run does)`);
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', program], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    return false;
  }
  return runs(program, ['--version']);
}

export default function setup(project: TestProject): () => void {
  const requireAllSuites = process.env.LINTAS_REQUIRE_ALL_SUITES === '1';
  const redisServer = ensureDebianProgram('redis-server');
  const natsServer = ensureDebianProgram('nats-server');
  for (const [program, present] of [['redis-server', redisServer], ['nats-server', natsServer]] as const) {
    if (!present && requireAllSuites) {
      throw new Error(`LINTAS_REQUIRE_ALL_SUITES=1 but ${program} is not installed and could not be installed: \`apt-get install ${program}\``);
    }
  }
  const gapsDir = mkdtempSync(join(tmpdir(), 'lintas-test-gaps-'));
  project.provide('redisServer', redisServer);
  project.provide('natsServer', natsServer);
  project.provide('requireAllSuites', requireAllSuites);
  project.provide('gapsDir', gapsDir);

  return () => {
    const gaps = readdirSync(gapsDir).map((f) => JSON.parse(readFileSync(join(gapsDir, f), 'utf8')) as { suite: string; bring: string });
    rmSync(gapsDir, { recursive: true, force: true });
    if (gaps.length === 0) return;
    const suites = [...new Set(gaps.map((g) => g.suite))].sort();
    const bring = [...new Set(gaps.map((g) => g.bring))].join(' && ');
    console.log(`[lintas tests] not run, a program is missing: the tests that need it in ${suites.join(', ')}; run \`${bring}\` and npm test again`);
  };
}
