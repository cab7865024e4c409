/**
 * Argon2id on a short-lived worker thread (Node), so that its memory goes back to the system
 * when the hash is done. libsodium runs Argon2id inside its WebAssembly memory, and WebAssembly
 * memory can grow but never shrink: run in the caller's thread, a key ring unlock at the default
 * cost (64 MiB) would keep those 64 MiB for the rest of the process, on top of everything a long
 * command streams (docs/PERFORMANCE.md, "The CLI on large files"). A worker has a libsodium and a
 * WebAssembly memory of its own, and terminating it frees both.
 *
 * The worker is CommonJS run by `eval`, which resolves modules from the working folder, not from
 * lintas: the caller resolves libsodium's CommonJS entry from this file's location
 * (`import.meta.url`; tsup's shim gives it to the CommonJS build) and hands the worker the path.
 * The passphrase and the derived key cross in a SharedArrayBuffer that the caller wipes, so no
 * copy of either is left in a message queue; the worker's memory, WebAssembly heap included, is
 * unmapped when it is terminated.
 *
 * This file is reachable from the browser entry: it never imports node:* modules statically (see
 * `node-bulk.ts`), and on a runtime without them {@link loadNodeArgon2} gives null, so Argon2id
 * runs in the caller's thread as before.
 */
import { loadNodeModule } from './node-bulk.js';

type WorkerThreads = typeof import('node:worker_threads');
type NodeModule = typeof import('node:module');
/** Argon2id's cost (`argon2.ts`, `Argon2idParams`). */
interface Cost {
  opslimit: number;
  memlimit: number;
}

/**
 * Argon2id on a worker thread: the key, or null if no worker could be started or load libsodium
 * (the caller then runs it in its own thread); rejects with Argon2id's own error.
 */
export type WorkerArgon2id = (passphrase: Uint8Array, salt: Uint8Array, params: Cost, length: number) => Promise<Uint8Array | null>;

/**
 * The worker: loads libsodium from the path it is given, derives the key from the passphrase in
 * the shared buffer, writes the key after it, and says so. Errors are posted as their message,
 * with the stage that failed: loading libsodium (the caller falls back) or Argon2id itself.
 */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { sodiumEntry, shared, passphraseLength, salt, opslimit, memlimit, length } = workerData;
const view = new Uint8Array(shared);
Promise.resolve()
  .then(() => {
    const sodium = require(sodiumEntry);
    return sodium.ready.then(() => sodium);
  })
  .catch((e) => {
    parentPort.postMessage({ ok: false, stage: 'load', message: String((e && e.message) || e) });
    return null;
  })
  .then((sodium) => {
    if (sodium === null) return;
    const passphrase = view.slice(0, passphraseLength);
    try {
      const key = sodium.crypto_pwhash(length, passphrase, salt, opslimit, memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
      view.set(key, passphraseLength);
      key.fill(0);
    } finally {
      passphrase.fill(0);
    }
    parentPort.postMessage({ ok: true });
  })
  .catch((e) => parentPort.postMessage({ ok: false, stage: 'argon2id', message: String((e && e.message) || e) }));
`;

/**
 * The worker-thread Argon2id of this Node, or null where there are no worker threads or
 * libsodium's CommonJS entry cannot be found from here (a bundle that inlined libsodium): the
 * caller then runs Argon2id in its own thread.
 */
export async function loadNodeArgon2(): Promise<WorkerArgon2id | null> {
  const wt = await loadNodeModule<WorkerThreads>('node:worker_threads');
  const nodeModule = await loadNodeModule<NodeModule>('node:module');
  if (wt === null || nodeModule === null) return null;
  let sodiumEntry: string;
  try {
    sodiumEntry = nodeModule.createRequire(import.meta.url).resolve('libsodium-wrappers-sumo');
  } catch {
    return null;
  }
  return (passphrase, salt, params, length) => runInWorker(wt, sodiumEntry, passphrase, salt, params, length);
}

async function runInWorker(
  wt: WorkerThreads,
  sodiumEntry: string,
  passphrase: Uint8Array,
  salt: Uint8Array,
  params: Cost,
  length: number,
): Promise<Uint8Array | null> {
  const view = new Uint8Array(new SharedArrayBuffer(passphrase.length + length));
  view.set(passphrase);
  try {
    let worker: InstanceType<WorkerThreads['Worker']>;
    try {
      worker = new wt.Worker(WORKER_SOURCE, {
      eval: true,
      // Not the parent's loader flags (a TypeScript loader would slow the start and cost memory).
      execArgv: [],
      workerData: {
        sodiumEntry,
        shared: view.buffer,
        passphraseLength: passphrase.length,
        salt: salt.slice(),
        opslimit: params.opslimit,
        memlimit: params.memlimit,
        length,
      },
      });
    } catch {
      return null; // no threads here (a sandbox, a restricted runtime)
    }
    let loaded = true;
    try {
      // Kept referenced while it runs: the caller awaits it, and an unreferenced worker would let
      // a process with nothing else to do exit before the key ring is open.
      await new Promise<void>((resolve, reject) => {
        worker.once('message', (m: { ok: boolean; stage?: 'load' | 'argon2id'; message?: string }) => {
          if (m.ok) return resolve();
          if (m.stage === 'load') {
            loaded = false;
            return resolve();
          }
          reject(new Error(`lintas: Argon2id failed in its worker thread: ${m.message}`));
        });
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`lintas: the Argon2id worker thread exited (${code}) without a result`)));
      });
    } finally {
      // Its WebAssembly memory, the point of the worker, goes with it.
      await worker.terminate();
    }
    return loaded ? view.slice(passphrase.length) : null;
  } finally {
    view.fill(0);
  }
}
