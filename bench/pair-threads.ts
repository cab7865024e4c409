/**
 * The threads of the application-side pool (bench/app-side-pool.ts): `threads` workers running
 * the bundled bench/pair-worker.ts, and the two ways the bench drives them; apart from the
 * bundling, so that bench/pool-child.ts, itself a bundle, can start them from its own folder.
 * `runHandingBack` moves batches of the lintas pool's job size ({@link POOL_CHAIN} items).
 */
import { Worker } from 'node:worker_threads';
import { pack, unpack, type Packed } from './packed.js';
import { POOL_CHAIN } from './pool-batch.js';

export interface AppSidePool {
  /** Runs `pairs` pairs split evenly over its threads; resolves when all are done. */
  run(pairs: number): Promise<void>;
  /**
   * Seals and opens `pairs` copies of `payload` (a multiple of {@link POOL_CHAIN}) as chains
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

/** Start `threads` workers of the bundled pair worker `file`, with the sender and recipient of these hex seeds. */
export async function startPairThreads(file: string | URL, seeds: { sender: string; recipient: string }, threads = 2): Promise<AppSidePool> {
  const pool: Thread[] = await Promise.all(
    Array.from({ length: threads }, async () => {
      const worker = new Worker(file, { workerData: seeds, execArgv: [] });
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
    const payloads = pack(Array.from({ length: POOL_CHAIN }, () => payload));
    const envelopes = await ask<Packed>(thread, { seal: payloads }, [payloads.bytes.buffer as ArrayBuffer]);
    const opened = await ask<Packed>(thread, { open: envelopes }, [envelopes.bytes.buffer as ArrayBuffer]);
    for (const p of unpack(opened)) {
      if (p.length !== payload.length || p[p.length - 1] !== payload[payload.length - 1]) throw new Error('the app-side pool lost a pair');
    }
  };
  return {
    run: async (pairs) => void (await Promise.all(pool.map((t) => ask(t, pairs / threads)))),
    runHandingBack: async (pairs, payload) => {
      if (pairs % POOL_CHAIN !== 0) throw new RangeError(`pairs must be a multiple of ${POOL_CHAIN}`);
      await Promise.all(Array.from({ length: pairs / POOL_CHAIN }, (_, i) => chain(pool[i % threads]!, payload)));
    },
    close: async () => void (await Promise.all(pool.map((t) => t.worker.terminate()))),
  };
}
