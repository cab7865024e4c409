/**
 * X-Wing hybrid KEM (ML-KEM-768 + X25519, draft-connolly-cfrg-xwing-kem) through libsodium
 * 1.0.22. Its shared secret stays secret if either component is unbroken (SPEC section 4.2).
 */
import { LintasError } from '../errors/index.js';
import { sodium } from './sodium.js';

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
