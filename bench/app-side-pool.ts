/**
 * The application-side pool of bench/run.ts (its reference line for `createWorkerPool`), for
 * bench/worker-pool.ts too: two worker threads of unchanged lintas (bench/pair-worker.ts, bundled
 * with esbuild and started with plain node, as run.ts does), so the pool can be set against it in
 * the same rounds of one process. Two ways to use them:
 *
 * - `run`: each thread seals and opens its share of the pairs in a loop; only a number crosses
 *   between threads. The most an application gets from two threads of lintas.
 * - `runHandingBack`: the pool row's own shape (chains of seal(32) then open(32)), with each
 *   batch's payloads sent to a thread and its envelopes, then its payloads, handed back: what any
 *   pool API must move between threads, done with one transferred buffer per batch each way and
 *   nothing else (no argument checks, no result objects, no shared keys).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from './bundle-for-node.js';
import { startPairThreads, type AppSidePool } from './pair-threads.js';

/** Bundle bench/pair-worker.ts and start `threads` of it with the sender and recipient of these hex seeds. */
export async function appSidePool(seeds: { sender: string; recipient: string }, threads = 2): Promise<AppSidePool> {
  const outdir = mkdtempSync(join(tmpdir(), 'lintas-app-pool-'));
  await bundleForNode([fileURLToPath(new URL('./pair-worker.ts', import.meta.url))], outdir);
  const pool = await startPairThreads(join(outdir, 'pair-worker.mjs'), seeds, threads);
  return {
    ...pool,
    close: async () => {
      await pool.close();
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}
