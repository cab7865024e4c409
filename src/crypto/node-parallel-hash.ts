/**
 * SHA-256 of a large payload on a second thread, so that on Node hashing overlaps with
 * ChaCha20-Poly1305 instead of following it: SHA-256 costs about as much as the cipher, so this
 * is what lets sealing and opening approach the cipher's own speed (docs/PERFORMANCE.md).
 *
 * The format is untouched: it is the same SHA-256 of the same bytes in the same order, computed
 * by OpenSSL in a worker thread. The caller's thread copies each piece into a ring buffer shared
 * with the worker (a SharedArrayBuffer) and moves on, waking the worker only if it sleeps, once
 * per batch ({@link WAKE_BYTES}); `digest()` waits for the worker to catch up. It is synchronous for the caller (Atomics.wait, which Node allows on its main thread), so
 * it is a drop-in {@link IncrementalHash}.
 *
 * One worker, started on first use (about 40 ms, once per process, overlapping with the first
 * hash) and unref'd (it never keeps a process alive), serves one hash at a time; a second
 * concurrent hash gets null and the caller hashes in its own thread.
 */
import type { IncrementalHash } from './bulk-backend.js';

type WorkerThreads = typeof import('node:worker_threads');

/** Ring size: a power of two. 4 MiB lets the caller run well ahead of the worker. */
const RING_BYTES = 1 << 22;
/** Byte counters wrap at 2^31 (they live in an Int32Array). */
const COUNTER_MASK = 0x7fffffff;
/**
 * A sleeping worker is woken once this many bytes wait in the ring (or a command, or the end of
 * the expected input, is near), not for every piece: each wake costs the caller an
 * `Atomics.notify` (a lock and a futex wake, several microseconds) and the worker a wake-up.
 */
const WAKE_BYTES = 1 << 18;
/** How long to wait for a worker that makes no progress before giving up on it. */
const STALL_LIMIT_MS = 30_000;

// Slots of the shared control block.
const WRITTEN = 0; // bytes written into the ring, mod 2^31 (caller)
const READ = 1; // bytes hashed, mod 2^31 (worker)
const COMMAND = 2; // DIGEST or RESET, set by the caller, cleared by the worker when done
const DONE = 3; // commands completed (worker)
const SIGNAL = 4; // bumped by the caller to wake the worker, which sleeps on it
const WORKER_ASLEEP = 5; // 1 while the worker is (about to be) asleep on SIGNAL
const CALLER_ASLEEP = 6; // 1 while the caller is (about to be) asleep on READ, the ring being full
const CONTROL_SLOTS = 7;
const DIGEST = 1;
const RESET = 2;

/** The worker: hashes what arrives in the ring, answers DIGEST and RESET. CommonJS, run by eval. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const control = new Int32Array(workerData.control);
const ring = new Uint8Array(workerData.ring);
const result = new Uint8Array(workerData.result);
const MASK = ring.length - 1;
let hash = createHash('sha256');
let read = 0;
const finish = () => {
  Atomics.store(control, ${COMMAND}, 0);
  Atomics.add(control, ${DONE}, 1);
  Atomics.notify(control, ${DONE});
};
for (;;) {
  const command = Atomics.load(control, ${COMMAND});
  if (command === ${RESET}) {
    read = Atomics.load(control, ${WRITTEN});
    Atomics.store(control, ${READ}, read);
    hash = createHash('sha256');
    finish();
    continue;
  }
  const written = Atomics.load(control, ${WRITTEN});
  if (written !== read) {
    const at = read & MASK;
    const n = Math.min((written - read) & ${COUNTER_MASK}, ring.length - at);
    hash.update(ring.subarray(at, at + n));
    read = (read + n) & ${COUNTER_MASK};
    Atomics.store(control, ${READ}, read);
    if (Atomics.load(control, ${CALLER_ASLEEP}) === 1) Atomics.notify(control, ${READ});
    continue;
  }
  if (command === ${DIGEST}) {
    result.set(hash.digest());
    hash = createHash('sha256');
    finish();
    continue;
  }
  // Nothing to do: say so, then look once more before sleeping. The caller stores WRITTEN or
  // COMMAND before it reads WORKER_ASLEEP, so either this look sees its work or it sees the
  // flag and bumps SIGNAL, which makes the wait return at once.
  const signal = Atomics.load(control, ${SIGNAL});
  Atomics.store(control, ${WORKER_ASLEEP}, 1);
  if (Atomics.load(control, ${WRITTEN}) === read && Atomics.load(control, ${COMMAND}) === 0) {
    Atomics.wait(control, ${SIGNAL}, signal);
  }
  Atomics.store(control, ${WORKER_ASLEEP}, 0);
}
`;

/**
 * A source of worker-thread SHA-256 hashes: call it for a hash, null if the worker is busy with
 * another one (or broken).
 */
export type ParallelSha256Factory = (expectedBytes?: number) => IncrementalHash | null;

/**
 * The factory behind the Node backend's `createParallelSha256`. `expectedBytes`, if known, lets
 * the caller wake the worker for the input's last bytes at once, so that `digest()` does not
 * wait for a whole batch to be hashed.
 */
