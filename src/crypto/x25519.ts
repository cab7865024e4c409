/**
 * X25519 (RFC 7748) through libsodium. A shared secret of all zeros (the peer sent a low-order
 * point) is rejected, as RFC 7748 section 6.1 allows and SPEC section 4.1 requires.
 */
import { LintasError } from '../errors/index.js';
import { fastEphemeralX25519, fastRepeatedKeyX25519 } from './bulk-backend.js';
import { systemRandom, type RandomSource } from './random.js';
import { sodium } from './sodium.js';

export const X25519_KEY_BYTES = 32;

/** An X25519 key pair. */
export interface X25519KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** Derive an X25519 key pair from a 32-byte secret (the secret is used as the scalar, clamped by X25519). */
export function x25519KeyPairFromSecret(secretKey: Uint8Array): X25519KeyPair {
  return { publicKey: sodium().crypto_scalarmult_base(secretKey), secretKey: secretKey.slice() };
}

/** The public key of an X25519 secret. */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return sodium().crypto_scalarmult_base(secretKey);
}

/** Whether `publicKey` is the X25519 public key of `secretKey` (false for a wrong length). */
export function x25519KeyPairMatches(publicKey: Uint8Array, secretKey: Uint8Array): boolean {
  if (publicKey.length !== X25519_KEY_BYTES || secretKey.length !== X25519_KEY_BYTES) return false;
  const derived = x25519PublicKey(secretKey);
  let diff = 0;
  for (let i = 0; i < X25519_KEY_BYTES; i++) diff |= derived[i]! ^ publicKey[i]!;
  return diff === 0;
}

/** The field prime 2^255 − 19, little-endian: the smallest non-canonical u-coordinate encoding. */
const FIELD_PRIME = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xed : i === 31 ? 0x7f : 0xff));
/**
 * A fixed scalar to multiply a public key by. X25519 clamps every scalar to a multiple of the
 * cofactor 8 below 2^255, which neither large prime subgroup order (of the curve or of its twist)
 * divides: the product is all zeros exactly for the points of small order, whatever scalar this is.
 */
const PROBE_SCALAR = new Uint8Array(32).fill(0x5a);

/**
 * Whether `publicKey` is an X25519 public key that key generation can produce: 32 bytes, the
 * canonical encoding of a u-coordinate (below 2^255 − 19, so bit 255 clear), and not a point of
 * small order. Small order is detected as sealing detects it (SPEC 4.1 step 1): X25519 with a
 * scalar gives all zeros. Key cards must publish only such keys (docs/KEYRING.md, "Key cards").
 */
export function isValidX25519PublicKey(publicKey: Uint8Array): boolean {
  if (!isCanonicalX25519PublicKey(publicKey)) return false;
  try {
    x25519(PROBE_SCALAR, publicKey);
    return true;
  } catch (e) {
    if (e instanceof LintasError && e.code === 'ERR_CRYPTO_LOW_ORDER_POINT') return false;
    throw e;
  }
}

/**
 * Whether `publicKey` is 32 bytes encoding a u-coordinate below 2^255 − 19 (so bit 255 clear),
 * as X25519 key generation always outputs. X25519 itself accepts other encodings (RFC 7748
 * section 5 masks the bit and reduces), which is why this is a separate check.
 */
export function isCanonicalX25519PublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== X25519_KEY_BYTES) return false;
  // Compare with p from the most significant byte down; p itself is non-canonical too.
  for (let i = X25519_KEY_BYTES - 1; i >= 0; i--) {
    if (publicKey[i]! !== FIELD_PRIME[i]!) return publicKey[i]! < FIELD_PRIME[i]!;
  }
  return false;
}

/**
 * X25519(secretKey, publicKey). Throws `ERR_CRYPTO_LOW_ORDER_POINT` when the result is all zeros.
 * @throws {RangeError} if either key is not 32 bytes (checked first, so a wrong length is never
 *   mistaken for a low-order point).
 * @throws {@link LintasError} `ERR_CRYPTO_LOW_ORDER_POINT` if the shared secret is all zeros.
 */
