/**
 * The pool row of issue 17 with each round in a process of its own (bench/pool-child.ts): the
 * lintas pool and the application-side pool alternate, one child per line per round, as the
 * 1 GiB lines do, and every ratio is taken per round. Why a process each: in the bench's own
 * process the two pools' four worker isolates and the other contenders share V8's background
 * threads and the calling thread, and the lintas pool there used 15-19% more CPU per pair than
 * in a process of its own (docs/PERFORMANCE.md, "When the worker pool pays").
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundleForNode } from './bundle-for-node.js';
import type { PoolRound } from './pool-child.js';

export type PoolLine = 'pool' | 'app-side';

/** Bundle the child, the pool's worker and the app-side pool's thread into `dir`; returns the child's path. */
export async function bundlePoolChild(dir: string): Promise<string> {
  const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
  await bundleForNode({ 'pool-child': here('./pool-child.ts'), 'pool-worker': here('../src/pool/pool-worker.ts'), 'pair-worker': here('./pair-worker.ts') }, dir);
  return join(dir, 'pool-child.mjs');
}

/** One round of one line in a fresh process: `warmMs` of the same calls, then at least `measuredMs` timed. */
export async function runPoolRound(child: string, line: PoolLine, warmMs: number, measuredMs: number, keysPath: string): Promise<PoolRound> {
  const { stdout } = await promisify(execFile)(process.execPath, [child, line, String(warmMs), String(measuredMs), keysPath], {
    timeout: 5 * 60 * 1000,
  });
  return JSON.parse(stdout) as PoolRound;
}