export function parallelSha256Factory(wt: WorkerThreads): ParallelSha256Factory {
  let channel: Channel | null = null;
  let broken = false;
  return (expectedBytes) => {
    if (broken) return null;
    try {
      channel ??= new Channel(wt);
    } catch {
      broken = true; // no threads here (a sandbox, a restricted runtime): hash in-thread
      return null;
    }
    try {
      return channel.acquire(expectedBytes ?? Infinity, () => {
        broken = true;
      });
    } catch {
      return null; // the worker did not answer the reset (it died): hash in-thread from now on
    }
  };
}

class Channel {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  private readonly ring = new Uint8Array(new SharedArrayBuffer(RING_BYTES));
  private readonly result = new Uint8Array(new SharedArrayBuffer(32));
  private written = 0;
  /** Bytes the current hash still expects (Infinity: not known). */
  private left = Infinity;
  private busy = false;
  private used = false;

  constructor(wt: WorkerThreads) {
    const worker = new wt.Worker(WORKER_SOURCE, {
      eval: true,
      // Not the parent's loader flags (a TypeScript loader would slow the start and cost memory).
      execArgv: [],
      workerData: { control: this.control.buffer, ring: this.ring.buffer, result: this.result.buffer },
    });
    worker.unref();
  }

  acquire(expectedBytes: number, onStall: () => void): IncrementalHash | null {
    if (this.busy) return null;
    this.busy = true;
    this.left = expectedBytes;
    let owned = true;
    const release = () => {
      if (owned) {
        owned = false;
        this.busy = false;
      }
    };
    const guard = <T>(step: () => T): T => {
      if (!owned) throw new Error('lintas: this SHA-256 was already finished');
      try {
        return step();
      } catch (e) {
        onStall(); // the worker cannot be trusted to be in step any more
        release();
        throw e;
      }
    };
    // A fresh worker needs no reset, so the first hash does not wait for the thread to start
    // (about 40 ms): it fills the ring meanwhile.
    if (this.used) guard(() => this.command(RESET));
    this.used = true;
    return {
      update: (data) => guard(() => this.write(data)),
      digest: () => {
        const digest = guard(() => {
          this.command(DIGEST);
          return this.result.slice();
        });
        release();
        return digest;
      },
      release,
    };
  }

  private write(data: Uint8Array): void {
    let off = 0;
    while (off < data.length) {
      const read = Atomics.load(this.control, READ);
      const free = RING_BYTES - ((this.written - read) & COUNTER_MASK);
      if (free === 0) {
        this.waitForRoom(read);
        continue;
      }
      const at = this.written & (RING_BYTES - 1);
      const n = Math.min(free, RING_BYTES - at, data.length - off);
      this.ring.set(data.subarray(off, off + n), at);
      off += n;
      this.written = (this.written + n) & COUNTER_MASK;
      this.left -= n;
      Atomics.store(this.control, WRITTEN, this.written);
      this.wakeIfAsleep();
    }
  }

  private command(command: number): void {
    const done = Atomics.load(this.control, DONE);
    Atomics.store(this.control, COMMAND, command);
    this.wake();
    this.waitWhile(DONE, done);
  }

  /**
   * After a write: wake the worker if it sleeps and a batch of {@link WAKE_BYTES} waits, or the
   * input's end is near. A busy worker finds new bytes by itself (it sleeps only on an empty
   * ring), so it is never notified, and a sleeping one is notified once per batch, not per piece.
   */
  private wakeIfAsleep(): void {
    if (Atomics.load(this.control, WORKER_ASLEEP) !== 1) return;
    const waiting = (this.written - Atomics.load(this.control, READ)) & COUNTER_MASK;
    if (waiting >= WAKE_BYTES || this.left <= WAKE_BYTES) this.wake();
  }

  /** Wake the worker: bump SIGNAL (so a wait about to start returns at once) and notify it. */
  private wake(): void {
    if (Atomics.load(this.control, WORKER_ASLEEP) === 1) {
      Atomics.add(this.control, SIGNAL, 1);
      Atomics.notify(this.control, SIGNAL);
    }
  }

  /** The ring is full: sleep until the worker has hashed some of it (it notifies only sleepers). */
  private waitForRoom(read: number): void {
    Atomics.store(this.control, CALLER_ASLEEP, 1);
    try {
      this.waitWhile(READ, read);
    } finally {
      Atomics.store(this.control, CALLER_ASLEEP, 0);
    }
  }

  /** Sleep until control[index] changes; throw if the worker makes no progress for STALL_LIMIT_MS. */
  private waitWhile(index: number, value: number): void {
    const start = Date.now();
    while (Atomics.load(this.control, index) === value) {
      Atomics.wait(this.control, index, value, 1000);
      if (Atomics.load(this.control, index) === value && Date.now() - start > STALL_LIMIT_MS) {
        throw new Error('lintas: the SHA-256 worker thread stopped responding');
      }
    }
  }
}
