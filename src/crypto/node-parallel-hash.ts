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
 * The same worker can also hash a stream as consecutive segments and check each segment's
 * Ed25519 signature over `prefix || SHA-256(segment)` itself ({@link ParallelSegments}): the
 * caller marks where a segment ends and goes on writing the next one, and takes the verdict
 * when it arrives, so it never waits for the worker at a segment's end (the streaming open's
 * signed checkpoints, SPEC 5.7 and 6.6). The worker only confirms: anything it does not confirm
 * comes back with the segment's digest for the caller to decide (`signed-segments.ts`).
 *
 * One worker, started on first use (about 40 ms, once per process, overlapping with the first
 * hash) and unref'd (it never keeps a process alive), serves one hash at a time; a second
 * concurrent hash gets null and the caller hashes in its own thread.
 */
import type { IncrementalHash, ParallelSegments, SegmentVerdict } from './bulk-backend.js';

type WorkerThreads = typeof import('node:worker_threads');

/**
 * Ring size: a power of two. 2 MiB is two wake-up batches, enough for a worker that hashes
 * about 2.5x as fast as the caller decrypts to keep it from waiting, and 2 MiB less resident
 * memory than the 4 MiB it was (issue 17's peak RSS target: docs/PERFORMANCE.md, "Memory").
 */
const RING_BYTES = 1 << 21;
/** Byte counters wrap at 2^31 (they live in an Int32Array). */
const COUNTER_MASK = 0x7fffffff;
/**
 * A sleeping worker is woken once this many bytes wait in the ring (or a command, or the end of
 * the expected input, is near), not for every piece: each wake costs the caller an
 * `Atomics.notify` (a lock and a futex wake, several microseconds) and the worker a wake-up.
 */
const WAKE_BYTES = 1 << 20;
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
const POSTED = 7; // segments whose end the caller has marked (caller)
const SETTLED = 8; // segments digested and checked (worker)
const CONTROL_SLOTS = 9;
const DIGEST = 1;
const RESET = 2;

/**
 * Segment marks in flight at once. The streaming open has at most one window awaiting its
 * verdict while it fills the next (plaintext-reader.ts), so two would do; four leave room.
 */
const SEGMENT_SLOTS = 4;
/** Bytes of one segment slot in shared memory; offsets of its fields below. */
const SLOT_BYTES = 256;
const SLOT_END = 0; // Int32: the byte counter (mod 2^31) at which the segment ends
const SLOT_PREFIX_LENGTH = 4; // Int32
const SLOT_VERDICT = 8; // Int32: CONFIRMED or UNCONFIRMED, set by the worker
const SLOT_DIGEST = 16; // 32 bytes, set by the worker
const SLOT_SIGNATURE = 48; // 64 bytes
const SLOT_KEY = 112; // 32 bytes: the Ed25519 public key
const SLOT_PREFIX = 144; // up to MAX_PREFIX_BYTES
/** The longest message prefix a segment can carry (a checkpoint's is 62 bytes). */
const MAX_SEGMENT_PREFIX_BYTES = SLOT_BYTES - SLOT_PREFIX;
const CONFIRMED = 1;
const UNCONFIRMED = 2;
/** DER of an Ed25519 SubjectPublicKeyInfo (RFC 8410 section 4) up to the 32 key bytes. */
const SPKI_ED25519_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/** The worker: hashes what arrives in the ring, answers DIGEST and RESET. CommonJS, run by eval. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { createHash, createPublicKey, verify } = require('node:crypto');
const control = new Int32Array(workerData.control);
const ring = new Uint8Array(workerData.ring);
const result = new Uint8Array(workerData.result);
const slots = new Uint8Array(workerData.segments);
const slotWords = new Int32Array(workerData.segments);
const MASK = ring.length - 1;
let hash = createHash('sha256');
let read = 0;
let settled = 0;
let keyBytes = null;
let key = null;
// The segment in slot i: digest it, and confirm its signature over prefix || digest if OpenSSL
// can. Anything else (a key OpenSSL refuses, a false verdict) is left to the caller.
const settle = (i) => {
  const base = i * ${SLOT_BYTES};
  const digest = hash.digest();
  hash = createHash('sha256');
  slots.set(digest, base + ${SLOT_DIGEST});
  let verdict = ${UNCONFIRMED};
  try {
    const k = slots.subarray(base + ${SLOT_KEY}, base + ${SLOT_KEY} + 32);
    if (keyBytes === null || !Buffer.from(k).equals(keyBytes)) {
      keyBytes = Buffer.from(k);
      key = createPublicKey({ key: Buffer.concat([Buffer.from([${SPKI_ED25519_PREFIX.join(', ')}]), keyBytes]), format: 'der', type: 'spki' });
    }
    const prefixLength = slotWords[base / 4 + ${SLOT_PREFIX_LENGTH / 4}];
    const message = Buffer.concat([slots.subarray(base + ${SLOT_PREFIX}, base + ${SLOT_PREFIX} + prefixLength), digest]);
    if (verify(null, message, key, slots.subarray(base + ${SLOT_SIGNATURE}, base + ${SLOT_SIGNATURE} + 64))) verdict = ${CONFIRMED};
  } catch {
    keyBytes = null;
  }
  Atomics.store(slotWords, base / 4 + ${SLOT_VERDICT / 4}, verdict);
  settled = (settled + 1) | 0;
  Atomics.store(control, ${SETTLED}, settled);
  Atomics.notify(control, ${SETTLED});
};
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
    settled = Atomics.load(control, ${POSTED});
    Atomics.store(control, ${SETTLED}, settled);
    hash = createHash('sha256');
    finish();
    continue;
  }
  // WRITTEN before POSTED: the caller marks a segment's end after writing its bytes and before
  // writing the next segment's, so a mark is never missed for bytes already seen.
  let written = Atomics.load(control, ${WRITTEN});
  if (Atomics.load(control, ${POSTED}) !== settled) {
    const slot = settled & ${SEGMENT_SLOTS - 1};
    const end = slotWords[(slot * ${SLOT_BYTES} + ${SLOT_END}) / 4];
    if (end === read) {
      settle(slot);
      continue;
    }
    written = end; // hash up to the mark, not past it
  }
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
  if (Atomics.load(control, ${WRITTEN}) === read && Atomics.load(control, ${COMMAND}) === 0 && Atomics.load(control, ${POSTED}) === settled) {
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

/** The worker thread's two services, both null while the worker is busy (or broken). */
export interface ParallelHashThread {
  sha256: ParallelSha256Factory;
  segments(): ParallelSegments | null;
}

