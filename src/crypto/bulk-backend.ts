/**
 * The bulk primitives, ChaCha20-Poly1305 and SHA-256, are the ones that run over every payload
 * byte (HMAC-SHA-256 too, over a header of up to 2 MiB). Portable code (libsodium's WebAssembly
 * build, @noble/hashes) runs them everywhere; on Node, OpenSSL through node:crypto is 3-10x
 * faster on large inputs and gives byte-identical results (RFC 8439, FIPS 180-4, RFC 2104).
 * This file holds that one choice, made once by `cryptoReady()`. The same backend may also
 * offer the public-key primitives where OpenSSL does them in about half the instructions of
 * libsodium's WebAssembly build without importing a raw secret key each time: X25519 for a
 * secret key used again and again (a recipient's own key) or for a fresh ephemeral key
 * (`node-x25519.ts`), and Ed25519 (`node-ed25519.ts`, behind lintas's own strictness checks).
 *
 * The choice never shows in the output: `aead.ts` and `hash.ts` ask {@link fastPathFor} and
 * fall back to the portable code when it returns null. `test/crypto/fast-path.test.ts` seals
 * the same inputs under both and compares the envelopes byte for byte.
 */
import type { NodeEd25519 } from './node-ed25519.js';
import type { EphemeralX25519, RepeatedKeyX25519 } from './node-x25519.js';

/** An incremental SHA-256, for hashing a payload that arrives in chunks. */
export interface IncrementalHash {
  update(data: Uint8Array): void;
  /** The digest; the hash cannot be used after this. */
  digest(): Uint8Array;
  /** Give back what the hash holds (a worker thread) when it will not be finished; safe to repeat. */
  release(): void;
}

/** What the worker says about one segment: whether it confirmed the signature, and the digest. */
export interface SegmentVerdict {
  /** True only if the thread verified the signature over prefix || digest; false means "not confirmed". */
  confirmed: boolean;
  digest: Uint8Array;
}

/**
 * A stream hashed on the worker as consecutive segments, each checked there against an Ed25519
 * signature over `prefix || SHA-256(segment)`. The caller never waits at a segment's end: it
 * marks it ({@link ParallelSegments.end}) and takes the verdicts, oldest first, when they are in.
 */
export interface ParallelSegments {
  /** Bytes of the current segment. */
  update(data: Uint8Array): void;
  /**
   * How many more bytes the current segment is to hold, if known: lets its last bytes reach
   * the thread at once, so that the verdict follows the segment's end without a batch's delay.
   */
  expect(bytes: number): void;
  /**
   * End the current segment; the worker checks `signature` (64 bytes) under `publicKey`
   * (32 bytes) over `prefix || SHA-256(segment)` (a prefix of at most 112 bytes). A caller
   * that lets many segments await their verdicts may have to wait for the oldest here.
   */
  end(publicKey: Uint8Array, prefix: Uint8Array, signature: Uint8Array): void;
  /** The oldest verdict not yet taken: null if it is not in yet and `wait` is false. */
  verdict(wait: boolean): SegmentVerdict | null;
  /** Give the worker back; safe to repeat. */
  release(): void;
}

/** A runtime-specific implementation of the bulk primitives (same contracts as `aead.ts`, `hash.ts`). */
export interface BulkBackend {
  /** For diagnostics and the benchmark, e.g. "node". */
  readonly name: string;
  /** ChaCha20-Poly1305-IETF; returns ciphertext || 16-byte tag. */
  chachaEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305-IETF; null if the tag does not verify. */
  chachaDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array | null;
  sha256(data: Uint8Array): Uint8Array;
  createSha256(): IncrementalHash;
  /**
   * A SHA-256 computed on another thread, overlapping with the caller's work; null if none is
   * free. `expectedBytes` (if known) lets the last bytes reach the thread without delay.
   */
  createParallelSha256?(expectedBytes?: number): IncrementalHash | null;
  /**
   * SHA-256 of consecutive segments with each segment's Ed25519 signature checked on another
   * thread (`signed-segments.ts`); null if the thread is busy.
   */
  createParallelSegments?(): ParallelSegments | null;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** X25519 with a secret key used repeatedly (`node-x25519.ts`); null on a key's first use. */
  repeatedKeyX25519?: RepeatedKeyX25519;
  /** X25519 with a fresh ephemeral key from the backend's own CSPRNG (`node-x25519.ts`). */
  ephemeralX25519?: EphemeralX25519;
  /** Ed25519 signing with kept keys, and verification under rules 2 and 5 of SPEC 1.3 only (`node-ed25519.ts`). */
  ed25519?: NodeEd25519;
}