export function x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (secretKey.length !== X25519_KEY_BYTES || publicKey.length !== X25519_KEY_BYTES) {
    throw new RangeError(`X25519 keys must be ${X25519_KEY_BYTES} bytes`);
  }
  let shared: Uint8Array;
  try {
    shared = sodium().crypto_scalarmult(secretKey, publicKey);
  } catch (cause) {
    // libsodium refuses an all-zero output (a low-order input point).
    throw new LintasError('ERR_CRYPTO_LOW_ORDER_POINT', 'X25519 produced an all-zero shared secret: the peer key is a low-order point', { cause });
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) {
    throw new LintasError('ERR_CRYPTO_LOW_ORDER_POINT', 'X25519 produced an all-zero shared secret: the peer key is a low-order point');
  }
  return shared;
}

/**
 * A fresh ephemeral key pair and its agreement with `publicKey`, as a sender makes for every
 * X25519 recipient (SPEC 4.1): the ephemeral public key and X25519(ephemeral secret, publicKey).
 * The secret is drawn from `random` and wiped; with the system's randomness on Node, OpenSSL
 * generates it instead (`node-x25519.ts`: about half the instructions, and the secret never
 * leaves OpenSSL). A seeded source, as the test-vector generator uses, always takes libsodium,
 * so that its envelopes are reproducible byte for byte.
 * @throws {RangeError} if `publicKey` is not 32 bytes.
 * @throws {@link LintasError} `ERR_CRYPTO_LOW_ORDER_POINT` if the shared secret is all zeros.
 */
export function x25519WithEphemeralKey(publicKey: Uint8Array, random: RandomSource): { publicKey: Uint8Array; shared: Uint8Array } {
  if (publicKey.length !== X25519_KEY_BYTES) throw new RangeError(`X25519 keys must be ${X25519_KEY_BYTES} bytes`);
  const fast = random === systemRandom ? fastEphemeralX25519() : null;
  if (fast !== null) {
    let result: { publicKey: Uint8Array; shared: Uint8Array } | null = null;
    try {
      result = fast(publicKey);
    } catch {
      // OpenSSL refuses a low-order point; libsodium below gives lintas's verdict and error for it.
    }
    if (result !== null && !isAllZero(result.shared)) return result;
  }
  const secret = random(X25519_KEY_BYTES);
  try {
    return { publicKey: x25519PublicKey(secret), shared: x25519(secret, publicKey) };
  } finally {
    secret.fill(0);
  }
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/**
 * {@link x25519} for a long-lived secret key used again and again, such as a recipient's own key
 * opening envelopes: the same result and the same errors. On Node, from the key's second use,
 * the agreement runs on OpenSSL with the key kept as a KeyObject for as long as the caller's
 * array lives (`node-x25519.ts`): about 3x faster than libsodium's WebAssembly. Do not use it
 * for a one-off key such as an ephemeral one (it would only be remembered, never reused).
 * @throws {RangeError} if either key is not 32 bytes.
 * @throws {@link LintasError} `ERR_CRYPTO_LOW_ORDER_POINT` if the shared secret is all zeros.
 */
export function x25519WithOwnKey(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const fast = fastRepeatedKeyX25519();
  if (fast === null || secretKey.length !== X25519_KEY_BYTES || publicKey.length !== X25519_KEY_BYTES) return x25519(secretKey, publicKey);
  let shared: Uint8Array | null;
  try {
    shared = fast(secretKey, publicKey);
  } catch {
    // OpenSSL refuses a low-order point; libsodium gives lintas's verdict and error for it.
    shared = null;
  }
  if (shared === null) return x25519(secretKey, publicKey);
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) {
    throw new LintasError('ERR_CRYPTO_LOW_ORDER_POINT', 'X25519 produced an all-zero shared secret: the peer key is a low-order point');
  }
  return shared;
}
