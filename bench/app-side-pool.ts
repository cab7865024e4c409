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
import { Worker } from 'node:worker_threads';
import { bundleForNode } from './bundle-for-node.js';
import { pack, unpack, type Packed } from './packed.js';

/** Items per batch handed to a thread, as the pool's jobs. */
export const HAND_BACK_BATCH = 32;

export interface AppSidePool {
  /** Runs `pairs` pairs split evenly over its threads; resolves when all are done. */
  run(pairs: number): Promise<void>;
  /**
   * Seals and opens `pairs` copies of `payload` (a multiple of {@link HAND_BACK_BATCH}) as chains
   * of one batch sealed, its envelopes handed back, sent again and opened, the payloads handed
   * back; all chains at once, spread over the threads. Throws if a payload comes back changed.
   */
  runHandingBack(pairs: number, payload: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** One thread and the answers it owes, in order. */
interface Thread {
  worker: Worker;
  waiting: { resolve(answer: unknown): void; reject(e: unknown): void }[];
}

/** Start `threads` pair workers with the sender and recipient of these hex seeds. */
export async function appSidePool(seeds: { sender: string; recipient: string }, threads = 2): Promise<AppSidePool> {
  const outdir = mkdtempSync(join(tmpdir(), 'lintas-app-pool-'));
  await bundleForNode([fileURLToPath(new URL('./pair-worker.ts', import.meta.url))], outdir);
  const pool: Thread[] = await Promise.all(
    Array.from({ length: threads }, async () => {
      const worker = new Worker(join(outdir, 'pair-worker.mjs'), { workerData: seeds, execArgv: [] });
      await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
      const thread: Thread = { worker, waiting: [] };
      worker.on('message', (answer) => thread.waiting.shift()?.resolve(answer));
      worker.on('error', (e) => {
        for (const w of thread.waiting.splice(0)) w.reject(e);
      });
      return thread;
    }),
  );
  const ask = <T>(thread: Thread, job: unknown, transfer: ArrayBuffer[] = []): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      thread.waiting.push({ resolve: resolve as (answer: unknown) => void, reject });
      thread.worker.postMessage(job, transfer);
    });
  const chain = async (thread: Thread, payload: Uint8Array): Promise<void> => {
    const payloads = pack(Array.from({ length: HAND_BACK_BATCH }, () => payload));
    const envelopes = await ask<Packed>(thread, { seal: payloads }, [payloads.bytes.buffer as ArrayBuffer]);
    const opened = await ask<Packed>(thread, { open: envelopes }, [envelopes.bytes.buffer as ArrayBuffer]);
    for (const p of unpack(opened)) {
      if (p.length !== payload.length || p[p.length - 1] !== payload[payload.length - 1]) throw new Error('the app-side pool lost a pair');
    }
  };
  return {
    run: async (pairs) => void (await Promise.all(pool.map((t) => ask(t, pairs / threads)))),
    runHandingBack: async (pairs, payload) => {
      if (pairs % HAND_BACK_BATCH !== 0) throw new RangeError(`pairs must be a multiple of ${HAND_BACK_BATCH}`);
      await Promise.all(Array.from({ length: pairs / HAND_BACK_BATCH }, (_, i) => chain(pool[i % threads]!, payload)));
    },
    close: async () => {
      await Promise.all(pool.map((t) => t.worker.terminate()));
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}
