/**
 * Fixtures bundled once with esbuild and run by plain node: a process start then costs about a
 * fifth of the CPU time of `node --import tsx`, which matters for tests that start hundreds of
 * processes only to kill them. Bundles go to node_modules/.cache, so the packages they import
 * (libsodium, redis) resolve as in an install.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { Worker } from '../transports/process-helpers.js';

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
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<number | null>((res) =>
    child.on('close', (code) => {
      for (const w of [...waiters]) w();
      res(code);
    }),
  );
  return {
    child,
    lines,
    exited,
    waitForLine(predicate, what) {
      return new Promise((res, reject) => {
        const timer = setTimeout(() => done(new Error(`${bundle}: no "${what}" within 30 s; stderr: ${stderr}`)), 30_000);
        const check = (): void => {
          const line = lines.find(predicate);
          if (line !== undefined) done(null, line);
          else if (child.exitCode !== null || child.signalCode !== null) done(new Error(`${bundle} exited before "${what}"; stderr: ${stderr}`));
        };
        const done = (err: Error | null, line?: string): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else res(line!);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