/**
 * Below this many bytes the portable code is faster: setting up an OpenSSL cipher costs about
 * 5 us, libsodium's WebAssembly call well under 1 us (docs/PERFORMANCE.md). Every full payload
 * chunk (4 KiB minimum) takes the fast path; the stanzas' file keys and the meta block do not.
 * Hashes have no such threshold ({@link fastHashPath}).
 */
export const FAST_PATH_MIN_BYTES = 4096;

/**
 * From this payload size on (or when the size is unknown), SHA-256 runs on a second thread where
 * the backend offers one: below it, handing pieces over costs more than hashing them in place.
 */
export const PARALLEL_HASH_MIN_BYTES = 1 << 20;

let fastBackend: BulkBackend | null = null;
let testChoice: 'portable' | 'fast' | null = null;

/** Called once by `cryptoReady()` with the runtime's fast backend, or null if there is none. */
export function installFastBackend(backend: BulkBackend | null): void {
  fastBackend = backend;
}

/**
 * Below this many bytes of data, HMAC-SHA-256 is faster on libsodium: a node:crypto Hmac costs
 * about 2.6 us to set up, libsodium's whole HMAC of a short input about 2.1 us, and the key
 * schedule's eight short HMACs per envelope side add up (docs/PERFORMANCE.md, "Small messages").
 */
export const HMAC_FAST_PATH_MIN_BYTES = 512;

/**
 * The fast backend for a cipher (or, with `minBytes`, another primitive) over `byteLength`
 * bytes, or null to use the portable code.
 */
export function fastPathFor(byteLength: number, minBytes = FAST_PATH_MIN_BYTES): BulkBackend | null {
  if (testChoice === 'portable') return null;
  if (testChoice === 'fast' || byteLength >= minBytes) return fastBackend;
  return null;
}

/** X25519 for a repeatedly used secret key on the fast backend, or null to use libsodium. */
export function fastRepeatedKeyX25519(): RepeatedKeyX25519 | null {
  return testChoice === 'portable' ? null : (fastBackend?.repeatedKeyX25519 ?? null);
}

/** X25519 with an ephemeral key on the fast backend, or null to use libsodium. */
export function fastEphemeralX25519(): EphemeralX25519 | null {
  return testChoice === 'portable' ? null : (fastBackend?.ephemeralX25519 ?? null);
}

/** Ed25519 on the fast backend, or null to use libsodium. */
export function fastEd25519(): NodeEd25519 | null {
  return testChoice === 'portable' ? null : (fastBackend?.ed25519 ?? null);
}

/**
 * The fast backend for SHA-256 of any size, or null to use the portable code. Unlike a cipher
 * context, a one-shot hash costs node:crypto under 1 us, less than @noble/hashes even for 32
 * bytes, and 2-5x less from a few hundred bytes on (docs/PERFORMANCE.md, "Small messages").
 */
export function fastHashPath(): BulkBackend | null {
  return testChoice === 'portable' ? null : fastBackend;
}

/** The name of the fast backend in use, or "portable"; for the benchmark's report. */
export function bulkBackendName(): string {
  return fastBackend?.name ?? 'portable';
}

/**
 * Tests and the benchmark only (not exported from any entry point): force every bulk operation
 * onto the portable code, or onto the fast backend whatever the size, so both can be compared.
 * Both are correct; this switch changes speed, never security. Pass null to restore the default.
 */
export function forceBulkBackendForTests(choice: 'portable' | 'fast' | null): void {
  if (choice === 'fast' && fastBackend === null) throw new Error('no fast bulk backend in this runtime (await cryptoReady() first)');
  testChoice = choice;
}
