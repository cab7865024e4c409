/**
 * Hashes, MAC and key derivation (SHA-256, SHA-512, HMAC-SHA-256, HKDF-SHA-256). On Node,
 * SHA-256 of every size and HMAC-SHA-256 of 512 bytes and more run on node:crypto
 * (`bulk-backend.ts`). Otherwise SHA-256 comes from @noble/hashes (audited, identical in every
 * runtime) and HMAC-SHA-256 from libsodium, 2-3x faster than noble on the short inputs of a key
 * schedule. The results are the same either way. HMAC and HKDF need `cryptoReady()`, like
 * every keyed primitive.
 */
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { utf8, wipe } from './bytes.js';
import { fastHashPath, fastPathFor, HMAC_FAST_PATH_MIN_BYTES, PARALLEL_HASH_MIN_BYTES, type IncrementalHash } from './bulk-backend.js';
import { sodium } from './sodium.js';

export type { IncrementalHash } from './bulk-backend.js';

/** SHA-256 output size in bytes (RFC 6234), which is also HMAC-SHA-256's. */
const SHA256_BYTES = 32;

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  const fast = fastHashPath();
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
 *
 * Where it runs is chosen at its first use, not here: a hash made before `cryptoReady()`
 * installed the runtime's fast backend (a field initialised as a command starts) would otherwise
 * run on the portable JavaScript SHA-256 for its whole input; the CLI's envelope digest did,
 * hashing at about 40 MiB/s what node:crypto hashes at 1,900 (docs/PERFORMANCE.md, "The CLI on
 * large files"). The bytes are the same either way.
 */
export function createSha256(expectedBytes?: number): IncrementalHash {
  let hash: IncrementalHash | null = null;
  let released = false;
  // Used after release (a caller's mistake): hash here, never holding the worker thread again.
  const started = (): IncrementalHash => (hash ??= startSha256(released ? 0 : expectedBytes));
  return {
    update: (data) => started().update(data),
    digest: () => started().digest(),
    release: () => {
      if (released) return;
      released = true;
      hash?.release();
    },
  };
}

function startSha256(expectedBytes: number | undefined): IncrementalHash {
  const fast = fastHashPath();
  if (fast) {
    const parallel = (expectedBytes ?? Infinity) >= PARALLEL_HASH_MIN_BYTES ? fast.createParallelSha256?.(expectedBytes) : null;
    return parallel ?? fast.createSha256();
  }
  const h = nobleSha256.create();
  return {
    update: (data) => void h.update(data),
    digest: () => h.digest(),
    release: () => undefined,
  };
}

/** HMAC-SHA-256(key, data) (RFC 2104), for a key of any length. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const fast = fastPathFor(data.length, HMAC_FAST_PATH_MIN_BYTES);
  if (fast) return fast.hmacSha256(key, data);
  const s = sodium();
  // libsodium's one-shot HMAC takes exactly 32-byte keys; its init/update/final any length.
  if (key.length === s.crypto_auth_hmacsha256_KEYBYTES) return s.crypto_auth_hmacsha256(data, key);
  // An empty key is HMAC's all-zero key; libsodium's wrapper cannot copy an empty array.
  const state = s.crypto_auth_hmacsha256_init(key.length === 0 ? null : key);
  s.crypto_auth_hmacsha256_update(state, data);
  return s.crypto_auth_hmacsha256_final(state);
}

/** RFC 5869 section 2.3: at most 255 blocks of output. */
const HKDF_MAX_BYTES = 255 * SHA256_BYTES;

/**
 * HKDF-SHA-256 (RFC 5869). `info` is always a lintas context string (SPEC section 3) so that
 * every derived key is bound to exactly one purpose. RangeError for a `length` that is not a
 * whole number from 0 to 255 * 32.
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  checkHkdfLength(length);
  const prk = hkdfSha256Extract(ikm, salt);
  try {
    return hkdfSha256Expand(prk, info, length);
  } finally {
    wipe(prk);
  }
}

/**
 * HKDF-Extract (RFC 5869 section 2.2): the pseudorandom key HMAC-SHA-256(salt, ikm). An empty
 * salt is the RFC's "HashLen zeros", which HMAC pads to the same block. Wipe the result after
 * the last {@link hkdfSha256Expand}. For several keys from the same ikm and salt, extracting
 * once and expanding each with its own `info` gives exactly the keys {@link hkdfSha256} gives.
 */
export function hkdfSha256Extract(ikm: Uint8Array, salt: Uint8Array): Uint8Array {
  return hmacSha256(salt, ikm);
}

/**
 * HKDF-Expand (RFC 5869 section 2.3): `length` bytes of T(1) || T(2) || ..., where
 * T(i) = HMAC-SHA-256(prk, T(i-1) || info || i) and T(0) is empty.
 */
export function hkdfSha256Expand(prk: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  checkHkdfLength(length);
  const infoBytes = typeof info === 'string' ? utf8(info) : info;
  if (length === SHA256_BYTES) {
    // The usual case, one whole block: T(1) = HMAC(prk, info || 1) is the key. Its input holds
    // nothing secret, so there is nothing to wipe but what the caller will own.
    const input = new Uint8Array(infoBytes.length + 1);
    input.set(infoBytes, 0);
    input[infoBytes.length] = 1;
    return hmacSha256(prk, input);
  }
  const out = new Uint8Array(length);
  // T(i-1) || info || i, with T(0) empty: the first block's input starts at SHA256_BYTES.
  const input = new Uint8Array(SHA256_BYTES + infoBytes.length + 1);
  input.set(infoBytes, SHA256_BYTES);
  try {
    for (let i = 1, off = 0; off < length; i++, off += SHA256_BYTES) {
      input[input.length - 1] = i;
      const t = hmacSha256(prk, i === 1 ? input.subarray(SHA256_BYTES) : input);
      out.set(t.subarray(0, Math.min(SHA256_BYTES, length - off)), off);
      input.set(t, 0);
      wipe(t);
    }
  } finally {
    wipe(input);
  }
  return out;
}

function checkHkdfLength(length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > HKDF_MAX_BYTES) {
    throw new RangeError(`HKDF-SHA-256 output length must be a whole number from 0 to ${HKDF_MAX_BYTES}, got ${length}`);
  }
}
