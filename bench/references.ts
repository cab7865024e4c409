/**
 * The reference lines of the 1 GiB streamed runs (issue 17): what a signed streaming
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
 * The signature itself (one Ed25519 per 4 MiB window, about 0.1 ms) and the header are left out
 * of these three: they are what lintas adds, and what the ratio to these lines shows. A fourth
 * line, `two-core-checkpoints` ({@link twoCoreCheckpointsReference}), adds exactly what SPEC 5.7
 * and 6.6 require of checkpoints, to tell their cost apart from the rest of lintas's.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { cryptoReady } from '../src/crypto/sodium.js';
import { concatBytes } from '../src/crypto/bytes.js';
import { ed25519KeyPairFromSeed, ed25519Sign } from '../src/crypto/ed25519.js';
import { createSha256, type IncrementalHash } from '../src/crypto/hash.js';
import { createSignedSegments } from '../src/crypto/signed-segments.js';
import { HOLD_AHEAD_BYTES } from '../src/envelope/plaintext-reader.js';
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

/** A checkpoint window of the fourth line: 64 chunks, 4 MiB of payload (SPEC 5.7's window). */
const WINDOW_CHUNKS = 64;
const WINDOW_PLAIN = WINDOW_CHUNKS * RAW_CHUNK;
/** What each checkpoint signs before the window's hash: as long as lintas's checkpoint prefix. */
const CHECKPOINT_PREFIX = new Uint8Array(62).fill(0x63);

/**
 * The two-core limit with checkpoints (SPEC 5.7, 6.6): the two-core line plus what a reader of a
 * format with signed checkpoints has to do, and nothing else of lintas's.
 *
 * - Sealing hashes each 4 MiB window of plaintext on the hash thread and signs
 *   `prefix || SHA-256(window)` with Ed25519 at the window's end; the signatures go to a side
 *   file (`<file>.sig`) instead of into the stream, so the chunks stay those of the two-core line.
 * - Opening hashes each window on the hash thread and checks its signature there, and hands out a
 *   window's plaintext only once its verdict is in, reading at most `HOLD_AHEAD_BYTES` of the next
 *   window meanwhile: SPEC 6.6's rule, with lintas's memory bound.
 *
 * The hashing, signing and checking are lintas's own (`createSha256`, `ed25519Sign`,
 * `createSignedSegments` on its hash worker), so this line measures checkpoints as lintas checks
 * them: a faster checker would raise this line and lintas alike. The ratio of this line to the
 * two-core line is what the checkpoints cost on two cores; lintas's ratio to this line is what
 * the rest of lintas costs (header, envelope parsing, STREAM nonces, the reader's bookkeeping).
 */
export async function twoCoreCheckpointsReference(): Promise<StreamContender> {
  await cryptoReady();
  const signer = ed25519KeyPairFromSeed(new Uint8Array(32).fill(0x2c));
  return {
    async encryptToFile(source, path) {
      const signatures: Uint8Array[] = [];
      async function* sealed(): AsyncGenerator<Uint8Array> {
        let hash: IncrementalHash | null = null;
        let fill = 0;
        let i = 0;
        const close = () => {
          signatures.push(ed25519Sign(signer.secretKey, concatBytes(CHECKPOINT_PREFIX, (hash ?? createSha256(0)).digest())));
          hash = null;
          fill = 0;
        };
        try {
          for await (const chunk of chunksOf(source)) {
            hash ??= createSha256(WINDOW_PLAIN);
            hash.update(chunk);
            fill += chunk.length;
            yield nativeChunks.encrypt(chunk, i++);
            if (fill === WINDOW_PLAIN) close();
          }
          if (fill > 0 || signatures.length === 0) close();
        } finally {
          (hash as IncrementalHash | null)?.release();
        }
      }
      await pipeline(sealed(), fileSink(path));
      writeFileSync(`${path}.sig`, concatBytes(...signatures));
    },
    async decryptFile(path) {
      const signatures = readFileSync(`${path}.sig`);
      const segments = createSignedSegments(signer.publicKey, statSync(path).size);
      let window = 0;
      let fill = 0;
      let pending: Uint8Array[] = [];
      /** The previous window while its verdict is out. */
      let checking: Uint8Array[] | null = null;
      let n = 0;
      const settle = (wait: boolean): void => {
        const verdict = segments.verdict(wait);
        if (verdict === null) return;
        if (!verdict) throw new Error(`two-core-checkpoints: window ${window - 1} does not verify`);
        for (const piece of checking!) n += piece.length; // handed out
        checking = null;
      };
      const end = () => {
        segments.end(CHECKPOINT_PREFIX, signatures.subarray(64 * window, 64 * window + 64));
        window++;
        checking = pending;
        pending = [];
        fill = 0;
        settle(false);
      };
      try {
        let i = 0;
        segments.expect(WINDOW_PLAIN);
        for await (const chunk of fileChunks(path)) {
          const plain = nativeChunks.decrypt(chunk, i++);
          segments.update(plain);
          pending.push(plain);
          fill += plain.length;
          if (checking !== null) settle(fill >= HOLD_AHEAD_BYTES);
          if (fill === WINDOW_PLAIN) {
            if (checking !== null) settle(true);
            end();
            segments.expect(WINDOW_PLAIN);
          }
        }
        if (checking !== null) settle(true);
        if (fill > 0 || window === 0) {
          end();
          if (checking !== null) settle(true);
        }
        if (64 * window !== signatures.length) throw new Error('two-core-checkpoints: signatures left over');
        return n;
      } finally {
        segments.release();
      }
    },
  };
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
