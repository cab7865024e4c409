/**
 * The application-side pool of bench/run.ts (its reference line for `createWorkerPool`), for
 * bench/worker-pool.ts: two worker threads of unchanged lintas, each sealing and opening 1 KiB
 * pairs in a loop (bench/pair-worker.ts, bundled with esbuild and started with plain node, as
 * run.ts does), so the pool can be set against it in the same rounds of one process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bundleForNode } from './bundle-for-node.js';

/** Runs `pairs` pairs split evenly over its threads; resolves when all are done. */
export interface AppSidePool {
  run(pairs: number): Promise<void>;
  close(): Promise<void>;
}

/** Start `threads` pair workers with the sender and recipient of these hex seeds. */
export async function appSidePool(seeds: { sender: string; recipient: string }, threads = 2): Promise<AppSidePool> {
  const outdir = mkdtempSync(join(tmpdir(), 'lintas-app-pool-'));
  await bundleForNode([fileURLToPath(new URL('./pair-worker.ts', import.meta.url))], outdir);
  const workers = await Promise.all(
    Array.from({ length: threads }, async () => {
      const w = new Worker(join(outdir, 'pair-worker.mjs'), { workerData: seeds, execArgv: [] });
      await new Promise((resolve, reject) => w.once('message', resolve).once('error', reject));
      return w;
    }),
  );
  const each = (w: Worker, pairs: number) =>
    new Promise<void>((resolve, reject) => {
      const done = () => {
        w.off('error', reject);
        resolve();
      };
      w.once('message', done).once('error', reject).postMessage(pairs);
    });
  return {
    run: async (pairs) => void (await Promise.all(workers.map((w) => each(w, pairs / threads)))),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}
