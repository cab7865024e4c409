/**
 * Fixtures bundled once with esbuild and run by plain node: a process start then costs about a
 * fifth of the CPU time of `node --import tsx`, which matters for tests that start hundreds of
 * processes only to kill them. Bundles go to node_modules/.cache, so the packages they import
 * (libsodium, redis) resolve as in an install.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { workerOf, type Worker } from '../transports/process-helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Bundle a TypeScript fixture; returns the path of the bundle and a function that removes it. */
export async function bundleFixture(script: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const dir = join(ROOT, 'node_modules', '.cache', 'lintas-faults-test');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${basename(script, '.ts')}-${process.pid}-${Math.random().toString(36).slice(2)}.mjs`);
  await build({ entryPoints: [script], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: path, packages: 'external', logLevel: 'error' });
  return { path, remove: () => rm(path, { force: true }) };
}

/** Run a bundle with plain node; the same interface as startWorker of test/transports/process-helpers.ts. */
export function startBundledWorker(bundle: string, args: string[], env: NodeJS.ProcessEnv = {}): Worker {
  const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  return workerOf(child, bundle);
}
