/**
 * The three reference lines of the 1 GiB streamed runs (issue 17): what a signed streaming
 * format could at best do on this machine, built from the primitives lintas itself uses on Node
 * (node:crypto's ChaCha20-Poly1305 and SHA-256, `src/crypto/node-bulk.ts`) over chunks of the
 * size lintas uses (64 KiB plaintext + 16-byte tag), with the same file I/O as the lintas run:
 *
 * - `io`: the file I/O alone (write the payload's chunks; read the file back), no crypto.
 * - `one-core`: AEAD + SHA-256 of the plaintext + I/O on one thread. A signed format pays the
 *   SUM of these costs on one thread, 1/(1/AEAD + 1/SHA-256 + 1/IO).
 * - `two-core`: AEAD + I/O on the main thread, SHA-256 on a worker thread over the same chunks.
 *   The chunks reach the worker through a 4 MiB ring in shared memory (one copy of each chunk,
 *   which any two-thread design on Node needs: node:crypto writes its output to fresh buffers),
 *   published 1 MiB at a time and with a wake-up only when the other side sleeps, so the limit
 *   carries as little hand-over cost as we know how to give it.
 *
 * The signature itself (one Ed25519 per 4 MiB window, about 0.1 ms) and the header are left out:
 * they are what lintas adds, and what the ratio to these lines shows.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { nativeChunks, RAW_CHUNK, type StreamContender } from './contenders.js';
import { fileSink } from './files.js';

const STEP = RAW_CHUNK + 16;

/** The payload pieces cut into the chunks lintas would seal. */
async function* chunksOf(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const piece of source) for (let off = 0; off < piece.length; off += RAW_CHUNK) yield piece.subarray(off, off + RAW_CHUNK);
}

/** The ciphertext file in chunks: reads of exactly 16 chunks, so none straddles two reads. */
async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  for await (const piece of createReadStream(path, { highWaterMark: 16 * STEP }) as AsyncIterable<Uint8Array>) {
    for (let off = 0; off < piece.length; off += STEP) yield piece.subarray(off, off + STEP);
  }
}

/** What the two limits hash with: an incremental SHA-256 that may run on another thread. */
interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): Uint8Array;
}

function streamContender(newHasher: (() => Hasher) | null): StreamContender {
  return {
    async encryptToFile(source, path) {
      const hash = newHasher?.();
      async function* sealed(): AsyncGenerator<Uint8Array> {
        let i = 0;
        for await (const chunk of chunksOf(source)) {
          if (!hash) {
            yield chunk;
            continue;
          }
          hash.update(chunk);
          yield nativeChunks.encrypt(chunk, i++);
        }
        hash?.digest();
      }
      await pipeline(sealed(), fileSink(path));
    },
    async decryptFile(path) {
      const hash = newHasher?.();
      let n = 0;
      let i = 0;
      for await (const chunk of fileChunks(path)) {
        if (!hash) {
          n += chunk.length; // the io line wrote the plaintext itself
          continue;
        }
        const plain = nativeChunks.decrypt(chunk, i++);
        hash.update(plain);
        n += plain.length;
      }
      hash?.digest();
      return n;
    },
  };
}

/** File I/O alone: the same reads and writes as the other lines, no crypto. */
export const ioReference = (): StreamContender => streamContender(null);

/** AEAD + SHA-256 + I/O on one thread. */
export const oneCoreReference = (): StreamContender =>
  streamContender(() => {
    const h = createHash('sha256');
    return { update: (c) => void h.update(c), digest: () => h.digest() };
  });

/**
 * AEAD + I/O on this thread, SHA-256 on a worker thread, which has started (about 40 ms on a
 * quiet machine) before this resolves and so before the clock starts: the limit is what the
 * streaming itself allows, with a thread an application could have started at launch.
 */
export async function twoCoreReference(): Promise<StreamContender> {
  const ring = new HashRing();
  await ring.ready;
  return streamContender(() => ring);
}

