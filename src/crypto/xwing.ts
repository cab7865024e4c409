/**
 * X-Wing hybrid KEM (ML-KEM-768 + X25519, draft-connolly-cfrg-xwing-kem) through libsodium
 * 1.0.22. Its shared secret stays secret if either component is unbroken (SPEC section 4.2).
 */
import { LintasError } from '../errors/index.js';
import { sodium } from './sodium.js';
import { isCanonicalX25519PublicKey, X25519_KEY_BYTES } from './x25519.js';

export const XWING_PUBLIC_KEY_BYTES = 1216;
export const XWING_SECRET_KEY_BYTES = 32;
export const XWING_CIPHERTEXT_BYTES = 1120;
export const XWING_ENCAPS_SEED_BYTES = 64;

/** An X-Wing key pair; the 32-byte secret key is the X-Wing seed. */
export interface XWingKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

function checkLength(what: string, bytes: Uint8Array, expected: number): void {
  if (bytes.length !== expected) throw new RangeError(`X-Wing ${what} must be ${expected} bytes, got ${bytes.length}`);
}

/**
 * Derive an X-Wing key pair from its 32-byte seed.
 * @throws {RangeError} if `seed` is not 32 bytes.
 */
export function xwingKeyPairFromSeed(seed: Uint8Array): XWingKeyPair {
  checkLength('seed', seed, XWING_SECRET_KEY_BYTES);
  const kp = sodium().crypto_kem_xwing_seed_keypair(seed);
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

/**
 * Whether `publicKey` is the X-Wing public key of the seed `secretKey`.
 * @throws {RangeError} if `secretKey` is not 32 bytes.
 */
export function xwingKeyPairMatches(publicKey: Uint8Array, secretKey: Uint8Array): boolean {
  const derived = xwingKeyPairFromSeed(secretKey);
  derived.secretKey.fill(0);
  if (publicKey.length !== XWING_PUBLIC_KEY_BYTES) return false;
  let diff = 0;
  for (let i = 0; i < XWING_PUBLIC_KEY_BYTES; i++) diff |= derived.publicKey[i]! ^ publicKey[i]!;
  return diff === 0;
}

/** An all-zero encapsulation seed: only the verdict of a probe encapsulation is used. */
const PROBE_SEED = new Uint8Array(XWING_ENCAPS_SEED_BYTES);

/**
 * Whether `publicKey` is an X-Wing public key that key generation can produce: 1,216 bytes that
 * libsodium encapsulates to (the ML-KEM part passes the FIPS 203 section 7.2 modulus check, the
 * X25519 part is not of small order: what sealing requires, SPEC 4.2 step 1), with an X25519
 * part that is also canonically encoded. Key cards must publish only such keys
 * (docs/KEYRING.md, "Key cards").
 */
export function isValidXWingPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== XWING_PUBLIC_KEY_BYTES) return false;
  if (!isCanonicalX25519PublicKey(publicKey.subarray(XWING_PUBLIC_KEY_BYTES - X25519_KEY_BYTES))) return false;
  try {
    sodium().crypto_kem_xwing_enc_deterministic(publicKey, PROBE_SEED);
    return true;
  } catch {
    return false;
  }
}

/**
 * Encapsulate to `publicKey` with 64 bytes of caller-supplied randomness (from the
 * envelope's random source, so test vectors are reproducible).
 * @throws {RangeError} if `publicKey` is not 1216 bytes or `seed` not 64 bytes.
 * @throws {@link LintasError} `ERR_CRYPTO_INVALID_KEY` if libsodium rejects the public key: its ML-KEM
 *   part fails the FIPS 203 section 7.2 modulus check, or its X25519 part is a low-order point.
 */
export function xwingEncapsulate(publicKey: Uint8Array, seed: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  checkLength('public key', publicKey, XWING_PUBLIC_KEY_BYTES);
  checkLength('encapsulation seed', seed, XWING_ENCAPS_SEED_BYTES);
  try {
    return sodium().crypto_kem_xwing_enc_deterministic(publicKey, seed);
  } catch (cause) {
    throw new LintasError('ERR_CRYPTO_INVALID_KEY', 'X-Wing public key is invalid (ML-KEM part not reduced, or X25519 part of low order)', { cause });
  }
}

/**
 * Decapsulate. A modified ciphertext does not fail: ML-KEM's implicit rejection yields an
 * unrelated secret, so a wrong key or a tampered stanza shows up later as an AEAD failure.
 * The one exception: libsodium refuses a ciphertext whose X25519 part is a low-order point
 * (the X25519 secret would be all zeros), where the draft would still return a secret.
 * @throws {RangeError} if `ciphertext` is not 1120 bytes or `secretKey` not 32 bytes.
 * @throws {@link LintasError} `ERR_CRYPTO_LOW_ORDER_POINT` for a low-order X25519 ciphertext part.
 */
export function xwingDecapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array {
  checkLength('ciphertext', ciphertext, XWING_CIPHERTEXT_BYTES);
  checkLength('secret key', secretKey, XWING_SECRET_KEY_BYTES);
  try {
    return sodium().crypto_kem_xwing_dec(ciphertext, secretKey);
  } catch (cause) {
    throw new LintasError('ERR_CRYPTO_LOW_ORDER_POINT', 'X-Wing ciphertext carries a low-order X25519 point', { cause });
  }
}
