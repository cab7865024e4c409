/**
 * The worker-thread SHA-256 (`node-parallel-hash.ts`): the caller wakes the worker only when it
 * sleeps and a batch (or the input's end) waits, so these tests drive it through every sleep
 * and wake transition: pauses long enough for the worker to fall asleep, pieces just below, at
 * and above the batch size, expected sizes that are right, too small, too large or unknown, a
 * full ring, and a worker that dies. A lost wake-up would show as a 30 s stall and an error,
 * a misread ring as a wrong digest.
 */
import { createHash } from 'node:crypto';
import * as workerThreads from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parallelSha256Factory } from '../../src/crypto/node-parallel-hash.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** The batch after which a sleeping worker is woken (WAKE_BYTES in the source). */
const BATCH = MiB;

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Block this thread for `ms`, long enough for an idle worker to go to sleep. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const sha = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

afterEach(() => {
  vi.restoreAllMocks();
});

describe('worker-thread SHA-256 with batched wake-ups', () => {
  const factory = parallelSha256Factory(workerThreads);

  it('hashes correctly when the worker sleeps between pieces below, at and above the batch size', () => {
    const data = bytes(6 * MiB + 12_345, 1);
    const cuts = [1, 65_536, BATCH - 1, BATCH, BATCH + 1, 7, MiB, 3 * KiB];
    // Right, too small, too large and unknown expected sizes: only how early the worker is woken may differ.
    for (const expected of [data.length, 1, 10 * data.length, undefined]) {
      for (const pauseEvery of [1, 2, 3]) {
        const h = factory(expected)!;
        expect(h).not.toBeNull();
        let off = 0;
        for (let i = 0; off < data.length; i++) {
          const n = Math.min(cuts[i % cuts.length]!, data.length - off);
          h.update(data.subarray(off, off + n));
          off += n;
          if (i % pauseEvery === 0) pause(2);
        }
        expect(h.digest()).toEqual(sha(data));
      }
    }
  });

  it('answers a digest of a few bytes that never made a batch, many times over', () => {
    for (let i = 0; i < 200; i++) {
      const data = bytes(i * 37, i + 2);
      const h = factory(i % 2 ? data.length : undefined)!;
      h.update(data);
      if (i % 50 === 0) pause(2);
      expect(h.digest()).toEqual(sha(data));
    }
  });

  it('waits for room when one piece overfills the 4 MiB ring, starting from a sleeping worker', () => {
    const data = bytes(9 * MiB + 5, 3);
    const h = factory(data.length)!;
    h.update(data.subarray(0, 10)); // less than a batch: the worker is not woken
    pause(5);
    h.update(data.subarray(10));
    expect(h.digest()).toEqual(sha(data));
  });

  it('leaves no bytes of an abandoned hash for the next, whether or not the worker was woken', () => {
    const data = bytes(2 * MiB, 4);
    for (const partial of [100, BATCH + 1, 3 * MiB]) {
      const abandoned = factory()!;
      abandoned.update(bytes(partial, 5));
      abandoned.release();
      const h = factory(data.length)!;
      h.update(data);
      expect(h.digest()).toEqual(sha(data));
    }
  });
});

describe('a hash worker that dies', () => {
  /** A factory on the real module that keeps hold of its worker, so the test can kill it. */
  function killableFactory() {
    const box: { worker: workerThreads.Worker | null } = { worker: null };
    const wt = {
      ...workerThreads,
      Worker: class extends workerThreads.Worker {
        constructor(...args: ConstructorParameters<typeof workerThreads.Worker>) {
          super(...args);
          box.worker = this;
        }
      },
    } as typeof workerThreads;
    return { factory: parallelSha256Factory(wt), box };
  }

  /** The stall limit is 30 s without progress; let the clock run 10 s per look instead of waiting. */
  function fastClock(): void {
    let now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => (now += 10_000));
  }

  it('makes digest() throw, neither hanging nor answering, and later hashes run in the caller', async () => {
    const { factory, box } = killableFactory();
    const first = factory()!;
    first.update(bytes(1000, 6));
    expect(first.digest()).toEqual(sha(bytes(1000, 6)));
    const h = factory()!;
    h.update(bytes(BATCH + 10, 7));
    await box.worker!.terminate();
    fastClock();
    expect(() => h.digest()).toThrow(/stopped responding/);
    vi.restoreAllMocks();
    expect(factory()).toBeNull(); // broken: callers hash in their own thread from now on
  });

  it('gives no hash, rather than an error, when the worker died between hashes', async () => {
    const { factory, box } = killableFactory();
    const first = factory()!;
    first.update(bytes(1000, 8));
    expect(first.digest()).toEqual(sha(bytes(1000, 8)));
    await box.worker!.terminate();
    fastClock();
    expect(factory()).toBeNull(); // the reset a reused worker needs got no answer
    vi.restoreAllMocks();
    expect(factory()).toBeNull();
  });
});
