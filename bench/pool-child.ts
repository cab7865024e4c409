/**
 * One round of a two-thread pool of 1 KiB seal+open pairs, in a process of its own (started by
 * bench/run.ts, bundled with esbuild beside `pool-worker.mjs` and `pair-worker.mjs`, run with plain
 * node), as the 1 GiB runs are: the pool row of issue 17 measured without the other pool's threads,
 * the other contenders' heaps or the TypeScript loader in the same process. Arguments:
 * <pool|app-side> <warm-up ms> <measured ms> <keys.json>.
 *
 * - `pool`: lintas/node's `createWorkerPool` with 2 workers, 128 pairs per call as 4 chains of
 *   seal(32 items) then open(32 envelopes), every opened payload checked.
 * - `app-side`: 2 worker threads of unchanged lintas (bench/pair-worker.ts), each sealing and
 *   opening its half of the 128 pairs in a loop.
 *
 * The warm-up runs the same calls for the given time before the clock starts: on the 2-core VM,
 * V8 compiles lintas in each worker's isolate on its background threads after a pool starts, a
 * quarter to half a core for the first 5 s and 5-10% of one until about 14 s for the lintas pool
 * (6 s for the app-side pool, which has less code: `perf`, docs/PERFORMANCE.md, "When the worker
 * pool pays"), time taken from the workers that a steady application does not pay. Prints a
 * {@link PoolRound} as JSON.
 */
import { readFileSync } from 'node:fs';
import type { BenchKeys } from './contenders.js';
import { cryptoReady, createWorkerPool, identityKeysFromSeed } from '../src/node.js';
import { startPairThreads } from './pair-threads.js';
import { poolBatch, POOL_BATCH } from './pool-batch.js';

/** What one round measured: pairs per second and process CPU per pair (all threads). */
export interface PoolRound {
  pairsPerSecond: number;
  cpuMicrosPerPair: number;
}

async function lintasPool(keys: BenchKeys, payload: Uint8Array): Promise<{ run(): Promise<void>; close(): Promise<void> }> {
  await cryptoReady();
  const sender = await identityKeysFromSeed(Buffer.from(keys.lintasSeeds.sender, 'hex'));
  const recipient = await identityKeysFromSeed(Buffer.from(keys.lintasSeeds.recipient, 'hex'));
  const pool = await createWorkerPool({ workers: 2, sender: sender.signing, keys: [recipient.x25519] });
  return { run: poolBatch(pool, payload, recipient.x25519, sender.signing.publicKey), close: () => pool.close() };
}

async function appSidePool(keys: BenchKeys): Promise<{ run(): Promise<void>; close(): Promise<void> }> {
  const threads = await startPairThreads(new URL('./pair-worker.mjs', import.meta.url), keys.lintasSeeds);
  return { run: () => threads.run(POOL_BATCH), close: () => threads.close() };
}

const [line, warmMs, measuredMs, keysPath] = process.argv.slice(2) as [string, string, string, string];
if (line !== 'pool' && line !== 'app-side') throw new Error(`unknown pool line: ${line}`);
const keys = JSON.parse(readFileSync(keysPath, 'utf8')) as BenchKeys;
const payload = new Uint8Array(1024).map((_, i) => (i * 31) & 0xff);
const pool = line === 'pool' ? await lintasPool(keys, payload) : await appSidePool(keys);
try {
  for (const start = performance.now(); performance.now() - start < Number(warmMs); ) await pool.run();
  await pool.run();
  const cpu = process.cpuUsage();
  const start = performance.now();
  let pairs = 0;
  do {
    await pool.run();
    pairs += POOL_BATCH;
  } while (performance.now() - start < Number(measuredMs));
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const round: PoolRound = { pairsPerSecond: pairs / seconds, cpuMicrosPerPair: (used.user + used.system) / pairs };
  process.stdout.write(JSON.stringify(round));
} finally {
  await pool.close();
}