// The shared control block of the ring.
const WRITTEN = 0; // bytes published by the main thread, mod 2^31
const READ = 1; // bytes hashed by the worker, mod 2^31
const FINISH = 2; // 1: digest what was published; the worker sets 2 when the digest is in place
const WORKER_SLEEPS = 3;
const MAIN_SLEEPS = 4;
const SIGNAL = 5; // bumped by the main thread to wake a sleeping worker
const RING_BYTES = 1 << 22;
const PUBLISH_BYTES = 1 << 20;
const MASK31 = 0x7fffffff;

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const c = new Int32Array(workerData.control);
const ring = new Uint8Array(workerData.ring);
const out = new Uint8Array(workerData.result);
let hash = createHash('sha256');
let read = 0;
parentPort.postMessage('ready');
for (;;) {
  const signal = Atomics.load(c, ${SIGNAL});
  const written = Atomics.load(c, ${WRITTEN});
  if (written !== read) {
    const at = read & (ring.length - 1);
    const n = Math.min((written - read) & ${MASK31}, ring.length - at);
    hash.update(ring.subarray(at, at + n));
    read = (read + n) & ${MASK31};
    Atomics.store(c, ${READ}, read);
    if (Atomics.load(c, ${MAIN_SLEEPS})) Atomics.notify(c, ${READ});
    continue;
  }
  if (Atomics.load(c, ${FINISH}) === 1) {
    out.set(hash.digest());
    hash = createHash('sha256');
    Atomics.store(c, ${FINISH}, 2);
    Atomics.notify(c, ${FINISH});
    continue;
  }
  Atomics.store(c, ${WORKER_SLEEPS}, 1);
  if (Atomics.load(c, ${WRITTEN}) === read && Atomics.load(c, ${FINISH}) !== 1) Atomics.wait(c, ${SIGNAL}, signal);
  Atomics.store(c, ${WORKER_SLEEPS}, 0);
}
`;

/** One SHA-256 at a time on a worker thread, fed through a ring in shared memory. */
class HashRing implements Hasher {
  private readonly control = new Int32Array(new SharedArrayBuffer(6 * 4));
  private readonly ring = new Uint8Array(new SharedArrayBuffer(RING_BYTES));
  private readonly result = new Uint8Array(new SharedArrayBuffer(32));
  /** Bytes copied into the ring, and how many of them the worker was told about. */
  private written = 0;
  private published = 0;

  /** Resolves once the worker runs; from then on it does not keep the process alive. */
  readonly ready: Promise<void>;

  constructor() {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { control: this.control.buffer, ring: this.ring.buffer, result: this.result.buffer },
    });
    this.ready = new Promise((resolve, reject) => {
      worker.once('error', reject).once('message', () => {
        worker.unref();
        resolve();
      });
    });
  }

  update(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      let free = RING_BYTES - ((this.written - Atomics.load(this.control, READ)) & MASK31);
      if (free === 0) {
        this.publish();
        this.waitForSpace();
        free = RING_BYTES - ((this.written - Atomics.load(this.control, READ)) & MASK31);
      }
      const at = this.written & (RING_BYTES - 1);
      const n = Math.min(free, RING_BYTES - at, chunk.length - off);
      this.ring.set(chunk.subarray(off, off + n), at);
      off += n;
      this.written = (this.written + n) & MASK31;
    }
    if (((this.written - this.published) & MASK31) >= PUBLISH_BYTES) this.publish();
  }

  digest(): Uint8Array {
    this.publish();
    Atomics.store(this.control, FINISH, 1);
    this.wake();
    while (Atomics.load(this.control, FINISH) !== 2) Atomics.wait(this.control, FINISH, 1, 1000);
    Atomics.store(this.control, FINISH, 0);
    return this.result.slice();
  }

  private publish(): void {
    this.published = this.written;
    Atomics.store(this.control, WRITTEN, this.written);
    if (Atomics.load(this.control, WORKER_SLEEPS)) this.wake();
  }

  private wake(): void {
    Atomics.add(this.control, SIGNAL, 1);
    Atomics.notify(this.control, SIGNAL);
  }

  private waitForSpace(): void {
    for (;;) {
      const read = Atomics.load(this.control, READ);
      if (((this.written - read) & MASK31) < RING_BYTES) return;
      Atomics.store(this.control, MAIN_SLEEPS, 1);
      if (Atomics.load(this.control, READ) === read) Atomics.wait(this.control, READ, read, 1000);
      Atomics.store(this.control, MAIN_SLEEPS, 0);
    }
  }
}
