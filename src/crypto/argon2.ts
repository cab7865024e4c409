/**
 * Argon2id (RFC 9106) password hashing through libsodium's `crypto_pwhash` (sumo build), for
 * turning a passphrase into the key that protects a key ring at rest. libsodium runs Argon2id
 * with one lane (p = 1); the cost is set by `opslimit` (passes, t) and `memlimit` (bytes, m).
 *
 * On Node, a hash over more than {@link ARGON2ID_WORKER_MIN_MEMLIMIT} runs on a short-lived
 * worker thread (`node-argon2.ts`): libsodium's WebAssembly memory never shrinks, so in the
 * caller's thread the default cost would keep 64 MiB for the rest of the process. Browsers, and
 * a Node without worker threads, run it in the caller's thread. The key is the same either way.
 */
import { loadNodeArgon2, type WorkerArgon2id } from './node-argon2.js';
import { sodium } from './sodium.js';

/** Argon2id salt size in bytes (libsodium `crypto_pwhash_SALTBYTES`). */
export const ARGON2ID_SALT_BYTES = 16;

/**
 * From this much Argon2id memory on, Node runs the hash on a worker thread. Below it, the memory
 * the caller's WebAssembly heap would keep is smaller than what a worker costs while it runs (its
 * own V8 isolate and libsodium, about 15 MiB) and starting it (about 0.1 s) would dominate the
 * hash: the key ring floor of 8 MiB, which the test suites use, stays in-thread.
 */
export const ARGON2ID_WORKER_MIN_MEMLIMIT = 16 * 1024 * 1024;

/** Argon2id cost parameters. `memlimit` is in bytes and must be a multiple of 1 KiB. */
export interface Argon2idParams {
  /** Number of passes over memory (t). */
  opslimit: number;
  /** Memory in bytes (m). */
  memlimit: number;
}

let workerArgon2id: Promise<WorkerArgon2id | null> | undefined;

/**
 * Derive `length` bytes from `passphrase` with Argon2id. Callers validate the parameters
 * against their own floor and ceiling first, in their own thread: libsodium enforces only its
 * absolute limits.
 */
export async function argon2id(passphrase: Uint8Array, salt: Uint8Array, params: Argon2idParams, length: number): Promise<Uint8Array> {
  if (salt.length !== ARGON2ID_SALT_BYTES) throw new RangeError(`Argon2id salt must be ${ARGON2ID_SALT_BYTES} bytes`);
  if (params.memlimit >= ARGON2ID_WORKER_MIN_MEMLIMIT) {
    const inWorker = await (workerArgon2id ??= loadNodeArgon2());
    const key = inWorker && (await inWorker(passphrase, salt, params, length));
    if (key) return key;
  }
  return argon2idInThread(passphrase, salt, params, length);
}

/**
 * {@link argon2id} in the caller's thread, whatever the runtime: its WebAssembly memory grows by
 * `memlimit` for good. For comparison with the worker in tests and benchmarks.
 */
export function argon2idInThread(passphrase: Uint8Array, salt: Uint8Array, params: Argon2idParams, length: number): Uint8Array {
  const s = sodium();
  if (salt.length !== ARGON2ID_SALT_BYTES) throw new RangeError(`Argon2id salt must be ${ARGON2ID_SALT_BYTES} bytes`);
  return s.crypto_pwhash(length, passphrase, salt, params.opslimit, params.memlimit, s.crypto_pwhash_ALG_ARGON2ID13);
}
