/**
 * SHA-256 of a stream's consecutive segments, each checked against an Ed25519 signature over
 * `prefix || SHA-256(segment)` with the rules of SPEC 1.3: what the streaming open needs for its
 * signed checkpoints (SPEC 5.7, 6.6), one segment per window.
 *
 * On Node the hashing and OpenSSL's verification run on the hash worker
 * (`node-parallel-hash.ts`): the caller marks a segment's end and goes on decrypting the next
 * window, and takes the verdict when it is in, instead of waiting at every window's end for the
 * worker to catch up and then verifying on its own thread (docs/PERFORMANCE.md, "The open
 * thread against the two-core limit"). Elsewhere, when the worker is busy with another stream,
 * or for a stream under {@link PARALLEL_HASH_MIN_BYTES}, both run here at the segment's end.
 *
 * The verdict is {@link ed25519Verify}'s either way: rules 1 to 4 are checked on this thread
 * before a segment is handed over; a segment the worker confirms has passed OpenSSL's check of
 * rule 5, the one `ed25519Verify` makes on Node; and anything the worker does not confirm (a
 * false verdict, a key OpenSSL would not import) is decided here by `ed25519Verify` itself over
 * the digest the worker returns.
 */
import { fastEd25519, fastHashPath, PARALLEL_HASH_MIN_BYTES, type ParallelSegments } from './bulk-backend.js';
import { concatBytes } from './bytes.js';
import { ed25519Verify, passesEd25519EncodingRules } from './ed25519.js';
import { createSha256, type IncrementalHash } from './hash.js';

/** Consecutive segments of a stream, each with a signature to check. */
export interface SignedSegments {
  /** Bytes of the current segment. */
  update(data: Uint8Array): void;
  /** A hint: how many more bytes the current segment is to hold (a window's data, when known). */
  expect(bytes: number): void;
  /** End the current segment: its check is `signature` over `prefix || SHA-256(segment)`. */
  end(prefix: Uint8Array, signature: Uint8Array): void;
  /**
   * Whether the oldest ended segment whose verdict was not taken yet verified (SPEC 1.3); null
   * if that is not known yet and `wait` is false. Verdicts come oldest first, one per segment.
   */
  verdict(wait: boolean): boolean | null;
  /** Give back the worker thread (if one was used); safe to repeat. */
  release(): void;
}

/** A segment handed over, as this thread needs it to decide a verdict the worker did not confirm. */
interface Ended {
  prefix: Uint8Array;
  signature: Uint8Array;
  /** Rules 1 to 4 of SPEC 1.3 passed. */
  wellFormed: boolean;
}

/**
 * Start checking segments signed by `publicKey`; `expectedBytes` (undefined: unknown) is the
 * stream's data length, which decides whether a worker thread is worth using.
 */
export function createSignedSegments(publicKey: Uint8Array, expectedBytes?: number): SignedSegments {
  const fast = fastHashPath();
  const parallel = fast !== null && (expectedBytes ?? Infinity) >= PARALLEL_HASH_MIN_BYTES ? (fast.createParallelSegments?.() ?? null) : null;
  return parallel === null ? inThread(publicKey) : onWorker(publicKey, parallel);
}

function onWorker(publicKey: Uint8Array, worker: ParallelSegments): SignedSegments {
  const ended: Ended[] = [];
  return {
    update: (data) => worker.update(data),
    expect: (bytes) => worker.expect(bytes),
    end(prefix, signature) {
      ended.push({ prefix, signature, wellFormed: passesEd25519EncodingRules(publicKey, signature) });
      worker.end(publicKey, prefix, signature);
    },
    verdict(wait) {
      const v = worker.verdict(wait);
      if (v === null) return null;
      const { prefix, signature, wellFormed } = ended.shift()!;
      if (!wellFormed) return false;
      // The worker's yes is OpenSSL's rule 5, as ed25519Verify's own when OpenSSL serves this
      // process (its known-answer tests passed); any other answer is decided here.
      if (v.confirmed && fastEd25519() !== null) return true;
      return ed25519Verify(publicKey, concatBytes(prefix, v.digest), signature);
    },
    release: () => worker.release(),
  };
}

function inThread(publicKey: Uint8Array): SignedSegments {
  let hash: IncrementalHash | null = null;
  const verdicts: boolean[] = [];
  return {
    update(data) {
      // 0: never the worker thread, which another stream holds or which is not worth it here.
      hash ??= createSha256(0);
      hash.update(data);
    },
    expect: () => undefined, // nothing to wake: the hash runs here
    end(prefix, signature) {
      const digest = (hash ?? createSha256(0)).digest();
      hash = null;
      verdicts.push(ed25519Verify(publicKey, concatBytes(prefix, digest), signature));
    },
    verdict() {
      const v = verdicts.shift();
      if (v === undefined) throw new Error('lintas: no segment awaits a verdict');
      return v;
    },
    release() {
      hash?.release();
      hash = null;
    },
  };
}