/**
 * The factory behind the Node backend's `createParallelSha256`. `expectedBytes`, if known, lets
 * the caller wake the worker for the input's last bytes at once, so that `digest()` does not
 * wait for a whole batch to be hashed.
 */
export function parallelSha256Factory(wt: WorkerThreads): ParallelSha256Factory {
  return parallelHashThread(wt).sha256;
}

/** The Node backend's worker thread: plain SHA-256 and signed segments, one user at a time. */
export function parallelHashThread(wt: WorkerThreads): ParallelHashThread {
  let channel: Channel | null = null;
  let broken = false;
  const use = <T>(take: (c: Channel, onStall: () => void) => T): T | null => {
    if (broken) return null;
    try {
      channel ??= new Channel(wt);
    } catch {
      broken = true; // no threads here (a sandbox, a restricted runtime): hash in-thread
      return null;
    }
    try {
      return take(channel, () => {
        broken = true;
      });
    } catch {
      return null; // the worker did not answer the reset (it died): hash in-thread from now on
    }
  };
  return {
    sha256: (expectedBytes) => use((c, onStall) => c.acquire(expectedBytes ?? Infinity, onStall)),
    segments: () => use((c, onStall) => c.acquireSegments(onStall)),
  };
}

class Channel {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  private readonly ring = new Uint8Array(new SharedArrayBuffer(RING_BYTES));
  private readonly result = new Uint8Array(new SharedArrayBuffer(32));
  private readonly slots = new Uint8Array(new SharedArrayBuffer(SEGMENT_SLOTS * SLOT_BYTES));
  private readonly slotWords = new Int32Array(this.slots.buffer);
  private written = 0;
  /** Segment ends marked so far (mod 2^32, as the worker counts them). */
  private posted = 0;
  /** Bytes the current hash still expects (Infinity: not known). */
  private left = Infinity;
  private busy = false;
  /**
   * False once a user has stopped with the worker in step: a digest taken, or every segment
   * settled with no bytes after the last. Otherwise the next user first sends RESET (one round
   * trip to the worker, which a stream of windows would otherwise pay per window).
   */
  private dirty = false;
  private exited = false;

  constructor(wt: WorkerThreads) {
    const worker = new wt.Worker(WORKER_SOURCE, {
      eval: true,
      // Not the parent's loader flags (a TypeScript loader would slow the start and cost memory).
      execArgv: [],
      workerData: { control: this.control.buffer, ring: this.ring.buffer, result: this.result.buffer, segments: this.slots.buffer },
    });
    worker.unref();
    // A worker that died between two users is known here without a round trip to it.
    worker.once('exit', () => {
      this.exited = true;
    });
  }

