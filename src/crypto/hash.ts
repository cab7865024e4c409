/**
 * Hashes, MAC and key derivation (SHA-256, SHA-512, HMAC-SHA-256, HKDF-SHA-256) from
 * @noble/hashes: audited, constant-time where it matters, and identical in Node and browsers.
 * SHA-256 and HMAC-SHA-256 of large inputs and of streamed payloads run on the runtime's fast
 * backend when there is one (`bulk-backend.ts`); the results are the same either way.
 */
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { utf8 } from './bytes.js';
import { fastPathFor, PARALLEL_HASH_MIN_BYTES, type IncrementalHash } from './bulk-backend.js';

export type { IncrementalHash } from './bulk-backend.js';

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  const fast = fastPathFor(data.length);
  return fast ? fast.sha256(data) : nobleSha256(data);
}

/** SHA-512 of `data`. */
export function sha512(data: Uint8Array): Uint8Array {
  return nobleSha512(data);
}

/**
 * Start an incremental SHA-256 of about `expectedBytes` bytes (undefined: not known). A large or
 * unknown amount is hashed on a second thread where the runtime allows, overlapping with the
 * caller's encryption. Call `release()` if the hash may be abandoned before `digest()`.
 */
export function createSha256(expectedBytes?: number): IncrementalHash {
  const fast = fastPathFor(expectedBytes ?? Infinity);
  if (fast) {
    const parallel = (expectedBytes ?? Infinity) >= PARALLEL_HASH_MIN_BYTES ? fast.createParallelSha256?.() : null;
    return parallel ?? fast.createSha256();
  }
  const h = nobleSha256.create();
  return {
    update: (data) => void h.update(data),
    digest: () => h.digest(),
    release: () => undefined,
  };
}

/** HMAC-SHA-256(key, data). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const fast = fastPathFor(data.length);
  return fast ? fast.hmacSha256(key, data) : hmac(nobleSha256, key, data);
}

/** RFC 5869 section 2.3: at most 255 blocks of output. */
const HKDF_MAX_BYTES = 255 * 32;

/**
 * HKDF-SHA-256 (RFC 5869). `info` is always a lintas context string (SPEC section 3) so that
 * every derived key is bound to exactly one purpose. RangeError for a `length` that is not a
 * whole number from 0 to 255 * 32 (checked here: @noble/hashes throws a plain Error).
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > HKDF_MAX_BYTES) {
    throw new RangeError(`HKDF-SHA-256 output length must be a whole number from 0 to ${HKDF_MAX_BYTES}, got ${length}`);
  }
  return hkdf(nobleSha256, ikm, salt, typeof info === 'string' ? utf8(info) : info, length);
}