  /**
   * Take the worker for one user: null if busy. `guard` runs a step of the user, marking the
   * worker unusable (`onStall`) if a step throws, since it may then be out of step.
   */
  private take(onStall: () => void): { release(): void; owned(): boolean; guard<T>(step: () => T): T } | null {
    if (this.exited) throw new Error('lintas: the SHA-256 worker thread has exited');
    if (this.busy) return null;
    this.busy = true;
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
    // A fresh worker, or one left in step, needs no reset, so the first hash does not wait for
    // the thread to start (about 40 ms): it fills the ring meanwhile.
    if (this.dirty) guard(() => this.command(RESET));
    this.dirty = true;
    return { release, owned: () => owned, guard };
  }

  acquire(expectedBytes: number, onStall: () => void): IncrementalHash | null {
    const user = this.take(onStall);
    if (user === null) return null;
    const { release, guard } = user;
    this.left = expectedBytes;
    return {
      update: (data) => guard(() => this.write(data)),
      digest: () => {
        const digest = guard(() => {
          this.command(DIGEST);
          return this.result.slice();
        });
        this.dirty = false; // the worker starts a fresh hash after a digest
        release();
        return digest;
      },
      release,
    };
  }

  acquireSegments(onStall: () => void): ParallelSegments | null {
    const user = this.take(onStall);
    if (user === null) return null;
    const { guard, owned } = user;
    this.left = Infinity;
    /** Segments ended whose verdicts are still in their slots, and where the last one ended. */
    let waiting = 0;
    let lastEnd = this.written;
    /** Verdicts read out of their slots early, to free a slot; taken before any in a slot. */
    const early: SegmentVerdict[] = [];
    /** The oldest verdict still in a slot, out of it; null if not in yet and `wait` is false. */
    const fromSlot = (wait: boolean): SegmentVerdict | null => {
      const oldest = (this.posted - waiting) | 0;
      if (((Atomics.load(this.control, SETTLED) - oldest) | 0) <= 0) {
        if (!wait) return null;
        this.waitForSettled(oldest);
      }
      const base = (oldest & (SEGMENT_SLOTS - 1)) * SLOT_BYTES;
      waiting--;
      return {
        confirmed: Atomics.load(this.slotWords, (base + SLOT_VERDICT) / 4) === CONFIRMED,
        digest: this.slots.slice(base + SLOT_DIGEST, base + SLOT_DIGEST + 32),
      };
    };
    const verdict = (wait: boolean): SegmentVerdict | null => {
      if (early.length > 0) return early.shift()!;
      if (waiting === 0) throw new Error('lintas: no segment awaits a verdict');
      return fromSlot(wait);
    };
    return {
      update: (data) => guard(() => this.write(data)),
      expect: (bytes) => {
        this.left = bytes;
      },
      end: (publicKey, prefix, signature) =>
        guard(() => {
          if (publicKey.length !== 32 || signature.length !== 64 || prefix.length > MAX_SEGMENT_PREFIX_BYTES) {
            throw new RangeError('segment check: a 32-byte key, a 64-byte signature and a prefix of at most 112 bytes');
          }
          // Every slot taken: wait for the oldest verdict and keep it here until it is asked for.
          if (waiting === SEGMENT_SLOTS) early.push(fromSlot(true)!);
          const base = (this.posted & (SEGMENT_SLOTS - 1)) * SLOT_BYTES;
          this.slotWords[(base + SLOT_END) / 4] = this.written;
          this.slotWords[(base + SLOT_PREFIX_LENGTH) / 4] = prefix.length;
          Atomics.store(this.slotWords, (base + SLOT_VERDICT) / 4, 0);
          this.slots.set(signature, base + SLOT_SIGNATURE);
          this.slots.set(publicKey, base + SLOT_KEY);
          this.slots.set(prefix, base + SLOT_PREFIX);
          this.posted = (this.posted + 1) | 0;
          waiting++;
          lastEnd = this.written;
          this.left = Infinity; // until the caller says how long the next segment is
          Atomics.store(this.control, POSTED, this.posted);
          this.wake(); // the verdict is wanted soon: the caller holds the segment's data until then
        }),
      verdict: (wait) => guard(() => verdict(wait)),
      release: () => {
        // Every verdict taken and nothing written after the last mark: the worker is in step.
        if (owned() && waiting === 0 && early.length === 0 && lastEnd === this.written) this.dirty = false;
        user.release();
      },
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

  /** Sleep until the worker has settled segment number `index` (it notifies after each one). */
  private waitForSettled(index: number): void {
    for (let settled = Atomics.load(this.control, SETTLED); ((settled - index) | 0) <= 0; settled = Atomics.load(this.control, SETTLED)) {
      this.waitWhile(SETTLED, settled);
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
